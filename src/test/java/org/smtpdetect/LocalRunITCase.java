package org.smtpdetect;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The job as {@code mvn exec:java} runs it: {@link Main} in a JVM of its own forks the job JVM (the fork path),
 * against a real broker and a real Elasticsearch, with the local log configuration. Its start-up log holds no
 * warning; SIGTERM to the parent stops the child too; a parent killed with SIGKILL takes the child with it.
 */
class LocalRunITCase {
    private static final int MATCHES = 5;

    @TempDir
    Path dir;

    @Test
    void aLocalStreamingRunStartsWithoutWarningsAndStopsWithSigterm() throws Exception {
        Run run = start("quiet");
        awaitUntil(() -> count(run.rest, run.alerts) >= MATCHES, Duration.ofSeconds(120), "alerts of the local run", run.log);
        List<String> lines = Files.readAllLines(run.log, StandardCharsets.UTF_8);
        List<String> warnings = lines.stream().filter(l -> l.matches("\\d\\d:\\d\\d:\\d\\d (WARN|ERROR).*")).toList();
        assertThat(warnings).as("warnings in the start-up log:\n" + String.join("\n", lines)).isEmpty();
        assertThat(lines).anyMatch(l -> l.contains("Kafka at " + KafkaService.get().bootstrapServers() + ": 1 broker(s) answered"));

        ProcessHandle child = run.child();
        long t0 = System.nanoTime();
        run.parent.destroy(); // SIGTERM, as a service manager sends it
        assertThat(run.parent.waitFor(60, TimeUnit.SECONDS)).as("parent stopped").isTrue();
        child.onExit().get(5, TimeUnit.SECONDS);
        assertThat(child.isAlive()).isFalse();
        System.out.printf("SIGTERM to the parent: both JVMs gone in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(count(run.rest, run.alerts)).isEqualTo(MATCHES);
    }

    @Test
    void theJobJvmDoesNotOutliveAKilledParent() throws Exception {
        Run run = start("orphan");
        awaitUntil(() -> count(run.rest, run.alerts) >= MATCHES, Duration.ofSeconds(120), "alerts of the local run", run.log);
        ProcessHandle child = run.child();
        long t0 = System.nanoTime();
        run.parent.destroyForcibly(); // SIGKILL: no shutdown hook runs in the parent
        run.parent.waitFor();
        child.onExit().get(30, TimeUnit.SECONDS);
        assertThat(child.isAlive()).isFalse();
        System.out.printf("SIGKILL to the parent: the job JVM exited %d ms later%n", (System.nanoTime() - t0) / 1_000_000);
        assertThat(Files.readString(run.log)).contains("has exited; stopping");
    }

    @Test
    void brokersThatDoNotAnswerFailTheStartUpWithOneLine() throws Exception {
        int closedPort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        String servers = "127.0.0.1:" + closedPort;
        for (boolean verbose : new boolean[] {false, true}) {
            Path log = dir.resolve("unreachable-" + verbose + ".log");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-D" + Main.FORK_PROPERTY + "=true", "-Dlog4j.configurationFile=log4j2-local.properties",
                    "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                    "--kafka.bootstrap-servers", servers, "--es.hosts", "http://127.0.0.1:9"));
            if (verbose) cmd.add("--verbose");
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            assertThat(p.waitFor(90, TimeUnit.SECONDS)).isTrue();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            String out = Files.readString(log);
            assertThat(p.exitValue()).as(out).isEqualTo(2);
            assertThat(out).contains("error: cannot use Kafka at " + servers + " (--kafka.bootstrap-servers): no broker answered within 15 s");
            if (verbose) {
                assertThat(out).contains("\tat org.smtpdetect.connectors.kafka.KafkaStartupCheck.verify");
            } else {
                assertThat(out).doesNotContain("\tat ").doesNotContain("Exception");
                System.out.printf("unreachable brokers: exit 2 after %d ms%n", ms);
            }
        }
    }

    private record Run(Process parent, Path log, EsRest rest, String alerts) {
        ProcessHandle child() {
            return parent.toHandle().children().findFirst().orElseThrow(() -> new AssertionError("no job JVM under the parent"));
        }
    }

    private Run start(String name) throws Exception {
        KafkaService kafka = KafkaService.get();
        ElasticsearchService es = ElasticsearchService.es8();
        String run = "local-" + name + "-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "-packetbeat";
        kafka.createTopic(topic, 2);
        Instant t0 = Instant.parse("2024-06-01T08:00:00Z");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < MATCHES; i++) send(producer, topic, i % 2, flow(t0.plusSeconds(30L * i), i, 587));
            for (int p = 0; p < 2; p++) send(producer, topic, p, flow(t0.plus(Duration.ofHours(1)), p, 80));
        }
        Path log = dir.resolve(name + ".log");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-D" + Main.FORK_PROPERTY + "=true", "-Dlog4j.configurationFile=log4j2-local.properties",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--kafka.bootstrap-servers", kafka.bootstrapServers(), "--kafka.topics", topic, "--kafka.group-id", run,
                "--kafka.starting-offsets", "earliest", "--dead-letter.topic", run + "-dead-letters",
                "--es.hosts", es.url(), "--es.alert-index", run + "-alerts", "--es.status-index", run + "-executions",
                "--max-out-of-orderness", "10s", "--parallelism", "2"));
        Process parent = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> parent.descendants().forEach(ProcessHandle::destroyForcibly)));
        return new Run(parent, log, es.rest(), run + "-alerts");
    }

    private static void send(KafkaProducer<byte[], byte[]> p, String topic, int partition, String value) throws Exception {
        p.send(new ProducerRecord<>(topic, partition, null, value.getBytes(StandardCharsets.UTF_8))).get();
    }

    private static String flow(Instant t, int i, int port) {
        return "{\"@timestamp\":\"" + t + "\",\"event\":{\"category\":[\"network_traffic\"]},\"network\":{\"transport\":\"tcp\"},"
                + "\"source\":{\"ip\":\"10.1.2." + i + "\",\"port\":" + (40000 + i) + "},\"destination\":{\"ip\":\"203.0.113." + i
                + "\",\"port\":" + port + "}}";
    }

    private static long count(EsRest rest, String index) {
        try {
            return rest.count(index);
        } catch (RuntimeException notYetCreated) {
            return 0;
        }
    }

    private static void awaitUntil(BooleanSupplier condition, Duration timeout, String what, Path log) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what + "; log:\n" + Files.readString(log));
            }
            Thread.sleep(250);
        }
    }
}

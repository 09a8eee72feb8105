package org.smtpdetect.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.KafkaService;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.job.StreamingFixtures.awaitUntil;
import static org.smtpdetect.job.StreamingFixtures.badEvent;
import static org.smtpdetect.job.StreamingFixtures.noise;
import static org.smtpdetect.job.StreamingFixtures.send;
import static org.smtpdetect.job.StreamingFixtures.smtpFlow;
import static org.smtpdetect.job.StreamingFixtures.startStreaming;

/**
 * Every metric the Grafana dashboard ({@code k8s/grafana-dashboard.json}) queries is one the job exports: the
 * streaming job runs on a MiniCluster with Flink's Prometheus reporter, and the names come from its endpoint,
 * so a renamed counter or a changed scope fails here.
 */
class DashboardMetricsITCase {
    private static final int PROMETHEUS_PORT = freePort();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).setConfiguration(prometheus()).build());

    private static Configuration prometheus() {
        Configuration c = new Configuration();
        c.setString("metrics.reporters", "prom");
        c.setString("metrics.reporter.prom.factory.class", "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        c.setString("metrics.reporter.prom.port", Integer.toString(PROMETHEUS_PORT));
        return c;
    }

    /** Metric names in the dashboard's queries. */
    static Set<String> queried() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(Files.readString(Path.of("k8s/grafana-dashboard.json")));
        Set<String> names = new TreeSet<>();
        Pattern metric = Pattern.compile("\\bflink_[A-Za-z0-9_]+");
        for (JsonNode panel : dashboard.path("panels")) {
            for (JsonNode target : panel.path("targets")) {
                Matcher m = metric.matcher(target.path("expr").asText());
                while (m.find()) names.add(m.group());
            }
        }
        for (JsonNode variable : dashboard.path("templating").path("list")) {
            Matcher m = metric.matcher(variable.path("definition").asText());
            while (m.find()) names.add(m.group());
        }
        return names;
    }

    /**
     * Metrics the dashboard shows ahead of the code that will register them; each is allowed to be missing only
     * while no main source mentions it, so once it is registered under another name this test fails.
     */
    private static final Set<String> ANNOUNCED = Set.of("eventsExcepted");

    @Test
    void everyMetricTheDashboardQueriesIsExported() throws Exception {
        Set<String> queried = queried();
        assertThat(queried).hasSizeGreaterThan(15);
        Set<String> announcedAndAbsent = new TreeSet<>();
        for (String a : ANNOUNCED) {
            if (!mainSourcesMention("\"" + a + "\"")) announcedAndAbsent.add("flink_taskmanager_job_task_operator_" + a);
        }

        KafkaService kafka = KafkaService.get();
        String run = "dashboard-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "-packetbeat";
        kafka.createTopic(topic, 2);
        Instant t0 = Instant.parse("2024-06-01T08:00:00Z");
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
            for (int i = 0; i < 10; i++) send(producer, topic, i % 2, smtpFlow(t0.plusSeconds(20L * i), i));
            send(producer, topic, 0, badEvent(t0.plusSeconds(30)));
            for (int p = 0; p < 2; p++) send(producer, topic, p, noise(t0.plus(Duration.ofHours(1)), p));
        }
        JobClient job = startStreaming("--kafka.bootstrap-servers", kafka.bootstrapServers(), "--kafka.topics", topic,
                "--kafka.group-id", run, "--kafka.starting-offsets", "earliest", "--dead-letter.topic", run + "-dead-letters",
                "--es.hosts", ElasticsearchService.es8().url(), "--es.alert-index", run + "-alerts", "--es.status-index", run + "-executions",
                "--max-out-of-orderness", "10s");
        Set<String> expected = new TreeSet<>(queried);
        expected.removeAll(announcedAndAbsent);
        Set<String>[] exported = new Set[] {Set.of()};
        try {
            awaitUntil(() -> (exported[0] = scrape()).containsAll(expected), Duration.ofSeconds(90), "every queried metric on the endpoint");
        } catch (AssertionError e) {
            Set<String> missing = new TreeSet<>(expected);
            missing.removeAll(exported[0]);
            throw new AssertionError("the dashboard queries metrics the job does not export: " + missing, e);
        } finally {
            job.cancel().get();
        }
        // An announced metric that is exported while no source names it would mean this test reads the wrong code.
        for (String a : announcedAndAbsent) assertThat(exported[0]).doesNotContain(a);
    }

    /** Names of the metrics on the reporter's endpoint. */
    private static Set<String> scrape() {
        Set<String> names = new TreeSet<>();
        try (InputStream in = URI.create("http://127.0.0.1:" + PROMETHEUS_PORT + "/metrics").toURL().openStream()) {
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                int end = line.indexOf('{');
                names.add(line.substring(0, end >= 0 ? end : line.indexOf(' ')));
            }
        } catch (IOException notUpYet) {
            // scraped again
        }
        return names;
    }

    private static boolean mainSourcesMention(String text) throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            return files.filter(f -> f.toString().endsWith(".java")).anyMatch(f -> {
                try {
                    return Files.readString(f).contains(text);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

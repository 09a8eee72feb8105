package org.smtpdetect.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.job.StreamingFixtures.alertId;
import static org.smtpdetect.job.StreamingFixtures.allHits;
import static org.smtpdetect.job.StreamingFixtures.awaitUntil;
import static org.smtpdetect.job.StreamingFixtures.committedOffsets;
import static org.smtpdetect.job.StreamingFixtures.count;
import static org.smtpdetect.job.StreamingFixtures.endOffsets;
import static org.smtpdetect.job.StreamingFixtures.noise;
import static org.smtpdetect.job.StreamingFixtures.send;
import static org.smtpdetect.job.StreamingFixtures.smtpFlow;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.JobProcess;
import org.smtpdetect.testing.KafkaService;

/**
 * The delivery guarantee of the streaming job run as users run it locally (its own JVM, started like
 * {@code mvn exec:java}) against a real Kafka broker and real Elasticsearch nodes that are killed and restarted:
 * no alert waits for traffic, offsets are committed on checkpoints, and a stop during an outage loses nothing.
 */
class DeliveryGuaranteeITCase {
    private static final Duration CHECKPOINT_INTERVAL = Duration.ofSeconds(2);

    /**
     * Elasticsearch is SIGKILLed with alerts still to write and restarted 20 s later on the same data; no event is
     * produced after the kill's burst. Every alert arrives, once, within 15 s of the node being ready, and the outage
     * and the recovery are one line each.
     */
    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void alertsWaitingThroughAnOutageAreWrittenSoonAfterTheNodeIsBackWithNoNewEvent(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.dedicated(version);
        Run run = new Run("outage-" + version.replace('.', '-'), es);
        Path dir = run.dir;
        Set<String> expected = new HashSet<>();
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(KafkaService.get());
             JobProcess job = JobProcess.start(dir, run.args("--early-alerts", "true"))) {
            Instant t0 = Instant.parse("2024-06-01T08:00:00Z");
            for (int i = 0; i < 20; i++) expected.add(alertId(send(producer, run.topic, i % 2, smtpFlow(t0.plusSeconds(i), i))));
            awaitUntil(() -> count(es.rest(), run.alerts) == 20, Duration.ofSeconds(120), "the first alerts" + job.tail());

            es.kill();
            // 80 in all: early alerts are capped at max_signals (100) per execution too, and no later event fires it.
            for (int i = 20; i < 80; i++) expected.add(alertId(send(producer, run.topic, i % 2, smtpFlow(t0.plusSeconds(i), i))));
            job.awaitLog(l -> l.contains("WARN") && l.contains("(" + run.alerts + ") unreachable"), Duration.ofSeconds(60));
            Thread.sleep(20_000); // the outage: the waiting alerts' backoff grows meanwhile

            Duration restart = es.restart();
            long ready = System.nanoTime();
            awaitUntil(() -> count(es.rest(), run.alerts) >= expected.size(), Duration.ofSeconds(15),
                    "every alert within 15 s of the node being ready (" + count(es.rest(), run.alerts) + " of " + expected.size() + ", "
                            + es.rest().get("/" + run.alerts + "/_count").body() + ")" + job.tail() + threadDump(job));
            System.out.printf("Elasticsearch %s: restarted in %.1f s; %d alerts written %.1f s after it was ready%n", version,
                    restart.toMillis() / 1000.0, expected.size(), (System.nanoTime() - ready) / 1e9);
            awaitUntil(() -> job.logLines().stream().anyMatch(l -> l.contains("(" + run.alerts + ") is back after")),
                    Duration.ofSeconds(10), "the recovery line");

            assertThat(alertIds(es, run.alerts)).isEqualTo(expected);
            List<String> lines = job.logLines();
            assertThat(lines.stream().filter(l -> l.contains("(" + run.alerts + ") unreachable"))).as("one outage line").hasSize(1);
            assertThat(lines.stream().filter(l -> l.contains("(" + run.alerts + ") is back after"))).as("one recovery line").hasSize(1);
            assertThat(lines.stream().filter(l -> l.matches("(?i).*elasticsearch.*exception.*") || l.startsWith("\tat org.elasticsearch")
                    || l.startsWith("\tat org.smtpdetect"))).as("no stack traces of the outage").isEmpty();
        } finally {
            es.stop();
        }
    }

    /**
     * Elasticsearch is SIGKILLed for 30 s while events keep flowing (ten matches a second, spread over many executions
     * so that no cap applies) and restarted on the same data while they still flow: every matching event is alerted
     * exactly once, and the outage and the recovery are one line each.
     */
    @Test
    void eventsKeepFlowingThroughAnOutage() throws Exception {
        ElasticsearchService es = ElasticsearchService.dedicated(ElasticsearchService.newestVersion());
        Run run = new Run("flowing", es);
        Path dir = run.dir;
        Set<String> expected = java.util.concurrent.ConcurrentHashMap.newKeySet();
        java.util.concurrent.atomic.AtomicBoolean producing = new java.util.concurrent.atomic.AtomicBoolean(true);
        Instant t0 = Instant.parse("2024-06-01T08:00:00Z");
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(KafkaService.get());
             JobProcess job = JobProcess.start(dir, run.args())) {
            job.awaitLog(l -> l.contains("Checkpoints every"), Duration.ofSeconds(60));
            java.util.concurrent.CompletableFuture<Integer> traffic = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                int i = 0;
                try {
                    for (; producing.get(); i++) {
                        Instant t = t0.plusSeconds(10L * i);
                        expected.add(alertId(send(producer, run.topic, i % 2, smtpFlow(t, i))));
                        send(producer, run.topic, (i + 1) % 2, noise(t, i));
                        Thread.sleep(100);
                    }
                    return i;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitUntil(() -> count(es.rest(), run.alerts) > 0, Duration.ofSeconds(120), "the first alerts" + job.tail());
            es.kill();
            Thread.sleep(30_000);
            es.restart();
            Thread.sleep(10_000);
            producing.set(false);
            int produced = traffic.get(30, java.util.concurrent.TimeUnit.SECONDS);
            for (int p = 0; p < 2; p++) send(producer, run.topic, p, noise(t0.plus(Duration.ofDays(1)), p));

            awaitUntil(() -> count(es.rest(), run.alerts) >= expected.size(), Duration.ofSeconds(120),
                    "all " + expected.size() + " alerts" + job.tail());
            Thread.sleep(3000); // a second copy would show now
            assertThat(alertIds(es, run.alerts)).isEqualTo(expected);
            List<String> lines = job.logLines();
            assertThat(lines.stream().filter(l -> l.contains("(" + run.alerts + ") unreachable"))).as("one outage line").hasSize(1);
            assertThat(lines.stream().filter(l -> l.contains("(" + run.alerts + ") is back after"))).as("one recovery line").hasSize(1);
            System.out.printf("%d matching events of %d produced through a 30 s outage, each alerted once%n", expected.size(), 2 * produced);
        } finally {
            producing.set(false);
            es.stop();
        }
    }

    /**
     * A local streaming run checkpoints by default and commits the consumer group's offsets on each checkpoint. The
     * Kafka source sends a commit with its next poll, which waits up to 10 s on an idle topic, so the interval here is
     * longer than that: the bound is two intervals whatever the traffic.
     */
    @Test
    void aLocalRunCommitsItsOffsetsWithinTwoCheckpointIntervals() throws Exception {
        ElasticsearchService es = ElasticsearchService.es8();
        Run run = new Run("commits", es);
        Path dir = run.dir;
        KafkaService kafka = KafkaService.get();
        Duration interval = Duration.ofSeconds(12);
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka);
             JobProcess job = JobProcess.start(dir, run.args("--early-alerts", "true", "--checkpoint-interval", interval.toSeconds() + "s"))) {
            job.awaitLog(l -> l.contains("Checkpoints every " + interval.toSeconds() + " s into"), Duration.ofSeconds(60));
            Instant t0 = Instant.parse("2024-06-01T08:00:00Z");
            // A first batch, committed once the group's coordinator is found (a fresh group's first commit may miss it).
            for (int i = 0; i < 10; i++) send(producer, run.topic, i % 2, smtpFlow(t0.plusSeconds(i), i));
            var first = endOffsets(kafka, run.topic, 2);
            awaitUntil(() -> committedOffsets(kafka, run.group).equals(first), Duration.ofSeconds(120), "the first commit" + job.tail());

            for (int i = 10; i < 60; i++) {
                send(producer, run.topic, i % 2, smtpFlow(t0.plusSeconds(i), i));
                send(producer, run.topic, (i + 1) % 2, noise(t0.plusSeconds(i), i));
            }
            var end = endOffsets(kafka, run.topic, 2);
            awaitUntil(() -> count(es.rest(), run.alerts) == 60, Duration.ofSeconds(60), "the alerts" + job.tail());
            long read = System.nanoTime();
            awaitUntil(() -> committedOffsets(kafka, run.group).equals(end), interval.multipliedBy(2),
                    "the offsets " + end + " to be committed within two checkpoint intervals (" + committedOffsets(kafka, run.group) + ")"
                            + job.tail() + checkpoints(dir));
            System.out.printf("offsets committed %.1f s after the last alert was written%n", (System.nanoTime() - read) / 1e9);
        }
    }

    /**
     * The job is stopped (SIGTERM) while Elasticsearch is down and alerts wait, after a checkpoint that committed the
     * offsets of matches still pending in their executions. Started again, it resumes from that checkpoint, so those
     * matches, which Kafka will never deliver again, are alerted, and every other one too: each exactly once.
     */
    @Test
    void aStopDuringAnOutageLosesNothing() throws Exception {
        ElasticsearchService es = ElasticsearchService.dedicated(ElasticsearchService.newestVersion());
        Run run = new Run("stop", es);
        Path dir = run.dir;
        KafkaService kafka = KafkaService.get();
        Set<String> expected = new HashSet<>();
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
            Instant t0 = Instant.parse("2024-06-01T08:00:00Z");
            try (JobProcess first = JobProcess.start(dir, run.args())) {
                // Matches in [08:00, 08:04): the execution at 08:05 covers them and cannot fire before 08:05 is near.
                for (int i = 0; i < 40; i++) expected.add(alertId(send(producer, run.topic, i % 2, smtpFlow(t0.plusSeconds(6L * i), i))));
                var end = endOffsets(kafka, run.topic, 2);
                awaitUntil(() -> committedOffsets(kafka, run.group).equals(end), Duration.ofSeconds(120),
                        "a checkpoint with the matches pending" + first.tail());
                assertThat(count(es.rest(), run.alerts)).as("nothing alerted yet").isZero();

                es.kill();
                for (int p = 0; p < 2; p++) send(producer, run.topic, p, noise(t0.plus(Duration.ofHours(1)), p));
                first.awaitLog(l -> l.contains("(" + run.alerts + ") unreachable"), Duration.ofSeconds(60));
                assertThat(first.terminate()).isNotEqualTo(-1);
            }
            assertThat(committedOffsets(kafka, run.group)).as("the clock ticks were not committed")
                    .isNotEqualTo(endOffsets(kafka, run.topic, 2));

            es.restart();
            try (JobProcess second = JobProcess.start(dir, run.args())) {
                second.awaitLog(l -> l.contains("Resuming from checkpoint"), Duration.ofSeconds(60));
                awaitUntil(() -> count(es.rest(), run.alerts) >= expected.size(), Duration.ofSeconds(120), "the alerts" + second.tail());
                Thread.sleep(3000); // a second copy would show now
                assertThat(alertIds(es, run.alerts)).isEqualTo(expected);
            }
        } finally {
            es.stop();
        }
    }

    /** One test's topic, group, indices, the job's arguments, and its directory (kept under target/ to read after a failure). */
    private static final class Run {
        final Path dir;
        final String topic;
        final String group;
        final String alerts;
        final List<String> args = new ArrayList<>();

        Run(String name, ElasticsearchService es) {
            String id = name + "-" + UUID.randomUUID().toString().substring(0, 8);
            dir = Path.of("target", "it-jobs", id).toAbsolutePath();
            topic = id + "-packetbeat";
            group = id;
            alerts = id + "-alerts";
            KafkaService kafka = KafkaService.get();
            kafka.createTopic(topic, 2);
            kafka.createTopic(id + "-dead-letters", 1);
            args.addAll(List.of("--kafka.bootstrap-servers", kafka.bootstrapServers(), "--kafka.topics", topic,
                    "--kafka.group-id", group, "--kafka.starting-offsets", "earliest", "--dead-letter.topic", id + "-dead-letters",
                    "--es.hosts", es.url(), "--es.alert-index", alerts, "--es.status-index", id + "-executions",
                    "--es.bulk.flush-interval", "200ms", "--max-out-of-orderness", "10s", "--idleness", "2s",
                    "--checkpoint-interval", CHECKPOINT_INTERVAL.toSeconds() + "s", "--checkpoint-dir", dir.resolve("checkpoints").toString()));
        }

        String[] args(String... more) {
            List<String> all = new ArrayList<>(args);
            all.addAll(List.of(more));
            return all.toArray(String[]::new);
        }
    }

    private static String checkpoints(Path dir) {
        try (var files = java.nio.file.Files.walk(dir.resolve("checkpoints"), 3)) {
            StringBuilder b = new StringBuilder("\ncheckpoints at " + Instant.now() + ":");
            files.filter(p -> p.getFileName().toString().startsWith("chk-")).forEach(p -> {
                try {
                    b.append(' ').append(p.getFileName()).append('@').append(java.nio.file.Files.getLastModifiedTime(p));
                } catch (java.io.IOException e) {
                    b.append(' ').append(p.getFileName());
                }
            });
            return b.toString();
        } catch (java.io.IOException e) {
            return "\n(no checkpoints: " + e + ")";
        }
    }

    private static String threadDump(JobProcess job) {
        try {
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jstack").toString(), Long.toString(job.pid()))
                    .redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            java.nio.file.Files.writeString(job.logFile().resolveSibling("threads.txt"), out);
            return "\n(thread dump in " + job.logFile().resolveSibling("threads.txt") + ")";
        } catch (Exception e) {
            return "\n(no thread dump: " + e + ")";
        }
    }

    private static Set<String> alertIds(ElasticsearchService es, String index) {
        List<JsonNode> hits = allHits(es.rest(), index);
        Set<String> ids = new HashSet<>();
        for (JsonNode h : hits) ids.add(h.get("_id").asText());
        assertThat(hits).as("no alert twice").hasSize(ids.size());
        return ids;
    }
}

package org.smtpdetect.job;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.FlinkClusterProcesses;
import org.smtpdetect.testing.FlinkClusterProcesses.FlinkProcess;
import org.smtpdetect.testing.FlinkClusterProcesses.RunOptions;
import org.smtpdetect.testing.KafkaService;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.job.StreamingFixtures.alertId;
import static org.smtpdetect.job.StreamingFixtures.allHits;
import static org.smtpdetect.job.StreamingFixtures.awaitStable;
import static org.smtpdetect.job.StreamingFixtures.awaitUntil;
import static org.smtpdetect.job.StreamingFixtures.badEvent;
import static org.smtpdetect.job.StreamingFixtures.count;
import static org.smtpdetect.job.StreamingFixtures.deadLetterKey;
import static org.smtpdetect.job.StreamingFixtures.deadLetters;
import static org.smtpdetect.job.StreamingFixtures.noise;
import static org.smtpdetect.job.StreamingFixtures.send;
import static org.smtpdetect.job.StreamingFixtures.smtpFlow;

/**
 * The shaded job jar, submitted over REST to a real multi-process Flink cluster (the project's config.yaml, so
 * generic types are off and the jar must bring every dependency itself), reads a live Kafka stream and writes
 * to Elasticsearch (7.17 and 8.19); its only TaskManager is SIGKILLed mid-stream and a new one takes over. Every matching
 * event ends up as exactly one alert, bad records as dead letters, and the job runs on after a restart.
 */
class ClusterFailoverITCase {
    private static final String ENTRY_CLASS = "org.smtpdetect.job.DetectionJob";
    private static final Instant T0 = Instant.parse("2024-06-01T08:00:00Z");
    private static final Duration STARTUP = Duration.ofSeconds(120);

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void shadedJarSurvivesLosingItsTaskManagerWithOneAlertPerMatchingEvent(String version) throws Exception {
        long started = System.nanoTime();
        Path jar = Path.of(System.getProperty("project.jar", "target/smtp-to-internet.jar"));
        assertThat(jar).isRegularFile();
        ElasticsearchService es = ElasticsearchService.get(version);
        KafkaService kafka = KafkaService.get();
        String run = "failover-" + version.replace('.', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "-packetbeat";
        String deadLetterTopic = run + "-dead-letters";
        String alerts = run + "-alerts";
        kafka.createTopic(topic, 2);
        kafka.createTopic(deadLetterTopic, 1);
        EsRest rest = es.rest();
        List<String> args = List.of(
                "--kafka.bootstrap-servers", kafka.bootstrapServers(), "--kafka.topics", topic, "--kafka.group-id", run,
                "--kafka.starting-offsets", "earliest", "--es.hosts", es.url(), "--es.alert-index", alerts,
                "--es.status-index", run + "-executions", "--dead-letter.topic", deadLetterTopic,
                "--max-out-of-orderness", "10s", "--idleness", "2s");

        try (FlinkClusterProcesses cluster = FlinkClusterProcesses.builder().name(run).build();
             EventStream events = new EventStream(kafka, topic)) {
            cluster.startJobManager(STARTUP);
            FlinkProcess first = cluster.startTaskManager();
            cluster.awaitSlots(2, STARTUP);
            events.start();

            long submitted = System.nanoTime();
            String jobId = cluster.runJar(cluster.uploadJar(jar), ENTRY_CLASS, args, RunOptions.defaults().parallelism(2));
            cluster.awaitJobStatus(jobId, "RUNNING", STARTUP);
            cluster.awaitCompletedCheckpoints(jobId, 1, STARTUP);
            awaitUntil(() -> count(rest, alerts) > 0, STARTUP, "the first alerts");
            long firstAlerts = System.nanoTime();
            long checkpointsBeforeKill = cluster.completedCheckpoints(jobId);
            long alertsBeforeKill = count(rest, alerts);
            int producedBeforeKill = events.iterations.get();

            cluster.kill(first);
            long killed = System.nanoTime();
            cluster.startTaskManager();
            cluster.await("the job to restart after losing " + first.name(), Duration.ofSeconds(90), () -> {
                try {
                    return cluster.numRestarts(jobId) >= 1;
                } catch (java.io.IOException e) {
                    return false;
                }
            });
            long restarted = System.nanoTime();
            long checkpointsAtRestart = cluster.completedCheckpoints(jobId);
            cluster.awaitJobStatus(jobId, "RUNNING", STARTUP);
            cluster.awaitCompletedCheckpoints(jobId, checkpointsAtRestart + 1, STARTUP);
            long recovered = System.nanoTime();
            awaitUntil(() -> count(rest, alerts) > alertsBeforeKill, STARTUP, "alerts after the restart");
            long alertsResumed = System.nanoTime();

            // Keep the stream going on the new TaskManager for a while, then stop and tick far ahead on every
            // partition so that every execution fires.
            int producedAtRecovery = events.iterations.get();
            awaitUntil(() -> events.iterations.get() >= producedAtRecovery + 100, Duration.ofSeconds(60), "more events");
            events.finish();
            Set<String> expected = events.expectedAlerts;

            awaitUntil(() -> count(rest, alerts) >= expected.size(), STARTUP,
                    expected.size() + " alerts in " + alerts + " (" + count(rest, alerts) + " so far)");
            long complete = System.nanoTime();
            long finalCount = awaitStable(() -> count(rest, alerts), Duration.ofSeconds(4), Duration.ofSeconds(60));

            Set<String> ids = new HashSet<>();
            allHits(rest, alerts).forEach(h -> ids.add(h.get("_id").asText()));
            assertThat(finalCount).isEqualTo(expected.size());
            assertThat(ids).isEqualTo(expected);
            long restarts = cluster.numRestarts(jobId);
            assertThat(restarts).isGreaterThanOrEqualTo(1);
            assertThat(cluster.jobStatus(jobId)).isEqualTo("RUNNING");
            assertThat(cluster.registeredTaskManagers()).doesNotContain(first.name());
            awaitUntil(() -> new HashSet<>(deadLetters(kafka, deadLetterTopic)).containsAll(events.expectedDeadLetters),
                    Duration.ofSeconds(60), "dead letters " + events.expectedDeadLetters);
            assertThat(new HashSet<>(deadLetters(kafka, deadLetterTopic))).isEqualTo(events.expectedDeadLetters);
            long checkpoints = cluster.completedCheckpoints(jobId);
            cluster.cancelJob(jobId);

            System.out.printf("Cluster failover (%s): %d matching of %d events (%d before the kill), %d dead letters;"
                            + " submit to first alerts %.1f s; %d checkpoints and %d alerts before the kill;"
                            + " kill to restart %.1f s, to first checkpoint after it %.1f s, to new alerts %.1f s;"
                            + " %d restart(s), %d checkpoints in all; all %d alerts %.1f s after the last tick;"
                            + " test %.1f s%n",
                    es, expected.size(), 2 * events.iterations.get(), producedBeforeKill / 2, events.expectedDeadLetters.size(),
                    seconds(submitted, firstAlerts), checkpointsBeforeKill, alertsBeforeKill,
                    seconds(killed, restarted), seconds(killed, recovered), seconds(killed, alertsResumed),
                    restarts, checkpoints, finalCount, seconds(events.finished, complete), seconds(started, System.nanoTime()));
        }
    }

    private static double seconds(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1e9;
    }

    /**
     * Events produced in the background, 10 iterations a second, event time 5 s further each: one record on
     * each partition per iteration, a match on every other one (one match per 10 s of event time, well under the
     * rule's 100 alerts an execution), and a bad record every 100 iterations. Bounded: it stops by itself after
     * 3,000 iterations.
     */
    private static final class EventStream implements AutoCloseable {
        private static final int MAX_ITERATIONS = 3000;
        final Set<String> expectedAlerts = ConcurrentHashMap.newKeySet();
        final Set<String> expectedDeadLetters = ConcurrentHashMap.newKeySet();
        final AtomicInteger iterations = new AtomicInteger();
        private final KafkaService kafka;
        private final String topic;
        private final Thread thread;
        private volatile boolean stop;
        private volatile Throwable failure;
        volatile long finished;

        EventStream(KafkaService kafka, String topic) {
            this.kafka = kafka;
            this.topic = topic;
            this.thread = new Thread(this::produce, "failover-events");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        private void produce() {
            try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
                for (int i = 0; i < MAX_ITERATIONS && !stop; i++) {
                    Instant t = T0.plusSeconds(5L * i);
                    int matchPartition = (i / 2) % 2;
                    if (i % 2 == 0) expectedAlerts.add(alertId(send(producer, topic, matchPartition, smtpFlow(t, i))));
                    else send(producer, topic, matchPartition, noise(t, i));
                    send(producer, topic, 1 - matchPartition, noise(t, i + 1));
                    if (i % 100 == 10) expectedDeadLetters.add(deadLetterKey(send(producer, topic, i % 2, badEvent(t))));
                    iterations.incrementAndGet();
                    Thread.sleep(100);
                }
                Instant tick = T0.plusSeconds(5L * iterations.get()).plus(Duration.ofHours(2));
                for (int p = 0; p < 2; p++) send(producer, topic, p, noise(tick, p));
            } catch (Throwable e) {
                failure = e;
            }
        }

        /** Stops producing, sends the final clock ticks and waits for them. */
        void finish() throws InterruptedException {
            stop = true;
            thread.join(30_000);
            assertThat(thread.isAlive()).as("event producer still running").isFalse();
            if (failure != null) throw new AssertionError("producing events failed", failure);
            finished = System.nanoTime();
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(30_000);
        }
    }
}

package org.smtpdetect.job;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.smtpdetect.testing.CapturedLog;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.job.StreamingFixtures.alertId;
import static org.smtpdetect.job.StreamingFixtures.alertIds;
import static org.smtpdetect.job.StreamingFixtures.awaitUntil;
import static org.smtpdetect.job.StreamingFixtures.noise;
import static org.smtpdetect.job.StreamingFixtures.send;
import static org.smtpdetect.job.StreamingFixtures.smtpFlow;
import static org.smtpdetect.job.StreamingFixtures.startStreaming;

/**
 * Topics as sites have them, on a real broker: the defaults read what the beats write (the bare beat name
 * too); named topics that do not exist are named once and read when created; with no topic at all the job
 * waits and says so; and a backlog ends its last executions once every partition is read, not a minute later.
 */
class KafkaTopicsITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    private static final Instant T0 = Instant.parse("2024-06-01T08:00:00Z");

    private static String[] args(String run, String... more) {
        List<String> a = new java.util.ArrayList<>(List.of("--kafka.bootstrap-servers", KafkaService.get().bootstrapServers(),
                "--kafka.group-id", run, "--kafka.starting-offsets", "earliest", "--dead-letter.topic", run + "-dead-letters",
                "--es.hosts", ElasticsearchService.es8().url(), "--es.alert-index", run + "-alerts", "--es.status-index", run + "-executions",
                "--max-out-of-orderness", "10s", "--kafka.partition-discovery-interval", "2s"));
        a.addAll(List.of(more));
        return a.toArray(new String[0]);
    }

    /** {@code n} matches from {@code from} on, then a tick an hour later on every partition; their alert ids. */
    private static Set<String> produce(String topic, int partitions, Instant from, int n) throws Exception {
        Set<String> ids = new HashSet<>();
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(KafkaService.get())) {
            for (int i = 0; i < n; i++) ids.add(alertId(send(producer, topic, i % partitions, smtpFlow(from.plusSeconds(20L * i), i))));
            for (int p = 0; p < partitions; p++) send(producer, topic, p, noise(from.plus(Duration.ofHours(1)), p));
        }
        return ids;
    }

    @Test
    void aPacketbeatOnlySiteStartsWithTheDefaultsAndAlerts() throws Exception {
        String run = "topics-defaults-" + UUID.randomUUID().toString().substring(0, 8);
        KafkaService kafka = KafkaService.get();
        // Packetbeat's Kafka output writes to "packetbeat" unless told otherwise; a suffixed topic is read too.
        kafka.createTopic("packetbeat", 2);
        kafka.createTopic("packetbeat-" + run, 1);
        Set<String> expected = produce("packetbeat", 2, T0, 6);
        expected.addAll(produce("packetbeat-" + run, 1, T0, 4));
        EsRest rest = ElasticsearchService.es8().rest();
        try (CapturedLog log = CapturedLog.capture()) {
            JobClient job = startStreaming(args(run));
            awaitUntil(() -> alertIds(rest, run + "-alerts").containsAll(expected), Duration.ofSeconds(90), "alerts from both topics");
            job.cancel().get();
            assertThat(log.count("INFO", "Reading Kafka topics matching filebeat.*|packetbeat.*|logs-endpoint\\.events\\..*: ")).isEqualTo(1);
            assertThat(log.lines()).noneMatch(l -> l.contains("UnknownTopicOrPartition"))
                    .noneMatch(l -> l.startsWith("WARN org.smtpdetect"));
        }
    }

    @Test
    void namedTopicsThatDoNotExistAreNamedOnceAndReadWhenCreated() throws Exception {
        String run = "topics-named-" + UUID.randomUUID().toString().substring(0, 8);
        String present = run + "-packetbeat";
        String missing = run + "-filebeat";
        KafkaService.get().createTopic(present, 1);
        Set<String> first = produce(present, 1, T0, 3);
        EsRest rest = ElasticsearchService.es8().rest();
        try (CapturedLog log = CapturedLog.capture()) {
            JobClient job = startStreaming(args(run, "--kafka.topics", present + "," + missing));
            awaitUntil(() -> alertIds(rest, run + "-alerts").containsAll(first), Duration.ofSeconds(90), "alerts from the existing topic");
            KafkaService.get().createTopic(missing, 1);
            Set<String> later = produce(missing, 1, T0, 3);
            awaitUntil(() -> alertIds(rest, run + "-alerts").containsAll(later), Duration.ofSeconds(90), "alerts from the topic created later");
            job.cancel().get();
            assertThat(log.count("WARN", "Kafka topics [" + missing + "] do not exist")).isEqualTo(1);
            assertThat(log.count("INFO", "New Kafka topics [" + missing + "] match the subscription")).isEqualTo(1);
            assertThat(alertIds(rest, run + "-alerts")).hasSize(6);
        }
    }

    @Test
    void withNoMatchingTopicTheJobWaitsSaysSoAndReadsTheFirstOne() throws Exception {
        String run = "topics-none-" + UUID.randomUUID().toString().substring(0, 8);
        EsRest rest = ElasticsearchService.es8().rest();
        try (CapturedLog log = CapturedLog.capture()) {
            JobClient job = startStreaming(args(run, "--kafka.topic-pattern", run + "-beat.*"));
            awaitUntil(() -> log.count("WARN", "No Kafka topic on") >= 2, Duration.ofSeconds(60), "the job to say twice that it waits");
            assertThat(job.getJobStatus().get().isGloballyTerminalState()).isFalse();
            KafkaService.get().createTopic(run + "-beat-1", 2);
            Set<String> ids = produce(run + "-beat-1", 2, T0, 4);
            awaitUntil(() -> alertIds(rest, run + "-alerts").containsAll(ids), Duration.ofSeconds(90), "alerts from the first topic");
            job.cancel().get();
        }
    }

    /**
     * Partition 0 holds two hours of events, partition 1 only the first ten minutes: read to its end, partition 1
     * would hold the watermark back for the whole idleness timeout (1 min). Once both are read, the executions up
     * to partition 0's last events fire within seconds.
     */
    @Test
    void aBacklogEndsItsLastExecutionsOnceEveryPartitionIsRead() throws Exception {
        String run = "backlog-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "-packetbeat";
        KafkaService.get().createTopic(topic, 2);
        Set<String> expected = new HashSet<>();
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(KafkaService.get())) {
            for (int i = 0; i < 360; i++) {
                Instant t = T0.plusSeconds(20L * i);
                if (i < 30) expected.add(alertId(send(producer, topic, 1, smtpFlow(t, i))));
                // The last 10 s of partition 0 stay within the out-of-orderness bound: not yet due.
                if (t.isBefore(T0.plus(Duration.ofMinutes(115)))) expected.add(alertId(send(producer, topic, 0, smtpFlow(t, i))));
                else send(producer, topic, 0, noise(t, i));
            }
        }
        EsRest rest = ElasticsearchService.es8().rest();
        long started = System.nanoTime();
        JobClient job = startStreaming(args(run, "--kafka.topics", topic, "--idleness", "1m"));
        awaitUntil(() -> alertIds(rest, run + "-alerts").containsAll(expected), Duration.ofSeconds(50),
                "every due alert before the 1-minute idleness could have released them");
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        job.cancel().get();
        System.out.printf("backlog of %d alerts over 2 h of event time: all written %d s after the start%n", expected.size(), seconds);
    }
}

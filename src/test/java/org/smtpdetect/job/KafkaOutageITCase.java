package org.smtpdetect.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.smtpdetect.testing.CapturedLog;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.job.StreamingFixtures.alertIds;
import static org.smtpdetect.job.StreamingFixtures.awaitUntil;
import static org.smtpdetect.job.StreamingFixtures.smtpFlow;
import static org.smtpdetect.job.StreamingFixtures.startStreaming;

/**
 * The broker is killed with SIGKILL while matching events flow and started again on the same data after 20 s:
 * every event the producer got acknowledged is alerted exactly once, the job never fails, and the outage is one
 * WARN when it starts and one INFO when it ends.
 */
class KafkaOutageITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).setConfiguration(noRestarts()).build());

    /** A job that fails over would hide what this test looks for. */
    private static Configuration noRestarts() {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return c;
    }

    private static final Instant T0 = Instant.parse("2024-06-01T08:00:00Z");

    @Test
    void aBrokerKilledAndRestartedLosesNothingAndIsLoggedOnceEachWay() throws Exception {
        KafkaService kafka = KafkaService.dedicated("outage");
        ElasticsearchService es = ElasticsearchService.es8();
        String run = "kafka-outage-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "-packetbeat";
        kafka.createTopic(topic, 2);
        kafka.createTopic(run + "-dead-letters", 1);
        EsRest rest = es.rest();
        String alerts = run + "-alerts";
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        Map<String, String> positions = new ConcurrentHashMap<>();
        AtomicInteger sent = new AtomicInteger();
        AtomicBoolean producing = new AtomicBoolean(true);
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        try (CapturedLog log = CapturedLog.capture();
             KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            JobClient job = startStreaming("--kafka.bootstrap-servers", kafka.bootstrapServers(), "--kafka.topics", topic,
                    "--kafka.group-id", run, "--kafka.starting-offsets", "earliest", "--dead-letter.topic", run + "-dead-letters",
                    "--es.hosts", es.url(), "--es.alert-index", alerts, "--es.status-index", run + "-executions", "--early-alerts", "true");
            // 20 matching events a second until told to stop, 20 s apart in event time: no execution reaches the
            // rule's cap of 100 alerts.
            Thread events = new Thread(() -> {
                while (producing.get()) {
                    int i = sent.getAndIncrement();
                    producer.send(new ProducerRecord<>(topic, i % 2, null, smtpFlow(T0.plusSeconds(20L * i), i).getBytes(StandardCharsets.UTF_8)),
                            (m, e) -> {
                                if (e == null) {
                                    acknowledged.add(StreamingFixtures.alertId(m));
                                    positions.put(StreamingFixtures.alertId(m), m.partition() + "-" + m.offset());
                                }
                            });
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "events");
            events.start();
            awaitUntil(() -> alertIds(rest, alerts).size() >= 40, Duration.ofSeconds(90), "alerts before the outage");

            kafka.kill();
            long killed = System.nanoTime();
            awaitUntil(() -> log.count("WARN", "Kafka brokers " + kafka.bootstrapServers() + " unreachable") == 1, Duration.ofSeconds(30),
                    "the outage to be reported");
            System.out.printf("broker outage reported %d ms after SIGKILL%n", (System.nanoTime() - killed) / 1_000_000);
            Thread.sleep(20_000); // the outage itself
            kafka.restart();
            long back = System.nanoTime();
            awaitUntil(() -> log.count("INFO", "Kafka brokers " + kafka.bootstrapServers() + " reachable again") == 1, Duration.ofSeconds(30),
                    "the recovery to be reported");
            System.out.printf("broker recovery reported %d ms after it answered again%n", (System.nanoTime() - back) / 1_000_000);
            Thread.sleep(3_000);
            producing.set(false);
            events.join();
            producer.flush();
            int total = acknowledged.size();
            try {
                awaitUntil(() -> alertIds(rest, alerts).containsAll(acknowledged), Duration.ofSeconds(60), "every acknowledged event alerted");
            } catch (AssertionError e) {
                Set<String> missing = new java.util.HashSet<>(acknowledged);
                missing.removeAll(alertIds(rest, alerts));
                throw new AssertionError(missing.size() + " of " + acknowledged.size() + " acknowledged events not alerted; positions "
                        + positions.entrySet().stream().filter(en -> missing.contains(en.getKey())).map(Map.Entry::getValue).sorted().limit(10).toList()
                        + "\n" + String.join("\n", log.lines().stream().filter(l -> l.contains("org.smtpdetect") || l.contains("elasticsearch")).toList()), e);
            }
            System.out.printf("%d of %d events acknowledged; all alerted %d ms after the broker was back%n", total, sent.get(),
                    (System.nanoTime() - back) / 1_000_000);
            assertThat(job.getJobStatus().get().isGloballyTerminalState()).as("the job kept running").isFalse();
            job.cancel().get();

            assertThat(alertIds(rest, alerts)).isEqualTo(acknowledged);
            assertThat(StreamingFixtures.allHits(rest, alerts)).hasSize(acknowledged.size());
            assertThat(log.count("WARN", "unreachable")).isEqualTo(1);
            assertThat(log.count("INFO", "reachable again")).isEqualTo(1);
        } finally {
            kafka.shutdown();
        }
    }
}

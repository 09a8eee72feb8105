package org.smtpdetect.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.alert.AlertIds;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.connectors.kafka.EvaluatingDeserializer;
import org.smtpdetect.rule.RuleLoader;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Beat events produced to a real Kafka broker become alert documents in a real Elasticsearch (7.17 and 8.19),
 * exactly once each, through the job on a MiniCluster at parallelism 2 with checkpoints.
 */
class KafkaToElasticsearchITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RULE_ID = RuleLoader.loadDefault().ruleId();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4)
            .setConfiguration(boundedRestarts()).build());

    private static Configuration boundedRestarts() {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
        c.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        return c;
    }

    /** A matching Packetbeat flow at {@code t}. */
    private static String smtpFlow(Instant t, int i) {
        return "{\"@timestamp\":\"" + t + "\",\"event\":{\"category\":[\"network_traffic\"],\"kind\":\"event\"},"
                + "\"network\":{\"transport\":\"tcp\"},\"source\":{\"ip\":\"10.1.2." + (i % 250) + "\",\"port\":" + (40000 + i) + "},"
                + "\"destination\":{\"ip\":\"203.0.113." + (i % 250) + "\",\"port\":587},\"host\":{\"name\":\"ws-" + i + "\"}}";
    }

    private static String noise(Instant t, int i) {
        return "{\"@timestamp\":\"" + t + "\",\"event\":{\"category\":\"network\"},\"network\":{\"transport\":\"tcp\"},"
                + "\"source\":{\"ip\":\"10.1.2.3\"},\"destination\":{\"ip\":\"10.9.9." + (i % 250) + "\",\"port\":25}}";
    }

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void eventsBecomeAlertsExactlyOnceAndAReplayWritesNoSecondCopy(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        KafkaService kafka = KafkaService.get();
        String run = "k2es-" + version.replace('.', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "-packetbeat";
        String deadLetterTopic = run + "-dead-letters";
        kafka.createTopic(topic, 2);
        kafka.createTopic(deadLetterTopic, 1);

        // 60 matches and 60 non-matches over 20 minutes, two bad records, then a clock tick far ahead on
        // both partitions so every execution fires.
        Set<String> expectedIds = new HashSet<>();
        Set<String> expectedDead = new HashSet<>();
        Instant t0 = Instant.parse("2024-06-01T08:00:00Z");
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < 60; i++) {
                Instant t = t0.plusSeconds(20L * i);
                RecordMetadata m = send(producer, topic, i % 2, smtpFlow(t, i));
                expectedIds.add(AlertIds.alertId(topic, EvaluatingDeserializer.position(m.partition(), m.offset()), "default", RULE_ID));
                send(producer, topic, (i + 1) % 2, noise(t, i));
            }
            RecordMetadata bad = send(producer, topic, 0, "{\"@timestamp\":\"2024-06-01T08:05:00Z\",\"destination\":{\"port\":{\"n\":25}}}");
            expectedDead.add(topic + ":" + EvaluatingDeserializer.position(bad.partition(), bad.offset()));
            bad = send(producer, topic, 1, "not json at all");
            expectedDead.add(topic + ":" + EvaluatingDeserializer.position(bad.partition(), bad.offset()));
            for (int p = 0; p < 2; p++) send(producer, topic, p, noise(t0.plus(Duration.ofHours(2)), p));
        }

        String[] args = {
            "--kafka.bootstrap-servers", kafka.bootstrapServers(), "--kafka.topics", topic, "--kafka.group-id", run,
            "--kafka.starting-offsets", "earliest", "--dead-letter.topic", deadLetterTopic,
            "--es.hosts", es.url(), "--es.alert-index", run + "-alerts", "--es.status-index", run + "-executions",
            "--max-out-of-orderness", "10s", "--idleness", "2s",
        };
        EsRest rest = es.rest();
        String alerts = run + "-alerts";

        JobClient job = start(args);
        awaitUntil(() -> count(rest, alerts) >= expectedIds.size(), Duration.ofSeconds(90), "alerts in " + alerts);
        Thread.sleep(2000); // anything extra would show up now
        job.cancel().get();

        List<JsonNode> hits = allHits(rest, alerts);
        Set<String> ids = new HashSet<>();
        for (JsonNode h : hits) ids.add(h.get("_id").asText());
        assertThat(hits).hasSize(expectedIds.size());
        assertThat(ids).isEqualTo(expectedIds);
        JsonNode one = hits.get(0).get("_source");
        assertThat(one.get("kibana.alert.uuid").asText()).isEqualTo(hits.get(0).get("_id").asText());
        assertThat(one.get("kibana.alert.rule.rule_id").asText()).isEqualTo(RULE_ID);
        assertThat(one.get("kibana.alert.rule.consumer").asText()).isEqualTo("siem");
        assertThat(one.get("event").get("kind").asText()).isEqualTo("signal");
        assertThat(one.get("kibana.alert.ancestors").get(0).get("index").asText()).isEqualTo(topic);
        assertThat(rest.fieldType(alerts, "source.ip")).isEqualTo("ip");
        assertThat(rest.fieldType(alerts, "destination.port")).isEqualTo("long");
        assertThat(rest.fieldType(alerts, "kibana.alert.rule.rule_id")).isEqualTo("keyword");
        assertThat(rest.fieldType(alerts, "kibana.alert.original_time")).isEqualTo("date");

        // A Kibana-style search finds them: the rule id and the source range.
        JsonNode found = rest.post("/" + alerts + "/_count", "{\"query\":{\"bool\":{\"filter\":[{\"term\":{\"kibana.alert.rule.rule_id\":\""
                + RULE_ID + "\"}},{\"term\":{\"source.ip\":\"10.0.0.0/8\"}}]}}}").ok().json();
        assertThat(found.path("count").asInt()).isEqualTo(expectedIds.size());

        String statusIndex = run + "-executions";
        rest.refresh(statusIndex);
        JsonNode statuses = rest.search(statusIndex, "{\"size\":100}");
        int alerted = 0;
        for (JsonNode s : statuses) alerted += s.get("_source").get("alerted").asInt() + s.get("_source").get("late").asInt();
        assertThat(alerted).isEqualTo(expectedIds.size());

        assertThat(deadLetters(kafka, deadLetterTopic)).containsExactlyInAnyOrderElementsOf(expectedDead);

        // Replay the same offsets from the start with a new consumer group: no second copy, no overwrite.
        Map<String, String> createdAt = new java.util.HashMap<>();
        for (JsonNode h : hits) createdAt.put(h.get("_id").asText(), h.get("_source").get("@timestamp").asText());
        args[5] = run + "-replay";
        JobClient replay = start(args);
        awaitUntil(() -> statusCount(rest, statusIndex) > 0 && deadLetters(kafka, deadLetterTopic).size() >= 2 * expectedDead.size(),
                Duration.ofSeconds(90), "the replay to reach its end");
        Thread.sleep(3000);
        replay.cancel().get();
        List<JsonNode> after = allHits(rest, alerts);
        assertThat(after).hasSize(expectedIds.size());
        for (JsonNode h : after) assertThat(h.get("_source").get("@timestamp").asText()).isEqualTo(createdAt.get(h.get("_id").asText()));
    }

    private static JobClient start(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(500);
        env.getConfig().disableGenericTypes();
        JobOptions options = JobOptions.fromArgs(args);
        StreamingJob.define(env, DetectionJob.settings(options, DetectionJob.loadRules(options)), options);
        return env.executeAsync("smtp-to-internet-it");
    }

    private static RecordMetadata send(KafkaProducer<byte[], byte[]> p, String topic, int partition, String value) throws Exception {
        return p.send(new ProducerRecord<>(topic, partition, null, value.getBytes(StandardCharsets.UTF_8))).get();
    }

    private static long count(EsRest rest, String index) {
        try {
            rest.refresh(index);
            return rest.count(index);
        } catch (RuntimeException notYetCreated) {
            return 0;
        }
    }

    private static long statusCount(EsRest rest, String index) {
        return count(rest, index);
    }

    private static List<JsonNode> allHits(EsRest rest, String index) {
        rest.refresh(index);
        List<JsonNode> out = new ArrayList<>();
        rest.search(index, "{\"size\":1000,\"sort\":[\"_doc\"]}").forEach(out::add);
        return out;
    }

    private static List<String> deadLetters(KafkaService kafka, String topic) {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "check-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            c.subscribe(List.of(topic));
            long deadline = System.currentTimeMillis() + 3000;
            while (System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(300))) {
                    JsonNode d = JSON.readTree(r.value());
                    assertThat(d.get("reason").asText()).isNotBlank();
                    out.add(d.get("origin").asText() + ":" + d.get("position").asText());
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static void awaitUntil(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(250);
        }
    }
}

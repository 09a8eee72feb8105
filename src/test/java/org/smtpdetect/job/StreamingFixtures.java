package org.smtpdetect.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.smtpdetect.alert.AlertIds;
import org.smtpdetect.connectors.kafka.EvaluatingDeserializer;
import org.smtpdetect.rule.RuleLoader;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the end-to-end tests of the streaming job share: beat events to produce, the alert ids and dead-letter
 * coordinates they must lead to, and reads of Kafka and Elasticsearch to check the outcome.
 */
final class StreamingFixtures {
    static final String RULE_ID = RuleLoader.loadDefault().ruleId();
    private static final ObjectMapper JSON = new ObjectMapper();

    private StreamingFixtures() {}

    /**
     * One streaming run's names: a 2-partition topic of events, a dead-letter topic (both created) and the alert
     * and status indices, all prefixed with {@code id}.
     */
    record Run(String id, String topic, String deadLetters, String alerts, String statuses) {
        static Run create(String prefix, KafkaService kafka) {
            String id = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
            Run run = new Run(id, id + "-packetbeat", id + "-dead-letters", id + "-alerts", id + "-executions");
            kafka.createTopic(run.topic, 2);
            kafka.createTopic(run.deadLetters, 1);
            return run;
        }

        /** The job's arguments for this run from the earliest offsets, with a 10 s watermark bound, and {@code extra}. */
        String[] args(KafkaService kafka, org.smtpdetect.testing.ElasticsearchService es, String... extra) {
            List<String> args = new ArrayList<>(List.of(
                    "--kafka.bootstrap-servers", kafka.bootstrapServers(), "--kafka.topics", topic, "--kafka.group-id", id,
                    "--kafka.starting-offsets", "earliest", "--dead-letter.topic", deadLetters,
                    "--es.hosts", es.url(), "--es.alert-index", alerts, "--es.status-index", statuses,
                    "--max-out-of-orderness", "10s", "--idleness", "2s"));
            args.addAll(List.of(extra));
            return args.toArray(new String[0]);
        }
    }

    /** A matching Packetbeat flow at {@code t}: internal host to an Internet host on port 587. */
    static String smtpFlow(Instant t, int i) {
        return "{\"@timestamp\":\"" + t + "\",\"event\":{\"category\":[\"network_traffic\"],\"kind\":\"event\"},"
                + "\"network\":{\"transport\":\"tcp\"},\"source\":{\"ip\":\"10.1.2." + (i % 250) + "\",\"port\":" + (40000 + i) + "},"
                + "\"destination\":{\"ip\":\"203.0.113." + (i % 250) + "\",\"port\":587},\"host\":{\"name\":\"ws-" + i + "\"}}";
    }

    /** A non-matching flow at {@code t} (internal destination); also serves as a clock tick. */
    static String noise(Instant t, int i) {
        return "{\"@timestamp\":\"" + t + "\",\"event\":{\"category\":\"network\"},\"network\":{\"transport\":\"tcp\"},"
                + "\"source\":{\"ip\":\"10.1.2.3\"},\"destination\":{\"ip\":\"10.9.9." + (i % 250) + "\",\"port\":25}}";
    }

    /** A record that parses as JSON but not as an event: {@code destination.port} is an object. */
    static String badEvent(Instant t) {
        return "{\"@timestamp\":\"" + t + "\",\"destination\":{\"port\":{\"n\":25}}}";
    }

    /** A mini cluster with {@code slots} slots whose jobs restart at most twice, quickly: a broken job fails its test. */
    static org.apache.flink.test.junit5.MiniClusterExtension miniCluster(int slots) {
        org.apache.flink.configuration.Configuration c = new org.apache.flink.configuration.Configuration();
        c.set(org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        c.set(org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 2);
        c.set(org.apache.flink.configuration.RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(200));
        return new org.apache.flink.test.junit5.MiniClusterExtension(
                new org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration.Builder()
                        .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(slots).setConfiguration(c).build());
    }

    static KafkaProducer<byte[], byte[]> producer(KafkaService kafka) {
        return new KafkaProducer<>(kafka.clientProperties(), new ByteArraySerializer(), new ByteArraySerializer());
    }

    static RecordMetadata send(KafkaProducer<byte[], byte[]> p, String topic, int partition, String value) throws Exception {
        return p.send(new ProducerRecord<>(topic, partition, null, value.getBytes(StandardCharsets.UTF_8))).get();
    }

    /** The id of the alert the rule raises (in the default space) for the record at {@code m}. */
    static String alertId(RecordMetadata m) {
        return alertId(m, "default");
    }

    /** The id of the alert the rule raises in Kibana space {@code space} for the record at {@code m}. */
    static String alertId(RecordMetadata m, String space) {
        return AlertIds.alertId(m.topic(), EvaluatingDeserializer.position(m.partition(), m.offset()), space, RULE_ID);
    }

    /** {@code origin:position} of the dead letter for the record at {@code m}, as {@link #deadLetters} lists them. */
    static String deadLetterKey(RecordMetadata m) {
        return m.topic() + ":" + EvaluatingDeserializer.position(m.partition(), m.offset());
    }

    /** Documents in {@code index}, 0 while it does not exist. */
    static long count(EsRest rest, String index) {
        try {
            return rest.count(index);
        } catch (RuntimeException notYetCreated) {
            return 0;
        }
    }

    /** Every document of {@code index} (at most 10,000). */
    static List<JsonNode> allHits(EsRest rest, String index) {
        List<JsonNode> out = new ArrayList<>();
        rest.search(index, "{\"size\":10000,\"sort\":[\"_doc\"]}").forEach(out::add);
        return out;
    }

    /** Sum of {@code alerted + late} over the execution status records of {@code index}. */
    static int alertedInStatusRecords(EsRest rest, String index) {
        int alerted = 0;
        for (JsonNode s : rest.search(index, "{\"size\":10000}")) {
            alerted += s.get("_source").get("alerted").asInt() + s.get("_source").get("late").asInt();
        }
        return alerted;
    }

    /** {@code origin:position} of every dead letter in {@code topic}, repeats included. */
    static List<String> deadLetters(KafkaService kafka, String topic) {
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
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    /** Offsets the consumer group {@code group} has committed on {@code topic}, by partition. */
    static Map<Integer, Long> committedOffsets(KafkaService kafka, String group) {
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            Map<Integer, Long> out = new TreeMap<>();
            offsets.forEach((tp, om) -> {
                if (om != null) out.put(tp.partition(), om.offset());
            });
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the offsets of group " + group, e);
        }
    }

    /** The end offset of each partition of {@code topic}. */
    static Map<Integer, Long> endOffsets(KafkaService kafka, String topic, int partitions) {
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            Map<TopicPartition, OffsetSpec> request = new java.util.HashMap<>();
            for (int p = 0; p < partitions; p++) request.put(new TopicPartition(topic, p), OffsetSpec.latest());
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result = admin.listOffsets(request).all().get(30, TimeUnit.SECONDS);
            Map<Integer, Long> out = new TreeMap<>();
            result.forEach((tp, info) -> out.put(tp.partition(), info.offset()));
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the end offsets of " + topic, e);
        }
    }

    /** Starts the streaming job on the MiniCluster of the calling test: parallelism 2, checkpoints every 500 ms. */
    static org.apache.flink.core.execution.JobClient startStreaming(String... args) throws Exception {
        org.apache.flink.streaming.api.environment.StreamExecutionEnvironment env =
                org.apache.flink.streaming.api.environment.StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.enableCheckpointing(500);
        env.getConfig().disableGenericTypes();
        org.smtpdetect.config.JobOptions options = org.smtpdetect.config.JobOptions.fromArgs(args);
        StreamingJob.define(env, DetectionJob.settings(options, DetectionJob.loadRules(options)), options);
        return env.executeAsync("smtp-to-internet-it");
    }

    /** The alert ids in {@code index} (at most 10,000). */
    static java.util.Set<String> alertIds(EsRest rest, String index) {
        java.util.Set<String> ids = new java.util.HashSet<>();
        try {
            for (JsonNode h : allHits(rest, index)) ids.add(h.get("_id").asText());
        } catch (RuntimeException notYetCreated) {
            // none yet
        }
        return ids;
    }

    /**
     * An environment for the streaming job on the test's MiniCluster: parallelism 2, checkpoints every 500 ms under
     * {@code dir}, no Kryo; restored from {@code savepoint} (unclaimed state refused) unless it is null.
     */
    static StreamExecutionEnvironment streamingEnvironment(Path dir, String savepoint) {
        Configuration conf = new Configuration();
        conf.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.resolve("checkpoints").toUri().toString());
        if (savepoint != null) {
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint);
            conf.set(StateRecoveryOptions.SAVEPOINT_IGNORE_UNCLAIMED_STATE, false);
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        env.enableCheckpointing(500);
        env.getConfig().disableGenericTypes();
        return env;
    }

    static void awaitUntil(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            Thread.sleep(250);
        }
    }

    /** Waits until {@code value} has not changed for {@code quiet} and returns it. */
    static long awaitStable(java.util.function.LongSupplier value, Duration quiet, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long last = value.getAsLong();
        long since = System.nanoTime();
        while (System.nanoTime() < deadline) {
            Thread.sleep(250);
            long now = value.getAsLong();
            if (now != last) {
                last = now;
                since = System.nanoTime();
            } else if (System.nanoTime() - since >= quiet.toNanos()) {
                return now;
            }
        }
        throw new AssertionError("value still changing after " + timeout + " (last " + last + ")");
    }
}

package org.smtpdetect.connectors.kafka;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceBuilder;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.connectors.SinkDocument;
import org.smtpdetect.job.EvaluatedEvent;
import org.smtpdetect.rule.Rule;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;

/** Builds the Kafka source of beat events and the Kafka dead-letter sink from the job options. */
public final class KafkaConnectors {
    private KafkaConnectors() {}

    public static KafkaSource<EvaluatedEvent> source(JobOptions o, List<Rule> rules, String timestampField) {
        KafkaSourceBuilder<EvaluatedEvent> b = KafkaSource.<EvaluatedEvent>builder()
                .setBootstrapServers(o.text("kafka.bootstrap-servers"))
                .setGroupId(o.text("kafka.group-id"))
                .setStartingOffsets(startingOffsets(o.text("kafka.starting-offsets")))
                .setDeserializer(new EvaluatingDeserializer(rules, timestampField))
                .setProperties(clientProperties(o))
                .setProperty("partition.discovery.interval.ms", Long.toString(o.duration("kafka.partition-discovery-interval").toMillis()))
                .setProperty("commit.offsets.on.checkpoint", "true")
                .setProperty("client.id.prefix", o.text("kafka.group-id"));
        if (!o.text("kafka.topic-pattern").isEmpty()) {
            b.setTopicPattern(Pattern.compile(o.text("kafka.topic-pattern")));
        } else {
            b.setTopics(o.list("kafka.topics"));
        }
        return b.build();
    }

    static OffsetsInitializer startingOffsets(String spec) {
        switch (spec) {
            case "earliest": return OffsetsInitializer.earliest();
            case "latest": return OffsetsInitializer.latest();
            case "committed": return OffsetsInitializer.committedOffsets(OffsetResetStrategy.EARLIEST);
            default: return OffsetsInitializer.timestamp(Long.parseLong(spec.substring("timestamp:".length())));
        }
    }

    /** Dead letters to a Kafka topic, keyed by their deterministic id; at least once. */
    public static KafkaSink<SinkDocument> deadLetterSink(JobOptions o) {
        String topic = o.text("dead-letter.topic");
        return KafkaSink.<SinkDocument>builder()
                .setBootstrapServers(o.text("kafka.bootstrap-servers"))
                .setKafkaProducerConfig(clientProperties(o))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setRecordSerializer(KafkaRecordSerializationSchema.<SinkDocument>builder()
                        .setTopic(topic)
                        .setKeySerializationSchema(d -> d.id == null ? null : d.id.getBytes(StandardCharsets.UTF_8))
                        .setValueSerializationSchema(d -> d.json.getBytes(StandardCharsets.UTF_8))
                        .build())
                .build();
    }

    /** Pass-through client properties ({@code kafka.property.*}): security.protocol, sasl.*, ssl.* ... */
    public static Properties clientProperties(JobOptions o) {
        Properties p = new Properties();
        p.putAll(o.kafkaProperties());
        return p;
    }
}

package org.smtpdetect.connectors.kafka;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.KafkaSourceOptions;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.kafka.clients.consumer.OffsetResetStrategy;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.connectors.SinkDocument;
import org.smtpdetect.rule.EvaluatedEvent;
import org.smtpdetect.rule.Rule;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/** Builds the Kafka source of beat events and the Kafka dead-letter sink from the job options. */
public final class KafkaConnectors {
    private KafkaConnectors() {}

    /** The beat-event source: the subscription of {@link TopicSubscription}, watched by {@link MonitoredKafkaSource}. */
    public static MonitoredKafkaSource<EvaluatedEvent> source(JobOptions o, List<Rule> rules, String timestampField) {
        TopicSubscription subscription = subscription(o, rules);
        KafkaSource<EvaluatedEvent> source = KafkaSource.<EvaluatedEvent>builder()
                .setBootstrapServers(o.text("kafka.bootstrap-servers"))
                .setGroupId(o.text("kafka.group-id"))
                .setKafkaSubscriber(subscription)
                .setStartingOffsets(startingOffsets(o.text("kafka.starting-offsets")))
                .setDeserializer(new EvaluatingDeserializer(rules, timestampField))
                .setProperties(KafkaClientProperties.consumer(o))
                .setProperty(KafkaSourceOptions.PARTITION_DISCOVERY_INTERVAL_MS.key(), Long.toString(o.duration("kafka.partition-discovery-interval").toMillis()))
                .setProperty(KafkaSourceOptions.COMMIT_OFFSETS_ON_CHECKPOINT.key(), "true")
                .setProperty(KafkaSourceOptions.CLIENT_ID_PREFIX.key(), o.text("kafka.group-id"))
                .build();
        return new MonitoredKafkaSource<>(source, KafkaClientProperties.admin(o), subscription, o.duration("kafka.partition-discovery-interval"));
    }

    /** What the job subscribes to: the options' topics or pattern, else the rules' index patterns. */
    public static TopicSubscription subscription(JobOptions o, List<Rule> rules) {
        List<String> indexPatterns = new ArrayList<>();
        for (Rule r : rules) indexPatterns.addAll(r.index());
        return TopicSubscription.of(o, indexPatterns);
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
                .setKafkaProducerConfig(KafkaClientProperties.producer(o))
                .setDeliveryGuarantee(DeliveryGuarantee.AT_LEAST_ONCE)
                .setRecordSerializer(KafkaRecordSerializationSchema.<SinkDocument>builder()
                        .setTopic(topic)
                        .setKeySerializationSchema(d -> d.id == null ? null : d.id.getBytes(StandardCharsets.UTF_8))
                        .setValueSerializationSchema(d -> d.json.getBytes(StandardCharsets.UTF_8))
                        .build())
                .build();
    }

    /** The producer's share of the {@code kafka.property.*} options (security.protocol, sasl.*, ssl.* ...). */
    public static Properties producerProperties(JobOptions o) {
        return KafkaClientProperties.producer(o);
    }
}

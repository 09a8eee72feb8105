package org.smtpdetect.connectors.kafka;

import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.smtpdetect.rule.EvaluatedEvent;
import org.smtpdetect.rule.EventEvaluator;
import org.smtpdetect.rule.Rule;

import java.util.List;

/**
 * Parses and evaluates each Kafka record's value inside the source reader, straight from the raw bytes. Never
 * throws (a throwing deserializer fails the task): bad records come out as dead letters. Coordinates are the
 * topic and {@code partition-offset}.
 */
public final class EvaluatingDeserializer implements KafkaRecordDeserializationSchema<EvaluatedEvent> {
    private static final long serialVersionUID = 1L;

    private final List<Rule> rules;
    private final String timestampField;
    private transient EventEvaluator evaluator;
    /**
     * The record handed to the collector, filled anew each time: Flink's Kafka source emits it through the chain
     * before the next record is read (copied there unless object reuse is on, when the chained router reads it
     * and keeps nothing of it).
     */
    private transient EvaluatedEvent reused;

    public EvaluatingDeserializer(List<Rule> rules, String timestampField) {
        this.rules = List.copyOf(rules);
        this.timestampField = timestampField;
    }

    @Override
    public void open(DeserializationSchema.InitializationContext context) {
        evaluator = new EventEvaluator(rules, timestampField);
    }

    @Override
    public void deserialize(ConsumerRecord<byte[], byte[]> record, Collector<EvaluatedEvent> out) {
        if (evaluator == null) evaluator = new EventEvaluator(rules, timestampField);
        if (reused == null) reused = new EvaluatedEvent();
        byte[] value = record.value();
        EvaluatedEvent e = evaluator.evaluate(value, 0, value == null ? 0 : value.length, record.topic(), reused);
        if (e.needsPosition()) e.position = position(record.partition(), record.offset());
        out.collect(e);
    }

    public static String position(int partition, long offset) {
        return partition + "-" + offset;
    }

    @Override
    public TypeInformation<EvaluatedEvent> getProducedType() {
        return TypeInformation.of(EvaluatedEvent.class);
    }
}

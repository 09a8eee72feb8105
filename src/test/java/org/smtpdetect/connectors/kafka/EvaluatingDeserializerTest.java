package org.smtpdetect.connectors.kafka;

import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.smtpdetect.connectors.SourceRecords;
import org.smtpdetect.rule.EvaluatedEvent;
import org.smtpdetect.rule.RuleLoader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EvaluatingDeserializerTest {
    private static final String MATCH = "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"event\":{\"category\":\"network\"},\"network\":{\"transport\":\"tcp\"},"
            + "\"source\":{\"ip\":\"10.1.2.3\"},\"destination\":{\"ip\":\"8.8.8.8\",\"port\":25}}";
    private static final String MISS = "{\"@timestamp\":\"2024-05-01T10:00:01Z\",\"event\":{\"category\":\"process\"}}";

    /** What Flink does with each collected record before the next one: reads (here: copies) it. */
    private static final class Copying implements Collector<EvaluatedEvent> {
        final List<EvaluatedEvent> events = new ArrayList<>();

        @Override
        public void collect(EvaluatedEvent e) {
            events.add(SourceRecords.copyOf(e));
        }

        @Override
        public void close() {
        }
    }

    @Test
    void eachRecordIsEvaluatedOnItsOwnWithCoordinatesOnlyWhereNeeded() {
        EvaluatingDeserializer d = new EvaluatingDeserializer(List.of(RuleLoader.loadDefault()), "@timestamp");
        Copying out = new Copying();
        String[] values = {MATCH, MISS, "{broken", null, MISS, MATCH};
        for (int i = 0; i < values.length; i++) {
            byte[] v = values[i] == null ? null : values[i].getBytes(StandardCharsets.UTF_8);
            d.deserialize(new ConsumerRecord<>("packetbeat", 1, 100 + i, null, v), out);
        }
        List<EvaluatedEvent> e = out.events;
        assertThat(e).extracting(x -> x.matchedRules == null ? 0 : x.matchedRules.length).containsExactly(1, 0, 0, 0, 0, 1);
        assertThat(e).extracting(x -> x.position).containsExactly("1-100", null, "1-102", "1-103", null, "1-105");
        assertThat(e).extracting(x -> x.error == null).containsExactly(true, true, false, false, true, true);
        assertThat(e.get(1).raw).as("a non-match carries nothing of the match before it").isNull();
        assertThat(e.get(4).error).as("nor of the dead letter before it").isNull();
        assertThat(new String(e.get(5).raw, StandardCharsets.UTF_8)).isEqualTo(MATCH);
        assertThat(e).extracting(x -> x.origin).containsOnly("packetbeat");
    }
}

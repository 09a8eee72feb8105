package org.smtpdetect.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleLoader;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AlertDocumentsTest {
    private static final Rule RULE = RuleLoader.loadDefault();
    private static final String EVENT = "{\"@timestamp\":\"2024-05-01T10:11:12.345Z\",\"event\":{\"category\":[\"network\"],\"kind\":\"event\",\"dataset\":\"flow\"},"
            + "\"network.transport\":\"tcp\",\"source\":{\"ip\":\"10.1.2.3\",\"port\":51544},\"destination\":{\"ip\":\"203.0.113.9\",\"port\":25},"
            + "\"host\":{\"name\":\"host-1\"},\"destination.bytes\":10}";

    private ObjectNode alert(String event, boolean late) {
        return new AlertDocuments(RULE, "default").build(event.getBytes(StandardCharsets.UTF_8),
                new AlertDocuments.Provenance("abc", "packetbeat", "1-42", Instant.parse("2024-05-01T10:15:00Z").toEpochMilli(), late, List.of("destination.ip")),
                Instant.parse("2024-05-01T10:11:13Z"));
    }

    @Test
    void carriesWhatKibanaNeedsToShowAndFilterTheAlert() {
        ObjectNode a = alert(EVENT, false);
        assertThat(a.get("@timestamp").asText()).isEqualTo("2024-05-01T10:11:13Z");
        assertThat(a.get("kibana.alert.original_time").asText()).isEqualTo("2024-05-01T10:11:12.345Z");
        assertThat(a.get("kibana.alert.uuid").asText()).isEqualTo("abc");
        assertThat(a.get("event").get("kind").asText()).isEqualTo("signal");
        assertThat(a.get("kibana.alert.original_event.kind").asText()).isEqualTo("event");
        assertThat(a.get("kibana.alert.original_event.dataset").asText()).isEqualTo("flow");
        assertThat(a.get("kibana.alert.rule.consumer").asText()).isEqualTo("siem");
        assertThat(a.get("kibana.alert.rule.rule_type_id").asText()).isEqualTo("siem.queryRule");
        assertThat(a.get("kibana.space_ids").get(0).asText()).isEqualTo("default");
        assertThat(a.get("kibana.alert.rule.rule_id").asText()).isEqualTo(RULE.ruleId());
        assertThat(a.get("kibana.alert.rule.max_signals").asInt()).isEqualTo(100);
        assertThat(a.get("kibana.alert.rule.interval").asText()).isEqualTo("5m");
        assertThat(a.get("kibana.alert.rule.from").asText()).isEqualTo("now-9m");
        assertThat(a.get("kibana.alert.rule.threat").get(1).get("technique").get(0).get("id").asText()).isEqualTo("T1048");
        assertThat(a.get("kibana.alert.severity").asText()).isEqualTo("low");
        assertThat(a.get("kibana.alert.risk_score").asInt()).isEqualTo(21);
        assertThat(a.get("kibana.alert.status").asText()).isEqualTo("active");
        assertThat(a.get("kibana.alert.workflow_status").asText()).isEqualTo("open");
        assertThat(a.get("kibana.alert.depth").asInt()).isEqualTo(1);
        JsonNode ancestor = a.get("kibana.alert.ancestors").get(0);
        assertThat(ancestor.get("id").asText()).isEqualTo("1-42");
        assertThat(ancestor.get("index").asText()).isEqualTo("packetbeat");
        assertThat(ancestor.get("type").asText()).isEqualTo("event");
        assertThat(ancestor.get("depth").asInt()).isZero();
        assertThat(a.get("kibana.alert.reason").asText())
                .isEqualTo("network event with source 10.1.2.3:51544, destination 203.0.113.9:25, on host-1 created low alert SMTP to the Internet.");
        assertThat(a.get("detection.late").asBoolean()).isFalse();
        assertThat(a.get("detection.ignored_fields").get(0).asText()).isEqualTo("destination.ip");
        assertThat(a.get("detection.execution_time").asText()).isEqualTo("2024-05-01T10:15:00Z");
        assertThat(a.has("signal")).isFalse();
    }

    @Test
    void copiesSourceFieldsWithDottedKeysExpanded() {
        ObjectNode a = alert(EVENT, true);
        assertThat(a.get("network").get("transport").asText()).isEqualTo("tcp");
        assertThat(a.get("destination").get("bytes").asInt()).isEqualTo(10);
        assertThat(a.get("destination").get("port").asInt()).isEqualTo(25);
        assertThat(a.get("detection.late").asBoolean()).isTrue();
    }

    @Test
    void reasonLeavesOutWhatTheEventLacks() {
        ObjectNode a = alert("{\"@timestamp\":1714558272345,\"event\":{\"dataset\":\"zeek.smtp\"},\"source\":{\"ip\":\"10.1.2.3\"}}", false);
        assertThat(a.get("kibana.alert.reason").asText()).isEqualTo("event with source 10.1.2.3, created low alert SMTP to the Internet.");
        assertThat(a.get("kibana.alert.original_time").asText()).isEqualTo("2024-05-01T10:11:12.345Z");
    }

    @Test
    void alertIdsAreDeterministicAndSeparateCoordinates() {
        String id = AlertIds.alertId("packetbeat", "1-42", "default", RULE.ruleId());
        assertThat(id).hasSize(64).isEqualTo(AlertIds.alertId("packetbeat", "1-42", "default", RULE.ruleId()));
        assertThat(AlertIds.alertId("packetbeat1", "-42", "default", RULE.ruleId())).isNotEqualTo(id);
        assertThat(AlertIds.alertId("packetbeat", "1-42", "soc", RULE.ruleId())).isNotEqualTo(id);
    }
}

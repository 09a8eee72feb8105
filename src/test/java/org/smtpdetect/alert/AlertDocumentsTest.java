package org.smtpdetect.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper STRICT = new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
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
        // Kibana (reason_formatters.ts 0533da2631) reads _source, where a port stored as a JSON number counts as absent.
        assertThat(a.get("kibana.alert.reason").asText())
                .isEqualTo("network event with source 10.1.2.3 destination 203.0.113.9 on host-1 created low alert SMTP to the Internet.");
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
        assertThat(a.get("kibana.alert.reason").asText()).isEqualTo("event with source 10.1.2.3 created low alert SMTP to the Internet.");
        assertThat(a.get("kibana.alert.original_time").asText()).isEqualTo("2024-05-01T10:11:12.345Z");
    }

    @Test
    void writesTheFieldsKibanaWritesForAQueryRule() {
        ObjectNode a = alert(EVENT, false);
        assertThat(a.get("kibana.alert.rule.uuid").asText()).isEqualTo(RULE.ruleId());
        assertThat(a.get("kibana.alert.rule.execution.type").asText()).isEqualTo("scheduled");
        assertThat(a.get("kibana.alert.intended_timestamp").asText()).isEqualTo(a.get("@timestamp").asText());
        assertThat(a.get("kibana.alert.rule.execution.timestamp").asText()).as("write time").isEqualTo("2024-05-01T10:11:13Z");
        assertThat(a.get("kibana.alert.rule.execution.uuid").asText())
                .isEqualTo(AlertIds.executionUuid("default", RULE.ruleId(), Instant.parse("2024-05-01T10:15:00Z").toEpochMilli()))
                .matches("[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        assertThat(a.get("kibana.alert.workflow_tags").isArray()).isTrue();
        assertThat(a.get("kibana.alert.workflow_tags")).isEmpty();
        assertThat(a.get("kibana.alert.workflow_assignee_ids")).isEmpty();
        JsonNode params = a.get("kibana.alert.rule.parameters");
        assertThat(params.get("rule_id").asText()).isEqualTo(RULE.ruleId());
        assertThat(params.get("query").asText()).isEqualTo(RULE.query());
        assertThat(params.get("language").asText()).isEqualTo("kuery");
        assertThat(params.get("type").asText()).isEqualTo("query");
        assertThat(params.get("index").toString()).isEqualTo("[\"filebeat-*\",\"packetbeat-*\",\"logs-endpoint.events.*\"]");
        assertThat(params.get("risk_score").asInt()).isEqualTo(21);
        assertThat(params.get("max_signals").asInt()).isEqualTo(100);
        assertThat(params.get("from").asText()).isEqualTo("now-9m");
        assertThat(params.get("to").asText()).isEqualTo("now");
        assertThat(params.get("threat").get(0).get("tactic").get("id").asText()).isEqualTo("TA0011");
        assertThat(params.has("output_index")).isFalse();
        assertThat(params.fieldNames()).toIterable().allMatch(n -> n.equals(n.toLowerCase()), "snake_case");
        assertThat(a.get("detection.stripped_fields")).isEmpty();
    }

    @Test
    void kibanaRuleUuidIsTheSavedObjectIdWhenGiven() {
        ObjectNode a = new AlertDocuments(RULE, "soc", "5f1e7a40-0c4e-11ef-9d2f-3b1e0d4f9a10").build(EVENT.getBytes(StandardCharsets.UTF_8),
                new AlertDocuments.Provenance("abc", "packetbeat", "1-42", 0L, false, List.of()), Instant.EPOCH);
        assertThat(a.get("kibana.alert.rule.uuid").asText()).isEqualTo("5f1e7a40-0c4e-11ef-9d2f-3b1e0d4f9a10");
        assertThat(a.get("kibana.alert.rule.rule_id").asText()).isEqualTo(RULE.ruleId());
        assertThat(a.get("kibana.alert.uuid").asText()).as("alert ids do not depend on it").isEqualTo("abc");
    }

    @Test
    void executionUuidsAreOnePerSpaceRuleAndExecution() {
        String id = AlertIds.executionUuid("default", RULE.ruleId(), 1_714_558_500_000L);
        assertThat(AlertIds.executionUuid("default", RULE.ruleId(), 1_714_558_500_000L)).isEqualTo(id);
        assertThat(AlertIds.executionUuid("default", RULE.ruleId(), 1_714_558_800_000L)).isNotEqualTo(id);
        assertThat(AlertIds.executionUuid("soc", RULE.ruleId(), 1_714_558_500_000L)).isNotEqualTo(id);
        assertThat(AlertIds.executionUuid("default", "other-rule", 1_714_558_500_000L)).isNotEqualTo(id);
    }

    @Test
    void stripsWhatDoesNotFitTheAlertIndexAndRecordsIt() {
        ObjectNode a = alert("{\"@timestamp\":\"2024-05-01T10:11:12Z\",\"destination\":{\"ip\":\"mail.example.com\",\"port\":\"25\"},"
                + "\"source.ip\":\"10.1.2.3\",\"kibana\":{\"alert\":{\"uuid\":\"forged\"}},\"event\":{\"created\":true,\"category\":\"network\"},"
                + "\"data_stream\":{\"type\":\"logs\",\"dataset\":\"zeek.smtp\",\"namespace\":\"default\"}}", false);
        assertThat(a.get("detection.stripped_fields").toString()).isEqualTo("[\"destination.ip\",\"kibana\",\"event.created\"]");
        assertThat(a.get("destination").has("ip")).isFalse();
        assertThat(a.get("destination").get("port").asText()).isEqualTo("25");
        assertThat(a.get("source").get("ip").asText()).as("dotted keys expanded").isEqualTo("10.1.2.3");
        assertThat(a.get("kibana.alert.uuid").asText()).isEqualTo("abc");
        assertThat(a.get("event").has("created")).isFalse();
        assertThat(a.get("event").get("kind").asText()).isEqualTo("signal");
        assertThat(a.has("kibana.alert.original_event.created")).isFalse();
        assertThat(a.get("kibana.alert.original_event.category").asText()).isEqualTo("network");
        assertThat(a.get("kibana.alert.original_data_stream.dataset").asText()).isEqualTo("zeek.smtp");
        assertThat(a.get("kibana.alert.original_data_stream.namespace").asText()).isEqualTo("default");
        // The reason reads the event as it came, before stripping (as Kibana reads the hit).
        assertThat(a.get("kibana.alert.reason").asText())
                .isEqualTo("network event with source 10.1.2.3 destination mail.example.com:25, created low alert SMTP to the Internet.");
    }

    /** Kibana's reason_formatter.test.ts (0533da2631) cases, on a query rule named my-rule with severity medium. */
    @Test
    void reasonFollowsKibanasWording() {
        String full = "{\"destination.ip\":\"9.99.99.9\",\"destination.port\":\"6789\",\"event.category\":\"test\",\"file.name\":\"sample\","
                + "\"host.name\":\"host\",\"process.name\":\"doingThings.exe\",\"process.parent.name\":\"didThings.exe\","
                + "\"source.ip\":\"1.11.11.1\",\"source.port\":\"1234\",\"user.name\":\"test-user\"}";
        assertThat(reason(full)).isEqualTo("test event with process doingThings.exe, parent process didThings.exe, file sample,"
                + " source 1.11.11.1:1234, destination 9.99.99.9:6789, by test-user on host created medium alert my-rule.");
        assertThat(reason(full.replace("\"test\"", "[\"test\"]").replace("\"1234\"", "[\"1234\"]")))
                .as("array-wrapped values").isEqualTo(reason(full));
        assertThat(reason(full.replace("\"test\"", "[\"item one\",\"item two\"]"))).startsWith("item one, item two event with");
        assertThat(reason(full.replace("\"host\"", "[\"-\"]"))).endsWith("by test-user created medium alert my-rule.");
        assertThat(reason(full.replace("\"test-user\"", "[\"-\"]"))).endsWith("destination 9.99.99.9:6789, on host created medium alert my-rule.");
        assertThat(reason(full.replace("\"6789\"", "[\"-\"]"))).contains("source 1.11.11.1:1234, destination 9.99.99.9 by test-user");
        assertThat(reason(full.replace("\"9.99.99.9\"", "\"-\"").replace("\"6789\"", "\"-\""))).contains("source 1.11.11.1:1234, by test-user");
        assertThat(reason(full.replace("\"1234\"", "[\"-\"]"))).contains("source 1.11.11.1 destination 9.99.99.9:6789, by");
        assertThat(reason(full.replace("\"1.11.11.1\"", "\"-\"").replace("\"1234\"", "\"-\""))).contains("file sample, destination 9.99.99.9:6789, by");
        assertThat(reason(full.replace("\"doingThings.exe\"", "\"-\"").replace("\"didThings.exe\"", "\"-\"")))
                .startsWith("test event with file sample, source");
        assertThat(reason("{\"event.category\":[\"test\"],\"user.name\":[\"test-user\"]}")).isEqualTo("test event by test-user created medium alert my-rule.");
        // Absent: "", [], null, numbers (no length in _source); present: nested and dotted spellings alike.
        assertThat(reason("{\"source\":{\"ip\":\"\",\"port\":25},\"destination\":{\"ip\":[],\"port\":null},\"host\":{\"name\":\"h\"}}"))
                .isEqualTo("event on h created medium alert my-rule.");
        assertThat(reason("{\"source\":{\"port\":\"25\"}}")).as("a port without an address, as Kibana prints it")
                .isEqualTo("event with:25, created medium alert my-rule.");
    }

    private static String reason(String source) {
        try {
            return KibanaReason.of(new com.fasterxml.jackson.databind.ObjectMapper().readTree(source), "medium", "my-rule");
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void jsonTextIsTheBuiltDocumentWithTheRuleFieldsSplicedIn() throws Exception {
        AlertDocuments docs = new AlertDocuments(RULE, "default", "5f1e7a40-0c4e-11ef-9d2f-3b1e0d4f9a10");
        Instant at = Instant.parse("2024-05-01T10:15:01Z");
        int n = 0;
        for (AlertCorpus.Case c : AlertCorpus.matchingEvents()) {
            AlertDocuments.Provenance p = new AlertDocuments.Provenance("id-" + n, "corpus", c.name(), at.toEpochMilli(), n % 2 == 0,
                    List.of("destination.port"));
            byte[] event = c.event().getBytes(StandardCharsets.UTF_8);
            // against the built tree as text (a round trip through text changes some values' node types: Infinity),
            // read strictly: a key spliced in twice would make Elasticsearch refuse the alert
            assertThat(STRICT.readTree(docs.toJson(event, p, at))).as(c.name())
                    .isEqualTo(JSON.readTree(JSON.writeValueAsString(docs.build(event, p, at))));
            n++;
        }
        assertThat(n).isGreaterThan(600);
    }

    @Test
    void alertIdsAreDeterministicAndSeparateCoordinates() {
        String id = AlertIds.alertId("packetbeat", "1-42", "default", RULE.ruleId());
        assertThat(id).hasSize(64).isEqualTo(AlertIds.alertId("packetbeat", "1-42", "default", RULE.ruleId()));
        assertThat(AlertIds.alertId("packetbeat1", "-42", "default", RULE.ruleId())).isNotEqualTo(id);
        assertThat(AlertIds.alertId("packetbeat", "1-42", "soc", RULE.ruleId())).isNotEqualTo(id);
    }
}

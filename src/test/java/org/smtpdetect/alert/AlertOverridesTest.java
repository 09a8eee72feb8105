package org.smtpdetect.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleLoader;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Kibana's rule name, severity and risk score overrides (build_*_from_mapping.ts) and building block alerts. */
class AlertOverridesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Rule SEED = RuleLoader.loadDefault();

    private static Rule with(Rule.Overrides o) {
        return new Rule(SEED.ruleId(), SEED.name(), SEED.description(), SEED.version(), SEED.type(), SEED.language(), SEED.query(),
                SEED.index(), SEED.interval(), SEED.from(), SEED.lookBack(), SEED.maxSignals(), SEED.severity(), SEED.riskScore(),
                SEED.tags(), SEED.threat(), SEED.falsePositives(), SEED.references(), SEED.author(), SEED.license(),
                SEED.timestampOverride(), SEED.exceptionsList(), List.of(), o);
    }

    private static final Rule.Overrides ENDPOINT = new Rule.Overrides("message", List.of(
            new Rule.SeverityMapping("event.severity", "equals", "21", "low"),
            new Rule.SeverityMapping("event.severity", "equals", "73", "high"),
            new Rule.SeverityMapping("event.severity", "equals", "47", "medium"),
            new Rule.SeverityMapping("event.severity", "equals", "99", "critical")),
            List.of(new Rule.RiskScoreMapping("event.risk_score", "equals", "")), "default");

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{}                                              | low",      // the seed's own severity
        "{\"event\":{\"severity\":73}}                   | high",
        "{\"event.severity\":73}                         | high",     // lodash get: the whole dotted key
        "{\"event\":{\"severity\":\"73\"}}               | low",      // event.severity compares numbers only
        "{\"event\":{\"severity\":[21,99]}}              | critical", // the highest mapped severity wins
        "{\"event\":{\"severity\":73.5}}                 | low",      // not a safe integer
    })
    void severityFromTheEvent(String event, String severity) throws Exception {
        assertThat(AlertOverrides.severity(with(ENDPOINT), JSON.readTree(event))).isEqualTo(severity);
    }

    @Test
    void otherFieldsCompareStringsAndIntegersAsStrings() throws Exception {
        Rule r = with(new Rule.Overrides(null, List.of(new Rule.SeverityMapping("risk.level", "equals", "high", "high"),
                new Rule.SeverityMapping("risk.level", "equals", "3", "critical")), List.of(), null));
        assertThat(AlertOverrides.severity(r, JSON.readTree("{\"risk\":{\"level\":\"high\"}}"))).isEqualTo("high");
        assertThat(AlertOverrides.severity(r, JSON.readTree("{\"risk\":{\"level\":3}}"))).isEqualTo("critical");
        assertThat(AlertOverrides.severity(r, JSON.readTree("{\"risk\":{\"level\":\"HIGH\"}}"))).isEqualTo("low");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{}                                          | 21",
        "{\"event\":{\"risk_score\":47}}             | 47",
        "{\"event\":{\"risk_score\":\" 73 \"}}       | 73",
        "{\"event\":{\"risk_score\":[12,101,88]}}    | 88",
        "{\"event\":{\"risk_score\":\"high\"}}       | 21",
        "{\"event\":{\"risk_score\":-1}}             | 21",
    })
    void riskScoreFromTheEvent(String event, int score) throws Exception {
        assertThat(AlertOverrides.riskScore(with(ENDPOINT), JSON.readTree(event))).isEqualTo(score);
    }

    @Test
    void ruleNameFromAStringValueOnly() throws Exception {
        assertThat(AlertOverrides.ruleName(with(ENDPOINT), JSON.readTree("{\"message\":\"Malware Prevention Alert\"}"))).isEqualTo("Malware Prevention Alert");
        assertThat(AlertOverrides.ruleName(with(ENDPOINT), JSON.readTree("{\"message\":[\"a\"]}"))).isEqualTo(SEED.name());
    }

    @Test
    void theAlertCarriesTheOverridesTheReasonUsesThemAndBuildingBlocksAreMarked() {
        AlertDocuments docs = new AlertDocuments(with(ENDPOINT), "default");
        String event = "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"message\":\"Malware Prevention Alert\",\"event\":{\"severity\":73,\"risk_score\":47}}";
        ObjectNode a = docs.build(event.getBytes(StandardCharsets.UTF_8),
                new AlertDocuments.Provenance("id", "topic", "0-1", 0L, false, List.of()), Instant.parse("2024-05-01T10:05:00Z"));
        assertThat(a.get("kibana.alert.rule.name").asText()).isEqualTo("Malware Prevention Alert");
        assertThat(a.get("kibana.alert.severity").asText()).isEqualTo("high");
        assertThat(a.get("kibana.alert.risk_score").asInt()).isEqualTo(47);
        assertThat(a.get("kibana.alert.reason").asText()).endsWith("created high alert Malware Prevention Alert.");
        assertThat(a.get("kibana.alert.building_block_type").asText()).isEqualTo("default");
        JsonNode params = a.get("kibana.alert.rule.parameters");
        assertThat(params.get("rule_name_override").asText()).isEqualTo("message");
        assertThat(params.get("severity_mapping")).hasSize(4);
        assertThat(a.get("kibana.alert.rule.rule_name_override").asText()).isEqualTo("message");
    }

    @Test
    void javascriptNumberParsing() {
        assertThat(AlertOverrides.jsNumber("")).isZero();
        assertThat(AlertOverrides.jsNumber("0x10")).isEqualTo(16);
        assertThat(AlertOverrides.jsNumber("1e1")).isEqualTo(10);
        assertThat(AlertOverrides.jsNumber("12px")).isNaN();
    }
}

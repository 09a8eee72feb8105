package org.smtpdetect.rule;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RuleLoaderTest {

    @Test
    void seedRuleIsElasticsVersion8() {
        Rule r = RuleLoader.loadDefault();
        assertThat(r.ruleId()).isEqualTo("67a9beba-830d-4035-bfe8-40b7e28f8ac4");
        assertThat(r.name()).isEqualTo("SMTP to the Internet");
        assertThat(r.version()).isEqualTo(8);
        assertThat(r.type()).isEqualTo("query");
        assertThat(r.language()).isEqualTo("kuery");
        assertThat(r.index()).containsExactly("filebeat-*", "packetbeat-*", "logs-endpoint.events.*");
        assertThat(r.interval()).isEqualTo(Duration.ofMinutes(5));
        assertThat(r.from()).isEqualTo("now-9m");
        assertThat(r.lookBack()).isEqualTo(Duration.ofMinutes(9));
        assertThat(r.maxSignals()).isEqualTo(100);
        assertThat(r.severity()).isEqualTo("low");
        assertThat(r.riskScore()).isEqualTo(21);
        assertThat(r.tags()).containsExactly("Elastic", "Host", "Network", "Threat Detection", "Command and Control");
        assertThat(r.author()).containsExactly("Elastic");
        assertThat(r.license()).isEqualTo("Elastic License v2");
        assertThat(r.falsePositives()).singleElement().asString().startsWith("NATed servers");
        assertThat(r.description()).startsWith("Detects events that may describe SMTP traffic").endsWith("data exfiltration.");
        assertThat(r.query()).startsWith("event.category:(network or network_traffic) and network.transport:tcp")
                .contains("\"FF00::/8\"");
        assertThat(r.threat()).hasSize(2);
        assertThat(r.threat().get(0).tactic()).isEqualTo(new Rule.Entry("TA0011", "Command and Control", "https://attack.mitre.org/tactics/TA0011/"));
        assertThat(r.threat().get(0).technique()).isEmpty();
        assertThat(r.threat().get(1).tactic().id()).isEqualTo("TA0010");
        assertThat(r.threat().get(1).technique()).singleElement().satisfies(t -> {
            assertThat(t.id()).isEqualTo("T1048");
            assertThat(t.name()).isEqualTo("Exfiltration Over Alternative Protocol");
            assertThat(t.reference()).isEqualTo("https://attack.mitre.org/techniques/T1048/");
        });
    }

    @Test
    void kibanaExportNdjsonSkipsTheSummaryLine() {
        String ndjson = "{\"rule_id\":\"r1\",\"name\":\"n\",\"description\":\"d\",\"type\":\"query\",\"language\":\"kuery\","
                + "\"query\":\"event.category:network\",\"index\":[\"logs-*\"],\"severity\":\"high\",\"risk_score\":73,"
                + "\"interval\":\"1m\",\"from\":\"now-2m\",\"max_signals\":5,\"author\":[\"me\"],\"version\":3}\n"
                + "{\"exported_count\":1,\"missing_rules\":[]}\n";
        List<Rule> rules = RuleLoader.parse(ndjson, "export.ndjson");
        assertThat(rules).singleElement().satisfies(r -> {
            assertThat(r.maxSignals()).isEqualTo(5);
            assertThat(r.lookBack()).isEqualTo(Duration.ofMinutes(2));
            assertThat(r.interval()).isEqualTo(Duration.ofMinutes(1));
        });
    }

    @Test
    void exceptionsListIsReadFromBothFormats() {
        String seed = seedWith("version = 8");
        int threat = seed.indexOf("[[rule.threat]]");
        String toml = seed.substring(0, threat) + "[[rule.exceptions_list]]\nid = \"5e1\"\nlist_id = \"mail-relays\"\n"
                + "namespace_type = \"single\"\ntype = \"detection\"\n\n[[rule.exceptions_list]]\nlist_id = \"shared\"\n"
                + "namespace_type = \"agnostic\"\n\n" + seed.substring(threat);
        assertThat(RuleLoader.parse(toml, "r.toml").get(0).exceptionsList()).containsExactly(
                new Rule.ExceptionListRef("5e1", "mail-relays", "single", "detection"),
                new Rule.ExceptionListRef("", "shared", "agnostic", "detection"));
        String json = "{\"rule_id\":\"r1\",\"name\":\"n\",\"description\":\"d\",\"type\":\"query\",\"query\":\"event.category:network\","
                + "\"index\":[\"logs-*\"],\"severity\":\"low\",\"risk_score\":1,\"author\":[\"me\"],"
                + "\"exceptions_list\":[{\"id\":\"x\",\"list_id\":\"relays\",\"namespace_type\":\"single\",\"type\":\"rule_default\"}]}";
        assertThat(RuleLoader.parse(json, "r.json").get(0).exceptionsList())
                .containsExactly(new Rule.ExceptionListRef("x", "relays", "single", "rule_default"));
        assertThat(RuleLoader.loadDefault().exceptionsList()).isEmpty();
        assertThatThrownBy(() -> RuleLoader.parse(json.replace("\"list_id\":\"relays\",", ""), "r.json"))
                .hasMessageContaining("field 'exceptions_list[0].list_id' is required");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "type = \"eql\"             | type eql is not supported (field 'rule.type'",
        "language = \"lucene\"      | language lucene is not supported (field 'rule.language'",
        "severity = \"urgent\"      | field 'rule.severity' must be one of",
        "risk_score = 101           | field 'rule.risk_score' must be 0-100",
        "risk_score = \"high\"      | field 'rule.risk_score' must be an integer",
        "from = \"now-1m\"          | field 'rule.from' looks back now-1m, less than the interval",
        "from = \"yesterday\"       | field 'rule.from' must look like now-9m",
        "interval = \"often\"       | field 'rule.interval' must be a duration",
        "max_signals = 0            | field 'rule.max_signals' must be positive",
        "index = []                 | field 'rule.index' must list at least one index pattern",
        "name = 7                   | field 'rule.name' must be a string",
    })
    void badRuleFilesNameTheField(String override, String message) {
        String toml = seedWith(override);
        assertThatThrownBy(() -> RuleLoader.parse(toml, "bad.toml"))
                .isInstanceOf(RuleFormatException.class)
                .hasMessageStartingWith("bad.toml: ")
                .hasMessageContaining(message);
    }

    @Test
    void aQueryThatCannotRunNamesTheRuleAndPosition() {
        Rule r = RuleLoader.parse(seedWith("query = 'source.ip:nope'"), "x.toml").get(0);
        assertThatThrownBy(() -> Detector.of(List.of(r)))
                .isInstanceOf(RuleFormatException.class)
                .hasMessageContaining("field 'query'")
                .hasMessageContaining("position 10");
    }

    @Test
    void missingRequiredFieldAndUnknownFormatFail() {
        assertThatThrownBy(() -> RuleLoader.parse("[rule]\ntype = \"query\"\n", "min.toml"))
                .hasMessageContaining("field 'rule.query' is required");
        assertThatThrownBy(() -> RuleLoader.parse("x", "rule.yaml")).hasMessageContaining("unknown rule format");
        assertThatThrownBy(() -> RuleLoader.parse("[rule\n", "broken.toml")).hasMessageContaining("not valid TOML");
    }

    /** The seed rule's TOML with one [rule] key replaced. */
    private static String seedWith(String override) {
        String key = override.substring(0, override.indexOf('=')).strip();
        try (var in = RuleLoader.class.getResourceAsStream(RuleLoader.DEFAULT_RULE_RESOURCE)) {
            String seed = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            String replaced = seed.replaceFirst("(?ms)^" + key + " = (\"[^\"\\n]*\"|\\[[^\\]]*\\]|'''.*?'''|\\d+)\\s*$", java.util.regex.Matcher.quoteReplacement(override));
            if (replaced.equals(seed)) throw new IllegalStateException("seed has no key " + key);
            return replaced;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

package org.smtpdetect.connectors.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ElasticsearchTemplatesTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode alertTemplate() throws Exception {
        return JSON.readTree(ElasticsearchTemplates.alertTemplate("alerts"));
    }

    @Test
    void alertTemplateIsKibanasAlertIndex() throws Exception {
        JsonNode t = alertTemplate();
        assertThat(t.path("version").asInt()).as("bumped so existing deployments get it").isEqualTo(2);
        JsonNode index = t.path("template").path("settings").path("index");
        assertThat(index.path("mapping").path("ignore_malformed").asBoolean()).isTrue();
        assertThat(index.path("mapping").path("total_fields").path("limit").asInt()).isEqualTo(2500);
        JsonNode m = t.path("template").path("mappings");
        assertThat(m.path("dynamic").asBoolean(true)).isFalse();
        assertThat(m.path("properties").path("@timestamp").path("ignore_malformed").asBoolean(true)).isFalse();
        JsonNode rule = m.path("properties").path("kibana").path("properties").path("alert").path("properties").path("rule").path("properties");
        assertThat(rule.path("threat").path("properties").path("tactic").path("properties").path("id").path("type").asText()).isEqualTo("keyword");
        assertThat(rule.path("threat").has("type")).as("a plain object, not nested").isFalse();
        assertThat(rule.path("parameters").toString()).isEqualTo("{\"type\":\"flattened\",\"ignore_above\":4096}");
        assertThat(m.path("properties").path("kibana").path("properties").path("alert").path("properties").path("reason").toString())
                .isEqualTo("{\"type\":\"keyword\",\"fields\":{\"text\":{\"type\":\"match_only_text\"}}}");
        assertThat(m.path("properties").path("message").path("type").asText()).isEqualTo("match_only_text");
        assertThat(m.path("properties").path("destination").path("properties").path("ip").path("type").asText()).isEqualTo("ip");
        assertThat(m.path("properties").path("detection").path("properties").path("stripped_fields").path("type").asText()).isEqualTo("keyword");
        assertThat(org.smtpdetect.alert.AlertFieldMap.alertIndex().mappedFieldCount()).isLessThan(2500);
    }

    @Test
    void readsTheMissingTypeFromBothWordings() {
        assertThat(ElasticsearchTemplates.missingType("{\"error\":{\"caused_by\":{\"reason\":\"Failed to parse mapping [_doc]: "
                + "No handler for type [match_only_text] declared on field [message]\"}}}")).isEqualTo("match_only_text");
        assertThat(ElasticsearchTemplates.missingType("Failed to parse mapping: The mapper type [wildcard] declared on field [f] does not exist."))
                .isEqualTo("wildcard");
        assertThat(ElasticsearchTemplates.missingType("no handler for type [match_only_text] declared on field [text]")).isEqualTo("match_only_text");
        assertThat(ElasticsearchTemplates.missingType("unknown setting [index.x]")).isNull();
    }

    @Test
    void substitutesEveryUseOfAMissingTypeByItsStandIn() throws Exception {
        ObjectNode m = (ObjectNode) JSON.readTree("{\"properties\":{\"a\":{\"type\":\"keyword\",\"fields\":{\"text\":{\"type\":\"match_only_text\"}}},"
                + "\"b\":{\"properties\":{\"c\":{\"type\":\"scaled_float\",\"scaling_factor\":1000}}},\"w\":{\"type\":\"wildcard\"},"
                + "\"k\":{\"type\":\"wildcard\",\"ignore_above\":1024},\"f\":{\"type\":\"flattened\",\"ignore_above\":4096},"
                + "\"type\":{\"type\":\"match_only_text\"}}}");
        ElasticsearchTemplates.substitute(m, "match_only_text", "text");
        ElasticsearchTemplates.substitute(m, "scaled_float", "float");
        ElasticsearchTemplates.substitute(m, "wildcard", "keyword");
        ElasticsearchTemplates.substitute(m, "flattened", "object");
        assertThat(m.toString()).isEqualTo("{\"properties\":{\"a\":{\"type\":\"keyword\",\"fields\":{\"text\":{\"type\":\"text\"}}},"
                + "\"b\":{\"properties\":{\"c\":{\"type\":\"float\"}}},\"w\":{\"type\":\"keyword\",\"ignore_above\":8191},"
                + "\"k\":{\"type\":\"keyword\",\"ignore_above\":1024},\"f\":{\"type\":\"object\",\"enabled\":false},"
                + "\"type\":{\"type\":\"text\"}}}");
    }

    @Test
    void keepsTheExistingMappingOfFieldsThatCannotChange() throws Exception {
        ObjectNode update = (ObjectNode) JSON.readTree("{\"message\":{\"type\":\"match_only_text\"},\"reason\":{\"type\":\"keyword\",\"fields\":{\"text\":{\"type\":\"match_only_text\"}}},"
                + "\"threat\":{\"properties\":{\"tactic\":{\"properties\":{\"id\":{\"type\":\"keyword\"}}}}},\"parameters\":{\"type\":\"flattened\"},"
                + "\"source\":{\"properties\":{\"ip\":{\"type\":\"ip\"},\"port\":{\"type\":\"long\"}}},\"new\":{\"type\":\"keyword\"},\"same\":{\"type\":\"keyword\",\"ignore_above\":1024}}");
        JsonNode existing = JSON.readTree("{\"message\":{\"type\":\"text\"},\"reason\":{\"type\":\"keyword\",\"fields\":{\"text\":{\"type\":\"text\"}}},"
                + "\"threat\":{\"type\":\"object\",\"enabled\":false},\"parameters\":{\"type\":\"object\",\"enabled\":false},"
                + "\"source\":{\"properties\":{\"ip\":{\"type\":\"keyword\"}}},\"same\":{\"type\":\"keyword\"}}");
        Set<String> kept = new TreeSet<>();

        ElasticsearchTemplates.dropConflicts(update, existing, "", kept);

        assertThat(kept).containsExactly("message", "parameters", "reason", "source.ip", "threat");
        assertThat(update.fieldNames()).toIterable().containsExactlyInAnyOrder("source", "new", "same");
        assertThat(update.path("source").path("properties").has("port")).isTrue();
        assertThat(ElasticsearchTemplates.countFields(existing, update)).isEqualTo(10);
    }
}

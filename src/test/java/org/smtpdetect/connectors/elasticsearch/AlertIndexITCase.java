package org.smtpdetect.connectors.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.alert.AlertCorpus;
import org.smtpdetect.alert.AlertDocuments;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;

/**
 * The alert index on real nodes: the template installs with the node's stand-ins for the types it lacks, and
 * every alert of every matching corpus event and of the generated hostile events indexes into a fresh index with
 * zero rejections, and into one made by the first template and upgraded at start-up with only the rejection its
 * own older dynamic mapping causes.
 */
class AlertIndexITCase {
    private static final List<AlertCorpus.Case> CASES = AlertCorpus.matchingEvents();

    private static ElasticsearchSinkConfig config(ElasticsearchService es) {
        String prefix = "it-alert-index-" + UUID.randomUUID().toString().substring(0, 8);
        return ElasticsearchSinkConfig.builder().hosts(es.url())
                .indices(prefix + "-alerts", prefix + "-executions", prefix + "-dead-letters").build();
    }

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void installsKibanasMappingsWithStandInsForWhatTheNodeLacks(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        ElasticsearchSinkConfig cfg = config(es);

        assertThat(ElasticsearchTemplates.ensureTemplates(cfg)).contains(cfg.alertsIndex);

        EsRest rest = es.rest();
        JsonNode installed = rest.get("/_index_template/" + cfg.alertsIndex).ok().json().path("index_templates").get(0).path("index_template");
        assertThat(installed.path("version").asInt()).isEqualTo(2);
        // The integ-test distributions lack match_only_text, wildcard and scaled_float; a full one keeps Kibana's types.
        JsonNode props = installed.path("template").path("mappings").path("properties");
        assertThat(props.path("message").path("type").asText()).isEqualTo("text");
        assertThat(props.path("kibana").path("properties").path("alert").path("properties").path("reason").path("fields")
                .path("text").path("type").asText()).isEqualTo("text");
        assertThat(props.path("host").path("properties").path("cpu").path("properties").path("usage").path("type").asText()).isEqualTo("float");
        assertThat(props.path("url").path("properties").path("original").path("type").asText()).isEqualTo("keyword");
        // The index itself is created at start-up, from the template.
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.alert.rule.parameters")).isEqualTo("flattened");
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.alert.rule.threat.tactic.id")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.alert.original_event.created")).isEqualTo("date");
        assertThat(rest.fieldType(cfg.alertsIndex, "destination.ip")).isEqualTo("ip");
        JsonNode indexProps = rest.get("/" + cfg.alertsIndex + "/_mapping").ok().json().path(cfg.alertsIndex).path("mappings").path("properties");
        assertThat(indexProps.path("threat").path("properties").path("enrichments").path("type").asText()).isEqualTo("nested");
        JsonNode settings = rest.get("/" + cfg.alertsIndex + "/_settings").ok().json().path(cfg.alertsIndex).path("settings").path("index");
        assertThat(settings.path("mapping").path("ignore_malformed").asText()).isEqualTo("true");
        assertThat(settings.path("mapping").path("total_fields").path("limit").asText()).isEqualTo("2500");
        assertThat(rest.get("/" + cfg.alertsIndex + "/_mapping").ok().json().path(cfg.alertsIndex).path("mappings").path("dynamic").asText())
                .isEqualTo("false");
    }

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void indexesEveryAlertWithoutARejection(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        ElasticsearchSinkConfig cfg = config(es);
        ElasticsearchTemplates.ensureTemplates(cfg);

        assertThat(bulkIndex(es.rest(), cfg.alertsIndex)).isEmpty();

        EsRest rest = es.rest();
        assertThat(rest.count(cfg.alertsIndex)).isEqualTo(CASES.size());
        JsonNode tactics = rest.post("/" + cfg.alertsIndex + "/_search", "{\"size\":0,\"aggs\":{\"t\":{\"terms\":{\"field\":"
                + "\"kibana.alert.rule.threat.tactic.id\"}}}}").ok().json().path("aggregations").path("t").path("buckets");
        assertThat(tactics.toString()).contains("\"key\":\"TA0011\",\"doc_count\":" + CASES.size())
                .contains("\"key\":\"TA0010\",\"doc_count\":" + CASES.size());
        JsonNode hostName = rest.search(cfg.alertsIndex, "{\"query\":{\"term\":{\"detection.source.position\":\"generated:1\"}}}");
        assertThat(hostName.get(0).path("_source").path("detection.stripped_fields").toString()).isEqualTo("[\"destination.ip\"]");
        JsonNode byReason = rest.search(cfg.alertsIndex, "{\"query\":{\"match_phrase\":{\"kibana.alert.reason.text\":\"destination mail.example.com\"}}}");
        assertThat(byReason).isNotEmpty().allSatisfy(hit -> assertThat(hit.path("_source").path("detection.stripped_fields").toString()).contains("destination.ip"));
    }

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void upgradesAnIndexTheFirstTemplateMadeAndThenTakesEveryAlert(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        ElasticsearchSinkConfig cfg = config(es);
        EsRest rest = es.rest();
        rest.put("/_index_template/" + cfg.alertsIndex, firstTemplate(cfg.alertsIndex)).ok();
        rest.post("/" + cfg.alertsIndex + "/_doc?refresh=true", "{\"@timestamp\":\"2024-05-01T10:11:13Z\",\"dns\":{\"Ext\":{\"options\":5}},"
                + "\"kibana.alert.rule.threat\":[{\"framework\":\"MITRE ATT&CK\"}],\"kibana.alert.rule.parameters\":{\"a\":1}}").ok();

        assertThat(ElasticsearchTemplates.ensureTemplates(cfg)).contains(cfg.alertsIndex);

        JsonNode mappings = rest.get("/" + cfg.alertsIndex + "/_mapping").ok().json().path(cfg.alertsIndex).path("mappings");
        assertThat(mappings.path("dynamic").asText()).isEqualTo("false");
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.alert.rule.execution.uuid")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.alertsIndex, "process.pid")).isEqualTo("long");
        assertThat(mappings.path("properties").path("process").path("properties").path("pid").path("ignore_malformed").asBoolean())
                .as("per field, as the index lacks index.mapping.ignore_malformed").isTrue();
        assertThat(mappings.path("properties").path("kibana").path("properties").path("alert").path("properties").path("rule")
                .path("properties").path("threat").path("enabled").asBoolean(true)).as("an object's enabled cannot change: kept").isFalse();
        JsonNode settings = rest.get("/" + cfg.alertsIndex + "/_settings").ok().json().path(cfg.alertsIndex).path("settings").path("index");
        assertThat(settings.path("mapping").path("total_fields").path("limit").asInt()).isGreaterThanOrEqualTo(2500);

        assertThat(mappings.path("properties").path("dns").path("properties").path("Ext").path("properties").path("options")
                .path("ignore_malformed").asBoolean()).as("a field the older index typed dynamically").isTrue();

        // The one rejection left: an object in a field the older index's dynamic mapping typed long (a new
        // index, dynamic: false, never types it). It goes to the dead letters with this reason.
        List<String> rejected = bulkIndex(rest, cfg.alertsIndex);
        assertThat(rejected).singleElement().asString().contains("dns.Ext.options").contains("{o=[1, 2]}");
        assertThat(rest.count(cfg.alertsIndex)).isEqualTo(CASES.size());
    }

    /** Indexes every case's alert with op_type create; returns the rejections (id and reason). */
    private static List<String> bulkIndex(EsRest rest, String index) {
        AlertDocuments docs = new AlertDocuments(AlertCorpus.RULE, "default");
        List<String> rejected = new ArrayList<>();
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < CASES.size(); i++) {
            body.append("{\"create\":{\"_index\":\"").append(index).append("\",\"_id\":\"alert-").append(i).append("\"}}\n")
                    .append(CASES.get(i).alertJson(docs, i)).append('\n');
            if ((i + 1) % 100 == 0 || i == CASES.size() - 1) {
                JsonNode items = rest.post("/_bulk", body.toString()).ok().json().path("items");
                for (JsonNode item : items) {
                    JsonNode r = item.path("create");
                    if (r.path("status").asInt() != 201) rejected.add(r.path("_id").asText() + ": " + r.path("error"));
                }
                body.setLength(0);
            }
        }
        return rejected;
    }

    private static String firstTemplate(String index) throws IOException {
        try (InputStream in = AlertIndexITCase.class.getResourceAsStream("/elasticsearch/alerts-template-v1.json")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("{{index}}", index);
        }
    }
}

package org.smtpdetect.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.job.StreamingFixtures.RULE_ID;
import static org.smtpdetect.job.StreamingFixtures.alertId;
import static org.smtpdetect.job.StreamingFixtures.awaitUntil;
import static org.smtpdetect.job.StreamingFixtures.count;
import static org.smtpdetect.job.StreamingFixtures.deadLetters;
import static org.smtpdetect.job.StreamingFixtures.noise;
import static org.smtpdetect.job.StreamingFixtures.send;
import static org.smtpdetect.job.StreamingFixtures.smtpFlow;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchSinkConfig;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchTemplates;
import org.smtpdetect.connectors.elasticsearch.KibanaAlertsAlias;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

/**
 * Alerts where analysts work: on 7.17, 8.19 and 9.2.8, with what Kibana creates for a space already in place (its
 * concrete alert index behind the write alias), the job's alerts are found through Kibana's alias with the filters
 * Kibana's alerts table adds, the MITRE tactics aggregate, and events whose values do not fit their ECS types (or
 * fit differently from one event to the next) all alert, none rejected.
 */
class KibanaAlertsViewITCase {
    /** The security rule types Kibana's alerts table asks for (rule_registry's search strategy, §7.5). */
    private static final String SECURITY_RULE_TYPES = "[\"siem.eqlRule\",\"siem.esqlRule\",\"siem.indicatorRule\",\"siem.mlRule\","
            + "\"siem.queryRule\",\"siem.savedQueryRule\",\"siem.thresholdRule\",\"siem.newTermsRule\"]";

    @RegisterExtension
    static final MiniClusterExtension FLINK = StreamingFixtures.miniCluster(4);

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void everyAlertIsFoundThroughKibanasAliasWithKibanasFilters(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        EsRest rest = es.rest();
        KafkaService kafka = KafkaService.get();
        String run = "kibana-" + version.replace('.', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
        String space = run;
        String alias = KibanaAlertsAlias.aliasOf(space);
        String alerts = run + "-alerts";
        // Kibana's own alert index, mapped from the same field map as ours (as this node supports it): our template's
        // mappings, resolved by the node, stand in for Kibana's template.
        ElasticsearchTemplates.ensureTemplates(ElasticsearchSinkConfig.builder().hosts(es.url())
                .indices(alerts, run + "-executions", ElasticsearchSinkConfig.DEFAULT_DEAD_LETTERS_INDEX).build());
        JsonNode mappings = rest.post("/_index_template/_simulate_index/" + alerts, null).ok().json().path("template").path("mappings");
        String kibanaIndex = ".internal.alerts-security.alerts-" + space + "-000001";
        rest.put("/" + kibanaIndex, "{\"settings\":{\"index\":{\"hidden\":true,\"mapping\":{\"ignore_malformed\":true,"
                + "\"total_fields\":{\"limit\":2500}}}},\"mappings\":" + mappings + ",\"aliases\":{\"" + alias + "\":{\"is_write_index\":true}}}").ok();
        // One alert Kibana itself wrote, to show both live side by side.
        rest.put("/" + alias + "/_doc/kibana-own?refresh=true", "{\"@timestamp\":\"2024-06-01T08:30:00Z\",\"kibana\":{\"space_ids\":[\""
                + space + "\"],\"alert\":{\"workflow_status\":\"open\",\"rule\":{\"rule_type_id\":\"siem.queryRule\",\"consumer\":\"siem\","
                + "\"threat\":{\"tactic\":{\"id\":\"TA0011\"}}}}}}").ok();

        String topic = run + "-packetbeat";
        String deadLetterTopic = run + "-dead-letters";
        kafka.createTopic(topic, 2);
        kafka.createTopic(deadLetterTopic, 1);
        Set<String> expected = new HashSet<>();
        Instant t0 = Instant.parse("2024-06-01T08:00:00Z");
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
            for (int i = 0; i < 40; i++) {
                Instant t = t0.plusSeconds(15L * i);
                expected.add(alertId(send(producer, topic, i % 2, hostile(smtpFlow(t, i), i)), space));
                send(producer, topic, (i + 1) % 2, noise(t, i));
            }
            for (int p = 0; p < 2; p++) send(producer, topic, p, noise(t0.plus(Duration.ofHours(2)), p));
        }

        JobClient job = StreamingFixtures.startStreaming("--kafka.bootstrap-servers", kafka.bootstrapServers(), "--kafka.topics", topic,
                "--kafka.group-id", run, "--kafka.starting-offsets", "earliest", "--dead-letter.topic", deadLetterTopic,
                "--es.hosts", es.url(), "--es.alert-index", alerts, "--es.status-index", run + "-executions",
                "--space-id", space, "--max-out-of-orderness", "10s", "--idleness", "2s");
        try {
            awaitUntil(() -> count(rest, alerts) >= expected.size(), Duration.ofSeconds(120), "the alerts in " + alerts);
        } finally {
            job.cancel().get();
        }

        JsonNode members = rest.get("/_alias/" + alias).ok().json();
        assertThat(members.path(alerts).path("aliases").path(alias).path("is_write_index").asBoolean(true)).isFalse();
        assertThat(members.path(kibanaIndex).path("aliases").path(alias).path("is_write_index").asBoolean()).isTrue();

        rest.refresh(alias);
        String kibanaFilters = "{\"bool\":{\"filter\":[{\"terms\":{\"kibana.space_ids\":[\"" + space + "\",\"*\"]}},"
                + "{\"terms\":{\"kibana.alert.rule.rule_type_id\":" + SECURITY_RULE_TYPES + "}},"
                + "{\"term\":{\"kibana.alert.rule.consumer\":\"siem\"}},"
                + "{\"term\":{\"kibana.alert.workflow_status\":\"open\"}}]}}";
        JsonNode answer = rest.post("/" + alias + "/_search", "{\"size\":1000,\"_source\":false,\"fields\":[\"kibana.alert.uuid\"],"
                + "\"query\":" + kibanaFilters + ",\"aggs\":{\"tactics\":{\"terms\":{\"field\":\"kibana.alert.rule.threat.tactic.id\"}}}}")
                .ok().json();
        Set<String> found = new HashSet<>();
        for (JsonNode hit : answer.path("hits").path("hits")) {
            if (hit.path("_index").asText().equals(alerts)) found.add(hit.path("_id").asText());
        }
        assertThat(answer.path("_shards").path("failed").asInt()).as("shard failures: " + answer.path("_shards")).isZero();
        assertThat(found).as("every alert, through Kibana's alias and filters").isEqualTo(expected);
        assertThat(answer.path("hits").path("total").path("value").asInt()).isEqualTo(expected.size() + 1);
        Map<String, Integer> tactics = new HashMap<>();
        for (JsonNode b : answer.path("aggregations").path("tactics").path("buckets")) tactics.put(b.path("key").asText(), b.path("doc_count").asInt());
        assertThat(tactics).containsEntry("TA0011", expected.size() + 1).containsEntry("TA0010", expected.size());

        // The rule's Alerts tab filters on the rule id.
        JsonNode ruleTab = rest.post("/" + alias + "/_count", "{\"query\":{\"bool\":{\"filter\":[" + kibanaFilters
                + ",{\"term\":{\"kibana.alert.rule.rule_id\":\"" + RULE_ID + "\"}}]}}}").ok().json();
        assertThat(ruleTab.path("count").asInt()).isEqualTo(expected.size());
        assertThat(deadLetters(kafka, deadLetterTopic)).as("no alert rejected").isEmpty();
    }

    /**
     * A matching flow with values that do not fit their ECS type, different for each {@code i}: a host name for an
     * IP, text for a number, a date or a geo point, and non-ECS fields that are a number in some events and an
     * object in others.
     */
    private static String hostile(String flow, int i) {
        String extra = switch (i % 5) {
            case 0 -> "\"host\":{\"name\":\"ws\",\"ip\":\"not-an-ip\"},\"dns\":{\"Ext\":{\"options\":12}}";
            case 1 -> "\"destination.ip\":\"mail.example.com\",\"dns\":{\"Ext\":{\"options\":{\"o\":[1,2]}}}";
            case 2 -> "\"event.created\":\"yesterday\",\"network.bytes\":\"lots\",\"custom\":{\"v\":" + i + "}";
            case 3 -> "\"process\":{\"pid\":\"abc\"},\"custom\":{\"v\":{\"nested\":true}}";
            default -> "\"source.geo.location\":\"somewhere\",\"related\":{\"ip\":[\"10.0.0.1\",\"nope\"]}";
        };
        // Host name for destination.ip: drop the flow's own destination.ip so the event still matches as Elasticsearch sees it.
        String base = i % 5 == 1 ? flow.replaceFirst("\"destination\":\\{\"ip\":\"[^\"]*\",", "\"destination\":{") : flow;
        if (i % 5 == 0) base = base.replaceFirst(",\"host\":\\{\"name\":\"ws-" + i + "\"}", "");
        return base.substring(0, base.length() - 1) + "," + extra + "}";
    }
}

package org.smtpdetect.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The source preparation against every case of Kibana's own traverseAndMutateDoc test (fixture
 * kibana/traverse-and-mutate-doc-cases.json, see its PROVENANCE.md), then what it does beyond Kibana.
 */
class AlertSourceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AlertSource SOURCE = new AlertSource(AlertFieldMap.alertIndex());

    static Stream<Arguments> kibanaCases() throws IOException {
        try (InputStream in = AlertSourceTest.class.getResourceAsStream("/kibana/traverse-and-mutate-doc-cases.json")) {
            List<Arguments> out = new ArrayList<>();
            for (JsonNode c : JSON.readTree(in).path("cases")) out.add(Arguments.of(c.path("name").asText(), c));
            return out.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("kibanaCases")
    void behavesAsKibanasTraverseAndMutateDoc(String name, JsonNode c) {
        ObjectNode document = c.path("document").deepCopy();

        AlertSource.Result r = SOURCE.traverseAndMutateDoc(document);

        assertThat(document).isEqualTo(c.path("result"));
        if (c.has("removed")) {
            List<JsonNode> removed = new ArrayList<>();
            r.removed().forEach(x -> removed.add(JSON.createObjectNode().put("key", x.key()).set("value", x.value())));
            assertThat(removed).containsExactlyElementsOf(c.path("removed"));
        }
    }

    private static AlertSource.Result prepare(ObjectNode document) {
        return SOURCE.traverseAndMutateDoc(document);
    }

    private static ObjectNode doc(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    @Test
    void judgesValuesAsElasticsearchParsesThem() {
        // Observed on 7.17 and 8.19: a float field takes "24 " and "24d", a long field refuses "24 ", both refuse hex.
        ObjectNode d = doc("{\"source\":{\"bytes\":[\"1e3\",\"25.9\",\"0x19\",\"9223372036854775808\",true,\"\"],\"ip\":[\"::ffff:10.1.2.3\",\"010.0.0.1\",\"fe80::1%eth0\",\" 8.8.8.8\",12]},"
                + "\"user\":{\"risk\":{\"calculated_score\":[\"24d\",\"0x10\",\"1e39\",\"NaN\",\" \"]}},"
                + "\"event\":{\"created\":[\"2015-01-01T12Z\",\"2015\",1.5e12,\"2015-20-20\",1714558272345]},"
                + "\"process\":{\"pid\":3000000000,\"interactive\":\"yes\"}}");

        AlertSource.Result r = prepare(d);

        assertThat(d.path("source").path("bytes").toString()).isEqualTo("[\"1e3\",\"25.9\",\"\"]");
        assertThat(d.path("source").path("ip").toString()).isEqualTo("[\"::ffff:10.1.2.3\",\"fe80::1%eth0\"]");
        assertThat(d.path("user").path("risk").path("calculated_score").toString()).isEqualTo("[\"24d\"]");
        assertThat(d.path("event").path("created").toString()).isEqualTo("[\"2015-01-01T12Z\",\"2015\",1714558272345]");
        assertThat(d.path("process").path("pid").asLong()).as("process.pid is long in ECS").isEqualTo(3000000000L);
        assertThat(d.path("process").has("interactive")).isFalse();
        assertThat(r.removedPaths()).containsExactly("source.bytes", "source.ip", "user.risk.calculated_score",
                "event.created", "process.interactive");
    }

    @Test
    void removesWhatWouldMakeElasticsearchRejectTheWholeAlert() {
        ObjectNode d = doc("{\"\":1,\" \":2,\"..\":3,\"a..b\":4,\".lead\":5,\"trail.\":6,\"_id\":\"x\",\"_source\":{},\"_custom\":7,"
                + "\"detection\":{\"late\":\"maybe\"},\"nested\":{\"\":8,\"ok\":9},"
                + "\"threat\":{\"enrichments.matched.atomic\":\"1.2.3.4\",\"enrichments\":[{\"matched\":{\"atomic\":\"5.6.7.8\"}}]},"
                + "\"event\":{\"original\":\"" + "é".repeat(20000) + "\"},\"gen_ai\":{\"agent\":{\"description\":\"" + "x".repeat(40000) + "\"}}}");

        AlertSource.Result r = prepare(d);

        assertThat(r.removedPaths()).containsExactly("", " ", "..", "a..b", ".lead", "_id", "_source", "detection",
                "nested.", "threat.enrichments.matched.atomic", "event.original", "gen_ai.agent.description");
        assertThat(d.has("trail.")).as("Elasticsearch accepts a trailing dot").isTrue();
        assertThat(d.has("_custom")).as("not a metadata field").isTrue();
        assertThat(d.path("nested").path("ok").asInt()).isEqualTo(9);
        assertThat(d.path("threat").path("enrichments").get(0).path("matched").path("atomic").asText()).isEqualTo("5.6.7.8");
    }

    @Test
    void checksEveryFieldOfTheAlertIndexNotOnlyEcs() {
        // host.asset.criticality is Kibana's own keyword; data_stream.* is keyword in the alert index, not ECS's constant_keyword.
        ObjectNode d = doc("{\"host\":{\"asset\":{\"criticality\":{\"level\":\"high\"}}},\"data_stream\":{\"dataset\":{\"x\":1},\"type\":\"logs\"},"
                + "\"gen_ai\":{\"request\":{\"stop_sequences\":[\"a\"]}},\"process\":{\"pe\":{\"sections\":[{\"name\":\".text\"}]}}}");

        AlertSource.Result r = prepare(d);

        assertThat(r.removedPaths()).containsExactly("host.asset.criticality", "data_stream.dataset",
                "gen_ai.request.stop_sequences");
        assertThat(d.path("kibana.alert.original_data_stream.type").asText()).isEqualTo("logs");
        assertThat(d.path("process").path("pe").path("sections").get(0).path("name").asText()).isEqualTo(".text");
    }

    @Test
    void keepsNullsAndUnmappedValuesOfAnyShape() {
        ObjectNode d = doc("{\"source\":{\"ip\":null,\"port\":null},\"agent\":null,\"dns\":{\"Ext\":{\"options\":[1,\"text\",{\"x\":true}]}}}");
        String before = d.toString();

        AlertSource.Result r = prepare(d);

        assertThat(r.removed()).isEmpty();
        assertThat(d.toString()).isEqualTo(before);
    }
}

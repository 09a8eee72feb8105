package org.smtpdetect.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.smtpdetect.tools.KibanaAlertFieldsGenerator;

/**
 * Kibana's security alert field map, composed from the fixture transcribed from Kibana's TypeScript
 * (kibana/alert-field-maps.json, see its PROVENANCE.md) over the ECS part Kibana takes, against what this job
 * writes: no field of an alert may conflict with it, and the alert index maps every written field as Kibana does.
 */
class KibanaFieldMapTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** kibana.* fields the job writes that Kibana's map leaves unmapped, as Kibana's own alerts have them. */
    private static final Set<String> UNMAPPED_IN_KIBANA_TOO = Set.of(
            "kibana.alert.rule.risk_score", "kibana.alert.rule.severity", // build_alert.ts: "don't exist in the mappings"
            "kibana.alert.rule.indices", // ALERT_RULE_INDICES, written by build_alert.ts, in no field map
            // ALERT_RULE_SEVERITY_MAPPING, ALERT_RULE_RISK_SCORE_MAPPING: written by build_alert.ts, in no field map
            "kibana.alert.rule.severity_mapping", "kibana.alert.rule.risk_score_mapping",
            "kibana.alert.rule.query", "kibana.alert.rule.language"); // kept from earlier versions; also in parameters

    private static Map<String, AlertFieldMap.Field> kibana;
    private static List<JsonNode> alerts;
    private static final Set<String> kibanaParents = new java.util.HashSet<>();

    @BeforeAll
    static void compose() throws IOException {
        Map<String, AlertFieldMap.Field> ecs;
        try (InputStream in = AlertFieldMap.class.getResourceAsStream(AlertFieldMap.ECS_TABLE)) {
            ecs = AlertFieldMap.kibanaEcsPart(AlertFieldMap.readEcs(in, AlertFieldMap.ECS_TABLE));
        }
        kibana = new LinkedHashMap<>(ecs);
        KibanaAlertFieldsGenerator.compose(KibanaAlertFieldsGenerator.fixture()).forEach((name, def) -> {
            AlertFieldMap.Field f = AlertFieldMap.fieldFromMap(name, def);
            if (f == null) kibana.remove(name);
            else kibana.put(name, f);
        });
        for (String name : kibana.keySet()) {
            for (int dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) kibanaParents.add(name.substring(0, dot));
        }
        AlertDocuments docs = new AlertDocuments(AlertCorpus.RULE, "default");
        alerts = new ArrayList<>();
        int n = 0;
        for (AlertCorpus.Case c : AlertCorpus.matchingEvents()) alerts.add(JSON.readTree(c.alertJson(docs, n++)));
    }

    @Test
    void theBundledKibanaFieldsAreTheFixturesComposition() throws IOException {
        try (InputStream in = AlertFieldMap.class.getResourceAsStream(AlertFieldMap.KIBANA_FIELDS)) {
            String bundled = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(bundled).as("regenerate with KibanaAlertFieldsGenerator")
                    .isEqualTo(KibanaAlertFieldsGenerator.render(KibanaAlertFieldsGenerator.fixture()));
        }
    }

    @Test
    void theEcsPartIsWhatKibanaTakesFromEcs() {
        assertThat(kibana).doesNotContainKeys("process.pe.sections", "process.pe.sections.name", "dll.pe.imports",
                "faas.trigger.type", "process.io.bytes", "host.memory.total");
        assertThat(kibana.get("data_stream.dataset").type()).as("framework keyword, not ECS constant_keyword").isEqualTo("keyword");
        assertThat(kibana.get("threat.enrichments").type()).as("security 9.3.1").isEqualTo("nested");
        assertThat(kibana.get("message").type()).isEqualTo("match_only_text");
        assertThat(kibana.get("event.original").ignoreAbove()).isEqualTo(32766);
        assertThat(kibana.get("host.cpu.usage").scalingFactor()).isEqualTo(1000.0);
        assertThat(kibana.get("process.command_line").multiFields()).containsEntry("text", "match_only_text");
        assertThat(kibana.get("kibana.alert.reason").multiFields()).containsEntry("text", "match_only_text");
        assertThat(kibana.get("kibana.alert.rule.parameters").ignoreAbove()).isEqualTo(4096);
        assertThat(kibana.get("kibana.alert.rule.threat.tactic.id").type()).isEqualTo("keyword");
        assertThat(kibana).doesNotContainKey("kibana.alert.rule.threat");
        assertThat(kibana.get("kibana.alert.original_event.duration").type()).isEqualTo("keyword");
        assertThat(kibana.get("kibana.alert.original_event.created").type()).isEqualTo("date");
        assertThat(kibana.get("kibana.alert.original_event.module").ignoreAbove()).isEqualTo(1024);
    }

    @Test
    void noFieldTheJobWritesConflictsWithKibanasFieldMap() {
        assertThat(alerts).hasSizeGreaterThan(500);
        Set<String> problems = new TreeSet<>();
        Set<String> unmappedKibana = new TreeSet<>();
        for (JsonNode alert : alerts) leaves(alert, "", (path, value) -> {
            if (path.startsWith("detection.")) return;
            String leafParent = mappedLeafAbove(path);
            if (leafParent != null) {
                problems.add(path + " lies under the value field " + leafParent + " (" + kibana.get(leafParent).type() + ")");
                return;
            }
            AlertFieldMap.Field f = kibana.get(path);
            if (f == null) {
                boolean objectPath = kibanaParents.contains(path);
                if (objectPath && !value.isValueNode()) return; // e.g. an empty technique list
                if (objectPath) {
                    problems.add(path + " holds a value where Kibana maps an object");
                    return;
                }
                if (path.startsWith("kibana.") && !path.startsWith("kibana.alert.rule.parameters.")
                        && !path.startsWith("kibana.alert.ancestors.")) unmappedKibana.add(path);
                return;
            }
            Boolean fits = MappedValues.fits(f.type(), value);
            boolean objectType = Set.of("object", "nested", "flattened", "geo_point").contains(f.type());
            if (Boolean.FALSE.equals(fits) || (value.isObject() && !objectType)) {
                problems.add(path + " (" + f.type() + ") holds " + value.getNodeType() + " " + abbreviate(value));
            }
        });
        assertThat(problems).isEmpty();
        assertThat(unmappedKibana).isSubsetOf(UNMAPPED_IN_KIBANA_TOO);
    }

    @Test
    void theAlertIndexMapsEveryWrittenFieldAsKibanaDoes() {
        AlertFieldMap index = AlertFieldMap.alertIndex();
        Set<String> written = new TreeSet<>();
        for (JsonNode alert : alerts) leaves(alert, "", (path, value) -> written.add(path));
        List<String> differences = new ArrayList<>();
        for (String path : written) {
            AlertFieldMap.Field want = kibana.get(path);
            AlertFieldMap.Field have = index.field(path);
            if (want == null) continue;
            if (have == null || !have.type().equals(want.type()) || !java.util.Objects.equals(have.ignoreAbove(), want.ignoreAbove())
                    || !have.multiFields().equals(want.multiFields()) || !java.util.Objects.equals(have.scalingFactor(), want.scalingFactor())) {
                differences.add(path + ": Kibana " + want + ", alert index " + have);
            }
        }
        assertThat(differences).isEmpty();
        assertThat(written).contains("kibana.alert.rule.threat.tactic.id", "kibana.alert.reason", "kibana.alert.rule.parameters",
                "kibana.alert.original_event.category", "kibana.alert.rule.execution.uuid", "source.ip", "destination.port");
        for (String ours : List.of("detection.late", "detection.stripped_fields", "detection.execution_time")) {
            assertThat(kibana).as("the detection block is ours alone").doesNotContainKey(ours);
            assertThat(index.field(ours)).isNotNull();
        }
    }

    /** The nearest proper parent of {@code path} Kibana maps as a value (not an object) field, or null. */
    private static String mappedLeafAbove(String path) {
        for (int dot = path.lastIndexOf('.'); dot > 0; dot = path.lastIndexOf('.', dot - 1)) {
            AlertFieldMap.Field f = kibana.get(path.substring(0, dot));
            if (f != null) {
                return Set.of("object", "nested", "flattened", "geo_point").contains(f.type()) ? null : f.name();
            }
        }
        return null;
    }

    interface LeafVisitor {
        void visit(String path, JsonNode value);
    }

    /** Every value of a document by its full dotted path (keys may be dotted themselves; arrays are transparent). */
    static void leaves(JsonNode node, String path, LeafVisitor visitor) {
        if (node.isObject()) {
            if (node.isEmpty() && !path.isEmpty()) visitor.visit(path, node);
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String child = path.isEmpty() ? e.getKey() : path + "." + e.getKey();
                AlertFieldMap.Field f = kibana.get(child);
                if (f != null && (f.type().equals("flattened") || f.type().equals("geo_point"))) {
                    visitor.visit(child, e.getValue());
                    continue;
                }
                leaves(e.getValue(), child, visitor);
            }
        } else if (node.isArray()) {
            if (node.isEmpty()) visitor.visit(path, node);
            for (JsonNode v : node) leaves(v, path, visitor);
        } else {
            visitor.visit(path, node);
        }
    }

    private static String abbreviate(JsonNode v) {
        String s = v.toString();
        return s.length() > 60 ? s.substring(0, 60) + "..." : s;
    }
}

package org.smtpdetect.kql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleFormatException;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every prebuilt rule that loads, against a real Elasticsearch: events built from each rule's clauses (positives
 * and near misses, mixed shapes, see {@link RuleEvents}) are indexed into one index mapped with the types of the
 * field type table and {@code ignore_malformed}, as the integration data streams are; each rule's query DSL (what
 * Kibana sends for its KQL and filters, {@link CompiledQuery#elasticsearchQuery()}) is searched, and the rule core's
 * verdict must equal the node's for every event and every rule (each rule is judged on every rule's events).
 *
 * <p>The integ-test nodes lack some mapping types and the pattern tokenizer (README, "Observed on the test
 * nodes"): {@code match_only_text} is mapped {@code text} (the same analysis), {@code wildcard} and
 * {@code constant_keyword} {@code keyword} without {@code ignore_above} (what our wildcard type compares like),
 * {@code scaled_float} {@code float}, and a text field with the Windows integration's pattern analyzer is mapped and
 * compiled with the standard analyzer here (the pattern analyzer is covered by {@code TextAnalysisTest}).
 */
class PrebuiltRulesDifferentialITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int POSITIVES = 3;
    private static final int MISSES = 6;

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void everyLoadableRuleAgreesWithElasticsearchOnEveryEvent(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        EsRest rest = es.rest();

        // The rules as the node can run them: pattern analyzers replaced by the standard one.
        Map<String, String> standIns = new LinkedHashMap<>();
        List<Rule> rules = new ArrayList<>();
        List<CompiledQuery> queries = new ArrayList<>();
        for (Rule r : PrebuiltRules.loadable()) {
            try {
                CompiledQuery q = Detector.compile(r, FieldTypes.bundled());
                for (String f : q.fields().keySet()) {
                    FieldTypes.Mapping m = FieldTypes.bundled().mappingOf(f).orElseThrow();
                    if (q.fields().get(f) == FieldType.TEXT && !m.analyzer().equals("-") && !m.analyzer().equals("standard")) {
                        standIns.put(f, m.type());
                    }
                }
                rules.add(r);
            } catch (RuleFormatException e) {
                // the linter's business (PrebuiltRulesTest)
            }
        }
        FieldTypes types = FieldTypes.bundled().withOverrides(standIns);
        List<Rule> compiled = new ArrayList<>();
        for (Rule r : rules) {
            Rule onNode = r.withFieldTypes(standIns);
            queries.add(Detector.compile(onNode, types));
            compiled.add(onNode);
        }

        // One mapping for every field any rule reads; a rule whose field clashes with another's (a value where the
        // other has an object) is left out.
        ObjectNode properties = JSON.createObjectNode();
        List<Rule> compared = new ArrayList<>();
        List<CompiledQuery> comparedQueries = new ArrayList<>();
        for (int i = 0; i < compiled.size(); i++) {
            ObjectNode attempt = properties.deepCopy();
            boolean fits = true;
            for (String f : queries.get(i).fields().keySet()) fits &= map(attempt, f, types);
            if (!fits) continue;
            properties = attempt;
            compared.add(compiled.get(i));
            comparedQueries.add(queries.get(i));
        }
        String index = "prebuilt-" + UUID.randomUUID();
        ObjectNode body = JSON.createObjectNode();
        ObjectNode settings = body.putObject("settings");
        settings.put("number_of_shards", 1).put("number_of_replicas", 0).put("index.mapping.ignore_malformed", true)
                .put("index.mapping.total_fields.limit", 10000);
        body.putObject("mappings").put("dynamic", false).set("properties", properties);
        rest.put("/" + index, body.toString()).ok();

        Random random = new Random(11);
        RuleEvents generator = new RuleEvents(types, random);
        Map<String, String> events = new LinkedHashMap<>();
        for (int i = 0; i < compared.size(); i++) {
            int n = 0;
            for (String e : generator.events(compared.get(i).query(), POSITIVES, MISSES)) events.put("r" + i + "-" + n++, e);
        }
        Map<String, String> rejections = new LinkedHashMap<>();
        Set<String> indexed = rest.bulkIndex(index, events, rejections);

        Detector detector = Detector.of(compared, Map.of());
        List<String> mismatches = new ArrayList<>();
        long verdicts = 0;
        long matches = 0;
        Set<String> everMatched = new HashSet<>();
        List<Set<String>> ours = new ArrayList<>();
        for (int r = 0; r < compared.size(); r++) ours.add(new HashSet<>());
        int rejectedBy7 = 0;
        for (String id : events.keySet()) {
            ParsedEvent e = detector.parse(events.get(id).getBytes(StandardCharsets.UTF_8));
            String rejected = rejections.getOrDefault(id, "");
            if (!e.isError() && es.majorVersion() == 7 && (rejected.contains("but found [flattened]") || rejected.contains("of type [boolean]"))) {
                // 7.x rejects a dotted key that goes into a flattened field, and a malformed boolean (no ignore_malformed
                // for booleans before 8.x); 8.x and 9.x, like the job, take both.
                rejectedBy7++;
                continue;
            }
            if (e.isError() || !indexed.contains(id)) {
                if (e.isError() != !indexed.contains(id)) {
                    mismatches.add(id + ": node " + (indexed.contains(id) ? "indexed it" : "rejected it (" + rejections.get(id) + ")")
                            + ", we " + (e.isError() ? "rejected it (" + e.error() + ")" : "did not") + ": " + events.get(id));
                }
                continue;
            }
            for (int r = 0; r < compared.size(); r++) {
                if (detector.matches(r, e)) ours.get(r).add(id);
            }
        }
        for (int r = 0; r < compared.size(); r++) {
            Set<String> node = ids(rest, index, comparedQueries.get(r).elasticsearchQuery().toString());
            node.retainAll(indexed);
            verdicts += indexed.size();
            matches += node.size();
            if (!node.isEmpty()) everMatched.add(compared.get(r).ruleId());
            Set<String> onlyNode = new LinkedHashSet<>(node);
            onlyNode.removeAll(ours.get(r));
            Set<String> onlyUs = new LinkedHashSet<>(ours.get(r));
            onlyUs.removeAll(node);
            for (String id : onlyNode) mismatches.add(describe(compared.get(r), id, "node matches, we do not", events.get(id)));
            for (String id : onlyUs) mismatches.add(describe(compared.get(r), id, "we match, node does not", events.get(id)));
        }
        System.out.printf("Elasticsearch %s: %d of %d loadable prebuilt rules compared over %d events (%d indexed): "
                        + "%d verdicts, %d matches, %d rules matched at least one event, %d mismatches"
                        + (rejectedBy7 > 0 ? "; %d events 7.x rejects (a dotted key into a flattened field, a malformed boolean) left out" : "") + "%n",
                version, compared.size(), rules.size(), events.size(), indexed.size(), verdicts, matches, everMatched.size(),
                mismatches.size(), rejectedBy7);
        java.nio.file.Files.write(java.nio.file.Path.of("target", "prebuilt-differential-" + version + ".txt"), mismatches);
        assertThat(mismatches).as("verdicts that differ from Elasticsearch %s (all in target/prebuilt-differential-%s.txt)",
                version, version).isEmpty();
        assertThat(compared.size()).as("rules compared").isGreaterThanOrEqualTo(rules.size() * 9 / 10);
        assertThat(everMatched.size()).as("rules some generated event matches").isGreaterThanOrEqualTo(compared.size() * 8 / 10);
        rest.delete("/" + index);
    }

    private static String describe(Rule r, String id, String what, String event) {
        return r.ruleId() + " (" + r.name() + "): " + what + " " + id + ": " + event + "\n    query: " + r.query().strip().replace('\n', ' ');
    }

    /**
     * Adds the field's mapping to {@code properties} as the table types it (with the node's stand-ins); false when
     * it clashes with a field already there.
     */
    private static boolean map(ObjectNode properties, String field, FieldTypes types) {
        FieldTypes.Mapping m = types.mappingOf(field).orElseThrow();
        String path = field;
        ObjectNode leaf = JSON.createObjectNode();
        if (m.type().startsWith("flattened")) {
            path = types.flattenedPathOf(field).orElse(field);
            leaf.put("type", "flattened");
        } else {
            switch (m.type()) {
                case "keyword": leaf.put("type", "keyword").put("ignore_above", 1024); break;
                case "wildcard": case "constant_keyword": leaf.put("type", "keyword"); break;
                case "text": case "match_only_text": leaf.put("type", "text"); break;
                case "scaled_float": case "half_float": leaf.put("type", "float"); break;
                case "unsigned_long": leaf.put("type", "long"); break;
                default: leaf.put("type", m.type());
            }
        }
        String[] parts = path.split("\\.");
        ObjectNode n = properties;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = n.get(parts[i]);
            if (child == null) {
                n = n.putObject(parts[i]).putObject("properties");
            } else if (child.has("properties")) {
                n = (ObjectNode) child.get("properties");
            } else {
                return false; // a value field where this one needs an object
            }
        }
        JsonNode existing = n.get(parts[parts.length - 1]);
        if (existing == null) {
            n.set(parts[parts.length - 1], leaf);
            return true;
        }
        return existing.equals(leaf);
    }


    private static Set<String> ids(EsRest rest, String index, String query) {
        Set<String> out = new HashSet<>();
        for (JsonNode h : rest.search(index, "{\"size\":10000,\"_source\":false,\"query\":" + query + "}")) out.add(h.get("_id").asText());
        return out;
    }
}

package org.smtpdetect.event;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.smtpdetect.Corpus;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.RuleLoader;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/** The nested, dotted and mixed spellings of the same event get the same verdict and the same ignored fields. */
class ShapeInvarianceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String[][] POOLS = {
        {"event.category", "\"network\"", "[\"network\",\"process\"]", "\"network_traffic\"", "\"Network\"", "null", "25"},
        {"event.dataset", "\"zeek.smtp\"", "\"zeek.connection\"", "\"ZEEK.SMTP\"", "null"},
        {"network.transport", "\"tcp\"", "\"udp\"", "[\"tcp\"]", "\"TCP\""},
        {"destination.port", "25", "\"465\"", "587.0", "\"2.5e1\"", "2525", "\"0x19\"", "true", "[80,25]", "\"\""},
        {"source.ip", "\"10.1.2.3\"", "\"::ffff:192.168.0.1\"", "\"8.8.8.8\"", "\"010.1.2.3\"", "[\"8.8.8.8\",\"172.16.0.9\"]", "\"\""},
        {"destination.ip", "\"8.8.8.8\"", "\"10.0.0.1\"", "\"fe80::1%eth0\"", "\"::1\"", "\"mail.example.com\"", "null", "[\"1.1.1.1\",\"224.0.0.1\"]"},
        {"@timestamp", "\"2024-01-01T00:00:00Z\"", "1704067200000", "\"later\""},
    };

    private final Detector detector = Detector.of(List.of(RuleLoader.loadDefault()));

    @Test
    void randomEventsInEveryShapeGetOneVerdict() throws Exception {
        Random random = new Random(20261128L);
        int matches = 0;
        for (int n = 0; n < 3000; n++) {
            ObjectNode nested = JSON.createObjectNode();
            for (String[] pool : POOLS) {
                if (random.nextInt(6) == 0) continue;
                put(nested, pool[0], JSON.readTree(pool[1 + random.nextInt(pool.length - 1)]));
            }
            String verdict = verdict(nested.toString());
            if (verdict.startsWith("match")) matches++;
            assertThat(verdict(dotted(nested).toString())).as(nested.toString()).isEqualTo(verdict);
            assertThat(verdict(mixed(nested, random).toString())).as(nested.toString()).isEqualTo(verdict);
        }
        assertThat(matches).as("the generator must produce matches too").isGreaterThan(30);
    }

    @Test
    void corpusEventsFlattenedToDottedKeysKeepTheirVerdicts() throws Exception {
        for (String file : Corpus.FILES) {
            for (String line : Corpus.events(file)) {
                JsonNode node = JSON.readTree(line);
                if (!node.isObject()) continue;
                assertThat(verdict(dotted((ObjectNode) node).toString())).as(line).isEqualTo(verdict(line));
            }
        }
    }

    private String verdict(String json) {
        ParsedEvent e = detector.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        if (e.isError()) return "error";
        List<String> ignored = new ArrayList<>(e.ignoredFields());
        java.util.Collections.sort(ignored);
        return (detector.matches(0, e) ? "match" : "no-match") + ignored;
    }

    private static void put(ObjectNode root, String path, JsonNode value) {
        String[] parts = path.split("\\.");
        ObjectNode n = root;
        for (int i = 0; i < parts.length - 1; i++) n = n.has(parts[i]) ? (ObjectNode) n.get(parts[i]) : n.putObject(parts[i]);
        n.set(parts[parts.length - 1], value);
    }

    /** Every object path flattened into one dotted key (arrays kept as they are). */
    static ObjectNode dotted(ObjectNode nested) {
        ObjectNode out = JSON.createObjectNode();
        flatten("", nested, out);
        return out;
    }

    private static void flatten(String prefix, ObjectNode node, ObjectNode out) {
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue().isObject() && e.getValue().size() > 0) flatten(key, (ObjectNode) e.getValue(), out);
            else out.set(key, e.getValue());
        }
    }

    /** Each object randomly kept nested or flattened one level into its parent with a dotted key. */
    private static ObjectNode mixed(ObjectNode node, Random random) {
        ObjectNode out = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode v = e.getValue();
            if (v.isObject() && random.nextBoolean()) {
                ObjectNode child = mixed((ObjectNode) v, random);
                for (Iterator<Map.Entry<String, JsonNode>> c = child.fields(); c.hasNext(); ) {
                    Map.Entry<String, JsonNode> ce = c.next();
                    out.set(e.getKey() + "." + ce.getKey(), ce.getValue());
                }
            } else {
                out.set(e.getKey(), v.isObject() ? mixed((ObjectNode) v, random) : v);
            }
        }
        return out;
    }
}

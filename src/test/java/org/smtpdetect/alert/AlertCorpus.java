package org.smtpdetect.alert;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.smtpdetect.Corpus;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleLoader;

/**
 * Matching events for alert-document tests: every corpus event Elasticsearch matched ({@code true} verdicts), then
 * generated matching events whose other fields hold what Elasticsearch would refuse in the alert index: wrong
 * values in ECS ip, long, float, date, boolean and geo fields, objects where values belong and the reverse,
 * dotted keys through values, bad field names, metadata fields, immense keywords, and one non-ECS field that is
 * a number in one event and an object in the next.
 */
public final class AlertCorpus {
    public static final Rule RULE = RuleLoader.loadDefault();

    /** One matching event and the alert built for it. */
    public record Case(String name, String event) {
        public String alertJson(AlertDocuments docs, int n) {
            return docs.toJson(event.getBytes(StandardCharsets.UTF_8), new AlertDocuments.Provenance(
                    AlertIds.alertId("corpus", name, "default", RULE.ruleId()), "corpus", name,
                    Instant.parse("2024-05-01T10:15:00Z").toEpochMilli(), false, List.of()), Instant.parse("2024-05-01T10:15:01Z").plusMillis(n));
        }
    }

    private static final String BASE = "\"@timestamp\":\"2024-05-01T10:11:12Z\",\"event\":{\"category\":\"network\",\"dataset\":\"flow\"},"
            + "\"network\":{\"transport\":\"tcp\"},\"source\":{\"ip\":\"10.1.2.3\",\"port\":51544},\"destination\":{\"port\":25";

    private AlertCorpus() {}

    /** The corpus's matching events, then the generated ones; each checked to match the rule. */
    public static List<Case> matchingEvents() {
        List<Case> out = new ArrayList<>();
        for (String file : Corpus.FILES) {
            List<String> events = Corpus.events(file);
            List<String> verdicts = Corpus.verdicts(file, false);
            for (int i = 0; i < events.size(); i++) {
                if (verdicts.get(i).equals("true")) out.add(new Case(file + ":" + (i + 1), events.get(i)));
            }
        }
        out.addAll(generated());
        Detector detector = Detector.of(List.of(RULE));
        for (Case c : out) {
            ParsedEvent e = detector.parse(c.event().getBytes(StandardCharsets.UTF_8));
            if (e.isError() || !detector.matches(0, e)) throw new IllegalStateException("not a matching event: " + c);
        }
        return out;
    }

    /** Matching events (destination.ip a host name, or a public address) with hostile values elsewhere. */
    static List<Case> generated() {
        List<String> extras = List.of(
                "\"destination.ip\":\"mail.example.com\"",
                "\"source.bytes\":\"lots\",\"source.packets\":{\"n\":1},\"client\":{\"ip\":\"not-an-ip\",\"port\":\"25 \"}",
                "\"host\":{\"ip\":[\"10.0.0.1\",\"host-a\",{\"v\":1}],\"uptime\":\"0x10\",\"cpu\":{\"usage\":\"high\"}}",
                "\"event\":{\"category\":\"network\",\"created\":\"yesterday\",\"ingested\":true,\"start\":1.5e12,\"risk_score\":\"NaN\",\"severity\":{\"x\":1},\"duration\":\"1h\"}",
                "\"dll\":{\"code_signature\":{\"trusted\":[\"True\",\"yes\",1,true]}},\"process\":{\"interactive\":\"no\",\"pid\":\"1e30\"}",
                "\"source.geo\":{\"location\":\"nowhere\"},\"client\":{\"geo\":{\"location\":{\"lat\":\"x\",\"lon\":[]}}},\"server\":{\"geo\":{\"location\":[1,2,3,4]}}",
                "\"agent\":\"filebeat\",\"user\":[\"alice\"],\"host\":{\"name\":{\"first\":\"a\"},\"os\":\"linux\"}",
                "\"agent.name.conflict\":\"x\",\"url.port.number\":7,\"url.domain.parts\":[\"a\"]",
                "\"\":1,\" \":2,\"a..b\":3,\".x\":4,\"_id\":\"forged\",\"_index\":\"x\",\"_source\":{},\"_version\":2,\"_routing\":\"r\"",
                "\"kibana\":{\"alert\":{\"uuid\":\"forged\",\"rule\":{\"uuid\":1}}},\"signal\":{\"rule\":\"x\"},\"detection\":\"mine\",\"threshold_result\":{}",
                "\"threat\":{\"enrichments\":[\"a\",{\"matched\":{\"atomic\":{\"x\":1}}}],\"enrichments.matched.field\":\"f\"}",
                "\"event.original\":\"" + "é".repeat(20000) + "\",\"gen_ai\":{\"agent\":{\"description\":\"" + "z".repeat(40000) + "\"}}",
                "\"data_stream\":{\"type\":\"logs\",\"dataset\":{\"x\":1},\"namespace\":[\"a\",\"b\"]},\"tags\":{\"t\":1}",
                "\"dns\":{\"Ext\":{\"options\":5}},\"custom\":{\"field\":7}",
                "\"dns\":{\"Ext\":{\"options\":\"text\"}},\"custom\":{\"field\":{\"nested\":\"object\"}}",
                "\"dns\":{\"Ext\":{\"options\":{\"o\":[1,2]}}},\"custom\":[{\"field\":true},3]",
                "\"message\":{\"text\":\"x\"},\"error\":{\"message\":[\"a\",{\"b\":1}]},\"labels\":\"flat\"",
                "\"destination\":{\"ip\":\"203.0.113.9\",\"port\":25,\"address\":{\"x\":1},\"domain\":[[\"a\",[\"b\"]]]}");
        List<Case> out = new ArrayList<>();
        for (int i = 0; i < extras.size(); i++) {
            String extra = extras.get(i);
            boolean ownDestination = extra.startsWith("\"destination\"");
            boolean ownEvent = extra.startsWith("\"event\"");
            String base = ownDestination ? BASE.replace(",\"destination\":{\"port\":25", "") : BASE + "}";
            if (ownEvent) base = base.replace("\"event\":{\"category\":\"network\",\"dataset\":\"flow\"},", "");
            out.add(new Case("generated:" + (i + 1), "{" + base + "," + extra + "}"));
        }
        // Random wrong-typed values in the ECS fields the rule does not read, to widen the net.
        Random random = new Random(12);
        String[] fields = {"source.bytes", "destination.bytes", "client.ip", "server.port", "event.created", "event.sequence",
                "host.cpu.usage", "file.size", "process.pid", "process.start", "dll.code_signature.trusted", "user.risk.calculated_score",
                "observer.ip", "related.ip", "network.bytes", "host.geo.location", "http.response.status_code", "tls.established"};
        String[] values = {"\"garbage\"", "\"1.2.3\"", "\"\"", "true", "false", "1e400", "-1", "\"  7 \"", "{\"k\":\"v\"}", "[{\"k\":1},2]",
                "[\"x\",null]", "\"2024-13-45\"", "18446744073709551616", "\"fe80::1%eth0\"", "\"::ffff:10.0.0.1\"", "[[[]]]"};
        for (int i = 0; i < 200; i++) {
            StringBuilder b = new StringBuilder("{" + BASE + "}");
            for (int k = 0; k < 3; k++) {
                b.append(",\"").append(fields[random.nextInt(fields.length)]).append("\":").append(values[random.nextInt(values.length)]);
            }
            // A random key may repeat one already written: duplicate keys are not a document Elasticsearch takes.
            String event = b.append('}').toString();
            if (!hasDuplicateKeys(event)) out.add(new Case("random:" + (i + 1), event));
        }
        return out;
    }

    private static boolean hasDuplicateKeys(String event) {
        try {
            new com.fasterxml.jackson.databind.ObjectMapper()
                    .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(event);
            return false;
        } catch (java.io.IOException e) {
            return true;
        }
    }
}

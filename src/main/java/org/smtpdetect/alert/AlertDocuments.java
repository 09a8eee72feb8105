package org.smtpdetect.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.smtpdetect.event.Coercions;
import org.smtpdetect.rule.Rule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Builds the alert document Kibana's security solution writes for a query rule match: the source event's
 * fields, {@code event.kind: signal}, the {@code kibana.alert.*} fields Kibana's alerts table and access filter
 * need, and a {@code detection.*} block saying how this job produced it. Runs only for matches.
 */
public final class AlertDocuments {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Rule rule;
    private final String spaceId;
    private final ObjectNode ruleFields;

    /** What the job knows about one alert besides the raw event. */
    public record Provenance(String alertId, String origin, String position, long executionTime, boolean late,
                             List<String> ignoredFields) {}

    public AlertDocuments(Rule rule, String spaceId) {
        this.rule = rule;
        this.spaceId = spaceId;
        this.ruleFields = ruleFields(rule);
    }

    public String toJson(byte[] event, Provenance p, Instant createdAt) {
        try {
            return JSON.writeValueAsString(build(event, p, createdAt));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The alert for a matching event; {@code event} must be a JSON object (the parser checked it). */
    public ObjectNode build(byte[] event, Provenance p, Instant createdAt) {
        ObjectNode source;
        try {
            source = expand((ObjectNode) JSON.readTree(event));
        } catch (IOException | ClassCastException e) {
            throw new IllegalArgumentException("alert source is not a JSON object", e);
        }
        ObjectNode alert = JSON.createObjectNode();
        alert.put("@timestamp", createdAt.toString());
        for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getKey().equals("@timestamp")) alert.set(f.getKey(), f.getValue());
        }
        JsonNode originalEvent = source.has("event") ? source.get("event").deepCopy() : null;
        ObjectNode eventObj = alert.has("event") && alert.get("event").isObject() ? (ObjectNode) alert.get("event") : alert.putObject("event");
        eventObj.put("kind", "signal");

        alert.put("kibana.alert.uuid", p.alertId());
        alert.put("kibana.alert.original_time", originalTime(source.get("@timestamp")));
        alert.setAll(ruleFields);
        alert.putArray("kibana.space_ids").add(spaceId);
        alert.put("kibana.alert.severity", rule.severity());
        alert.put("kibana.alert.risk_score", rule.riskScore());
        alert.put("kibana.alert.status", "active");
        alert.put("kibana.alert.workflow_status", "open");
        alert.put("kibana.alert.start", createdAt.toString());
        alert.put("kibana.alert.last_detected", createdAt.toString());
        alert.put("kibana.alert.depth", 1);
        ObjectNode ancestor = alert.putArray("kibana.alert.ancestors").addObject();
        ancestor.put("id", p.position());
        ancestor.put("index", p.origin());
        ancestor.put("type", "event");
        ancestor.put("depth", 0);
        if (originalEvent != null && originalEvent.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = originalEvent.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                alert.set("kibana.alert.original_event." + f.getKey(), f.getValue());
            }
        }
        alert.put("kibana.alert.reason", reason(source));
        alert.put("kibana.alert.rule.execution.timestamp", Instant.ofEpochMilli(p.executionTime()).toString());

        alert.put("detection.late", p.late());
        alert.put("detection.execution_time", Instant.ofEpochMilli(p.executionTime()).toString());
        alert.put("detection.source.origin", p.origin());
        alert.put("detection.source.position", p.position());
        ArrayNode ignored = alert.putArray("detection.ignored_fields");
        p.ignoredFields().forEach(ignored::add);
        return alert;
    }

    private static String originalTime(JsonNode ts) {
        if (ts == null || ts.isNull()) return null;
        JsonNode first = ts.isArray() && ts.size() > 0 ? ts.get(0) : ts;
        try {
            long ms = first.isNumber() ? first.asLong() : Coercions.dateFromString(first.asText());
            return Instant.ofEpochMilli(ms).toString();
        } catch (Coercions.Malformed e) {
            return first.asText();
        }
    }

    /** Kibana's reason sentence: "network event with source a:p, destination b:q, on host created low alert X." */
    String reason(ObjectNode source) {
        StringBuilder s = new StringBuilder();
        String category = text(source, "event.category");
        if (category != null) s.append(category).append(' ');
        s.append("event");
        List<String> parts = new ArrayList<>();
        add(parts, "process ", text(source, "process.name"), ",");
        add(parts, "parent process ", text(source, "process.parent.name"), ",");
        add(parts, "file ", text(source, "file.name"), ",");
        add(parts, "source ", address(source, "source"), ",");
        add(parts, "destination ", address(source, "destination"), ",");
        add(parts, "by ", text(source, "user.name"), "");
        add(parts, "on ", text(source, "host.name"), "");
        if (!parts.isEmpty()) s.append(" with");
        for (String part : parts) s.append(' ').append(part);
        return s.append(" created ").append(rule.severity()).append(" alert ").append(rule.name()).append('.').toString();
    }

    private static void add(List<String> parts, String label, String value, String suffix) {
        if (value != null) parts.add(label + value + suffix);
    }

    private static String address(ObjectNode source, String side) {
        String ip = text(source, side + ".ip");
        if (ip == null) return null;
        String port = text(source, side + ".port");
        return port == null ? ip : ip + ":" + port;
    }

    /** A field's value(s) as text, arrays joined with ", "; null when absent. */
    private static String text(ObjectNode source, String path) {
        JsonNode n = source;
        for (String part : path.split("\\.")) {
            n = n.isObject() ? n.get(part) : null;
            if (n == null || n.isNull()) return null;
        }
        if (n.isArray()) {
            List<String> vals = new ArrayList<>();
            n.forEach(v -> {
                if (v.isValueNode() && !v.isNull()) vals.add(v.asText());
            });
            return vals.isEmpty() ? null : String.join(", ", vals);
        }
        return n.isValueNode() ? n.asText() : null;
    }

    /** Dotted keys expanded into objects, merging with objects already there (as Elasticsearch reads them). */
    static ObjectNode expand(ObjectNode in) {
        ObjectNode out = JSON.createObjectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            JsonNode v = f.getValue().isObject() ? expand((ObjectNode) f.getValue()) : f.getValue();
            String[] parts = f.getKey().split("\\.");
            ObjectNode target = out;
            for (int i = 0; i < parts.length - 1; i++) {
                JsonNode child = target.get(parts[i]);
                target = child != null && child.isObject() ? (ObjectNode) child : target.putObject(parts[i]);
            }
            String leaf = parts[parts.length - 1];
            JsonNode existing = target.get(leaf);
            if (existing != null && existing.isObject() && v.isObject()) ((ObjectNode) existing).setAll((ObjectNode) v);
            else target.set(leaf, v);
        }
        return out;
    }

    private static ObjectNode ruleFields(Rule r) {
        ObjectNode o = JSON.createObjectNode();
        String p = "kibana.alert.rule.";
        o.put(p + "rule_id", r.ruleId());
        o.put(p + "uuid", r.ruleId());
        o.put(p + "name", r.name());
        o.put(p + "description", r.description());
        o.put(p + "type", r.type());
        o.put(p + "version", r.version());
        o.put(p + "severity", r.severity());
        o.put(p + "risk_score", r.riskScore());
        o.set(p + "tags", JSON.valueToTree(r.tags()));
        o.set(p + "threat", JSON.valueToTree(r.threat()));
        o.put(p + "interval", r.interval().toMinutes() * 60 == r.interval().getSeconds() ? r.interval().toMinutes() + "m" : r.interval().getSeconds() + "s");
        o.put(p + "from", r.from());
        o.put(p + "to", "now");
        o.put(p + "max_signals", r.maxSignals());
        o.set(p + "author", JSON.valueToTree(r.author()));
        o.put(p + "license", r.license());
        o.set(p + "false_positives", JSON.valueToTree(r.falsePositives()));
        o.set(p + "references", JSON.valueToTree(r.references()));
        o.put(p + "query", r.query());
        o.put(p + "language", r.language());
        o.set(p + "indices", JSON.valueToTree(r.index()));
        if (r.timestampOverride() != null) o.put(p + "timestamp_override", r.timestampOverride());
        o.put(p + "consumer", "siem");
        o.put(p + "rule_type_id", "siem.queryRule");
        o.put(p + "category", "Custom Query Rule");
        o.put(p + "producer", "siem");
        o.put(p + "enabled", true);
        return o;
    }
}

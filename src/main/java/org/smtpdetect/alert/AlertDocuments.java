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
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Builds the alert document Kibana's security solution writes for a query rule match ({@code buildAlertFields},
 * {@code transformHitToAlert}): the source event's fields as {@link AlertSource} leaves them, {@code event.kind:
 * signal}, the {@code kibana.alert.*} fields Kibana's alerts table, flyout and access filter read, and a
 * {@code detection.*} block saying how this job produced it. Runs only for matches.
 */
public final class AlertDocuments {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Rule rule;
    private final String spaceId;
    private final ObjectNode ruleFields;
    /** Rule fields each alert writes itself, over the rule's: the name, which a rule name override changes. */
    private static final List<String> PER_ALERT_RULE_FIELDS = List.of("kibana.alert.rule.name");
    /** {@link #ruleFields} but the per-alert ones, serialised once, without braces: more than half of every alert's text. */
    private final String ruleFieldsJson;
    private final AlertSource sourcePreparation = new AlertSource(AlertFieldMap.alertIndex());

    /** What the job knows about one alert besides the raw event. */
    public record Provenance(String alertId, String origin, String position, long executionTime, boolean late,
                             List<String> ignoredFields) {}

    /** Alerts whose {@code kibana.alert.rule.uuid} is the rule id. */
    public AlertDocuments(Rule rule, String spaceId) {
        this(rule, spaceId, rule.ruleId());
    }

    /**
     * @param ruleUuid {@code kibana.alert.rule.uuid}: the saved-object id of the same rule installed in Kibana, so
     *                 its alert flyout finds the rule; the rule id when there is none
     */
    public AlertDocuments(Rule rule, String spaceId, String ruleUuid) {
        this.rule = rule;
        this.spaceId = spaceId;
        this.ruleFields = ruleFields(rule, ruleUuid);
        try {
            ObjectNode constant = ruleFields.deepCopy();
            constant.remove(PER_ALERT_RULE_FIELDS); // written for each alert (overrides)
            String json = JSON.writeValueAsString(constant);
            this.ruleFieldsJson = json.substring(1, json.length() - 1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@link #build}'s document as JSON text, the rule's fields (the same for every alert of the rule, and none
     * of them a field of the event, whose top-level {@code kibana} is removed) spliced in as serialised once.
     */
    public String toJson(byte[] event, Provenance p, Instant createdAt) {
        String alert;
        try {
            alert = JSON.writeValueAsString(build(event, p, createdAt, false));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new StringBuilder(alert.length() + ruleFieldsJson.length() + 1)
                .append(alert, 0, alert.length() - 1).append(',').append(ruleFieldsJson).append('}').toString();
    }

    /** The alert for a matching event; {@code event} must be a JSON object (the parser checked it). */
    public ObjectNode build(byte[] event, Provenance p, Instant createdAt) {
        return build(event, p, createdAt, true);
    }

    private ObjectNode build(byte[] event, Provenance p, Instant createdAt, boolean withRuleFields) {
        ObjectNode raw;
        try {
            raw = (ObjectNode) JSON.readTree(event);
        } catch (IOException | ClassCastException e) {
            throw new IllegalArgumentException("alert source is not a JSON object", e);
        }
        // Kibana takes the overrides and builds the reason from the hit as it was, before preparing the source.
        String name = AlertOverrides.ruleName(rule, raw);
        String severity = AlertOverrides.severity(rule, raw);
        int riskScore = AlertOverrides.riskScore(rule, raw);
        String reason = KibanaReason.of(raw, severity, name);
        String originalTime = originalTime(raw.get("@timestamp"));
        AlertSource.Result prepared = sourcePreparation.traverse(raw);
        ObjectNode source = expand(raw);

        String created = createdAt.toString();
        ObjectNode alert = JSON.createObjectNode();
        alert.put("@timestamp", created);
        for (Iterator<Map.Entry<String, JsonNode>> it = source.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!f.getKey().equals("@timestamp")) alert.set(f.getKey(), f.getValue());
        }
        ObjectNode eventObj = alert.get("event") instanceof ObjectNode ? (ObjectNode) alert.get("event") : alert.putObject("event");
        eventObj.put("kind", "signal");

        alert.put("kibana.alert.uuid", p.alertId());
        alert.put("kibana.alert.original_time", originalTime);
        if (withRuleFields) alert.setAll(ruleFields);
        alert.put("kibana.alert.rule.name", name);
        if (rule.overrides().buildingBlockType() != null) {
            alert.put("kibana.alert.building_block_type", rule.overrides().buildingBlockType());
        }
        alert.putArray("kibana.space_ids").add(spaceId);
        alert.put("kibana.alert.severity", severity);
        alert.put("kibana.alert.risk_score", riskScore);
        alert.put("kibana.alert.status", "active");
        alert.put("kibana.alert.workflow_status", "open");
        alert.putArray("kibana.alert.workflow_tags");
        alert.putArray("kibana.alert.workflow_assignee_ids");
        alert.put("kibana.alert.start", created);
        alert.put("kibana.alert.last_detected", created);
        alert.put("kibana.alert.intended_timestamp", created);
        alert.put("kibana.alert.depth", 1);
        ObjectNode ancestor = alert.putArray("kibana.alert.ancestors").addObject();
        ancestor.put("id", p.position());
        ancestor.put("index", p.origin());
        ancestor.put("type", "event");
        ancestor.put("depth", 0);
        prepared.fieldsToAdd().forEach(alert::set);
        alert.put("kibana.alert.reason", reason);
        alert.put("kibana.alert.rule.execution.uuid", AlertIds.executionUuid(spaceId, rule.ruleId(), p.executionTime()));
        alert.put("kibana.alert.rule.execution.type", "scheduled");
        alert.put("kibana.alert.rule.execution.timestamp", created);

        alert.put("detection.late", p.late());
        alert.put("detection.execution_time", Instant.ofEpochMilli(p.executionTime()).toString());
        alert.put("detection.source.origin", p.origin());
        alert.put("detection.source.position", p.position());
        ArrayNode ignored = alert.putArray("detection.ignored_fields");
        p.ignoredFields().forEach(ignored::add);
        ArrayNode stripped = alert.putArray("detection.stripped_fields");
        prepared.removedPaths().forEach(stripped::add);
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

    private static ObjectNode ruleFields(Rule r, String ruleUuid) {
        ObjectNode o = JSON.createObjectNode();
        String p = "kibana.alert.rule.";
        o.put(p + "rule_id", r.ruleId());
        o.put(p + "uuid", ruleUuid);
        o.put(p + "name", r.name());
        o.put(p + "description", r.description());
        o.put(p + "type", r.type());
        o.put(p + "version", r.version());
        o.put(p + "severity", r.severity());
        o.put(p + "risk_score", r.riskScore());
        o.set(p + "tags", JSON.valueToTree(r.tags()));
        o.set(p + "threat", JSON.valueToTree(r.threat()));
        o.put(p + "interval", interval(r));
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
        o.set(p + "severity_mapping", JSON.valueToTree(r.overrides().severityMapping()));
        o.set(p + "risk_score_mapping", JSON.valueToTree(r.overrides().riskScoreMapping()));
        if (r.overrides().ruleNameOverride() != null) o.put(p + "rule_name_override", r.overrides().ruleNameOverride());
        if (r.overrides().buildingBlockType() != null) o.put(p + "building_block_type", r.overrides().buildingBlockType());
        o.set(p + "parameters", parameters(r));
        return o;
    }

    private static String interval(Rule r) {
        return r.interval().toMinutes() * 60 == r.interval().getSeconds() ? r.interval().toMinutes() + "m" : r.interval().getSeconds() + "s";
    }

    /**
     * {@code kibana.alert.rule.parameters} as Kibana's {@code buildAlertFields} writes them for a query rule: the
     * common parameters ({@code commonParamsCamelToSnake} without {@code output_index}) and the query rule's
     * ({@code typeSpecificCamelToSnake}), in snake case. Parameters the rule file does not carry and Kibana
     * leaves undefined (note, meta, building block, timeline, data view, filters, saved id...) are absent, as
     * JSON serialisation drops them in Kibana; {@code immutable} and {@code rule_source} depend on how the rule
     * was installed in Kibana and are not guessed.
     */
    static ObjectNode parameters(Rule r) {
        ObjectNode o = JSON.createObjectNode();
        o.put("description", r.description());
        o.put("risk_score", r.riskScore());
        o.put("severity", r.severity());
        o.put("license", r.license());
        if (r.timestampOverride() != null) o.put("timestamp_override", r.timestampOverride());
        o.set("author", JSON.valueToTree(r.author()));
        o.set("false_positives", JSON.valueToTree(r.falsePositives()));
        o.put("from", r.from());
        o.put("rule_id", r.ruleId());
        o.put("max_signals", r.maxSignals());
        o.set("risk_score_mapping", JSON.valueToTree(r.overrides().riskScoreMapping()));
        o.set("severity_mapping", JSON.valueToTree(r.overrides().severityMapping()));
        if (r.overrides().ruleNameOverride() != null) o.put("rule_name_override", r.overrides().ruleNameOverride());
        if (r.overrides().buildingBlockType() != null) o.put("building_block_type", r.overrides().buildingBlockType());
        o.set("threat", JSON.valueToTree(r.threat()));
        o.put("to", "now");
        o.set("references", JSON.valueToTree(r.references()));
        o.put("version", r.version());
        o.putArray("exceptions_list");
        o.putArray("related_integrations");
        o.putArray("required_fields");
        o.put("setup", "");
        o.put("type", r.type());
        o.put("language", r.language());
        o.set("index", JSON.valueToTree(r.index()));
        o.put("query", r.query());
        return o;
    }
}

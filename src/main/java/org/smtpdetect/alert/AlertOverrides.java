package org.smtpdetect.alert;

import com.fasterxml.jackson.databind.JsonNode;
import org.smtpdetect.rule.Rule;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What Kibana's {@code transformHitToAlert} takes from the event instead of the rule for a query rule's alert
 * ({@code build_rule_name_from_mapping.ts}, {@code build_severity_from_mapping.ts},
 * {@code build_risk_score_from_mapping.ts}): values are read from the event's source with lodash's {@code get}
 * (the whole dotted name as a key, or the path through objects; arrays are not entered).
 */
final class AlertOverrides {
    private static final Map<String, Integer> SEVERITY_ORDER = Map.of("low", 0, "medium", 1, "high", 2, "critical", 3);
    private static final String ECS_SEVERITY = "event.severity";

    private AlertOverrides() {}

    /** {@code rule_name_override}: the field's value when it is a string, else the rule's name. */
    static String ruleName(Rule rule, JsonNode source) {
        String field = rule.overrides().ruleNameOverride();
        if (field == null) return rule.name();
        JsonNode v = get(source, field);
        return v != null && v.isTextual() ? v.asText() : rule.name();
    }

    /**
     * {@code severity_mapping}: entries sorted low to high, the last whose value the event's field holds wins.
     * {@code event.severity} compares as an integer (safe integer event values only); other fields compare
     * strings and safe-integer numbers as strings.
     */
    static String severity(Rule rule, JsonNode source) {
        List<Rule.SeverityMapping> sorted = new ArrayList<>(rule.overrides().severityMapping());
        sorted.sort(Comparator.comparingInt(m -> SEVERITY_ORDER.get(m.severity())));
        String match = null;
        for (Rule.SeverityMapping m : sorted) {
            boolean ecs = m.field().equals(ECS_SEVERITY);
            Set<String> values = new HashSet<>();
            for (JsonNode v : values(get(source, m.field()))) {
                if (isSafeInteger(v)) values.add(Long.toString(v.asLong()));
                else if (!ecs && v.isTextual()) values.add(v.asText());
            }
            String wanted = ecs ? floorNumber(m.value()) : m.value();
            if (wanted != null && values.contains(wanted)) match = m.severity();
        }
        return match != null ? match : rule.severity();
    }

    /** {@code risk_score_mapping}: the largest value of the first entry's field that is a number in 0-100. */
    static int riskScore(Rule rule, JsonNode source) {
        List<Rule.RiskScoreMapping> mapping = rule.overrides().riskScoreMapping();
        if (mapping.isEmpty()) return rule.riskScore();
        double max = -1;
        for (JsonNode v : values(get(source, mapping.get(0).field()))) {
            double d = v.isNumber() ? v.asDouble() : v.isTextual() ? jsNumber(v.asText()) : Double.NaN;
            if (Double.isFinite(d) && d >= 0 && d <= 100) max = Math.max(max, d);
        }
        // Kibana writes the number as it is; the alert index maps risk_score as float.
        return max < 0 ? rule.riskScore() : (int) Math.round(max);
    }

    /** lodash {@code get(path, object)}: the whole path as a key if the object has it, else the path through objects. */
    static JsonNode get(JsonNode source, String path) {
        if (source == null || !source.isObject()) return null;
        if (source.has(path)) return source.get(path);
        JsonNode n = source;
        for (String part : path.split("\\.", -1)) {
            if (n == null || !n.isObject()) return null;
            n = n.get(part);
        }
        return n;
    }

    private static List<JsonNode> values(JsonNode v) {
        List<JsonNode> out = new ArrayList<>();
        if (v == null) return out;
        if (v.isArray()) v.forEach(out::add);
        else out.add(v);
        return out;
    }

    private static boolean isSafeInteger(JsonNode v) {
        if (!v.isNumber()) return false;
        double d = v.asDouble();
        return d == Math.rint(d) && Math.abs(d) <= 9007199254740991d;
    }

    /** {@code Math.floor(Number(value))} as a decimal integer string, or null when it is not a number. */
    private static String floorNumber(String value) {
        double d = jsNumber(value);
        if (!Double.isFinite(d)) return null;
        return Long.toString((long) Math.floor(d));
    }

    /** JavaScript's {@code Number(string)}: trimmed, empty is 0, decimal or 0x/0o/0b integers, Infinity. */
    static double jsNumber(String s) {
        String t = s.strip();
        if (t.isEmpty()) return 0;
        try {
            if (t.matches("0[xX][0-9a-fA-F]+")) return Long.parseLong(t.substring(2), 16);
            if (t.matches("0[oO][0-7]+")) return Long.parseLong(t.substring(2), 8);
            if (t.matches("0[bB][01]+")) return Long.parseLong(t.substring(2), 2);
            if (t.matches("[+-]?Infinity")) return t.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            if (!t.matches("[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?")) return Double.NaN;
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}

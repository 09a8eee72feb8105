package org.smtpdetect.rule;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Loads query rules from Elastic's formats: detection-rules TOML ({@code .toml}, fields under {@code [rule]}),
 * a Kibana rule export ({@code .ndjson}, one rule per line; the export summary line is skipped) or one rule as
 * JSON ({@code .json}). Fails fast with a message naming the file and the field.
 */
public final class RuleLoader {
    /** The bundled seed rule: Elastic's "SMTP to the Internet", version 8. */
    public static final String DEFAULT_RULE_RESOURCE = "/rules/smtp-to-the-internet.toml";

    private static final Pattern DURATION = Pattern.compile("(\\d+)([smhd])");
    private static final Pattern FROM = Pattern.compile("now-(\\d+[smhd])");
    private static final Set<String> SEVERITIES = Set.of("low", "medium", "high", "critical");
    private static final int KIBANA_DEFAULT_MAX_SIGNALS = 100;

    private RuleLoader() {}

    public static Rule loadDefault() {
        try (InputStream in = RuleLoader.class.getResourceAsStream(DEFAULT_RULE_RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + DEFAULT_RULE_RESOURCE);
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "smtp-to-the-internet.toml").get(0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static List<Rule> load(Path file) {
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RuleFormatException("cannot read rule file " + file + ": " + e.getMessage(), e);
        }
        return parse(content, file.toString());
    }

    /** Parses rules; the format follows the name's extension ({@code .toml}, {@code .ndjson}, {@code .json}). */
    public static List<Rule> parse(String content, String name) {
        String lower = name.toLowerCase(Locale.ROOT);
        List<Rule> rules = new ArrayList<>();
        try {
            if (lower.endsWith(".toml")) {
                JsonNode doc = new TomlMapper().readTree(content);
                JsonNode rule = doc.get("rule");
                if (rule == null || !rule.isObject()) throw new RuleFormatException(name + ": no [rule] table");
                rules.add(fromNode(rule, name, "rule."));
            } else if (lower.endsWith(".ndjson")) {
                ObjectMapper json = new ObjectMapper();
                String[] lines = content.split("\r?\n");
                for (int i = 0; i < lines.length; i++) {
                    if (lines[i].isBlank()) continue;
                    JsonNode node = json.readTree(lines[i]);
                    if (node.has("exported_count") || node.has("exported_rules_count")) continue;
                    rules.add(fromNode(node, name + ":" + (i + 1), ""));
                }
            } else if (lower.endsWith(".json")) {
                rules.add(fromNode(new ObjectMapper().readTree(content), name, ""));
            } else {
                throw new RuleFormatException(name + ": unknown rule format; use .toml (detection-rules), .ndjson (Kibana export) or .json");
            }
        } catch (JsonProcessingException e) {
            throw new RuleFormatException(name + ": not valid " + (lower.endsWith(".toml") ? "TOML" : "JSON") + ": " + e.getOriginalMessage(), e);
        }
        if (rules.isEmpty()) throw new RuleFormatException(name + ": contains no rule");
        return rules;
    }

    private static Rule fromNode(JsonNode n, String file, String prefix) {
        Fields f = new Fields(n, file, prefix);
        String type = f.text("type", null);
        if (!"query".equals(type)) {
            throw new RuleFormatException(f.file() + ": type " + type + " is not supported (field '" + f.prefix + "type'; the job runs query rules)");
        }
        String language = f.text("language", "kuery");
        if (!"kuery".equals(language)) {
            throw new RuleFormatException(f.file() + ": language " + language + " is not supported (field '" + f.prefix
                    + "language'; the job runs KQL, kuery)");
        }
        refuseUnhonoured(f);
        String query = f.text("query", null).strip();
        if (query.isEmpty()) throw f.error("query", "is empty");
        Duration interval = f.duration("interval", "5m");
        String from = f.text("from", "now-6m");
        Matcher m = FROM.matcher(from);
        if (!m.matches()) throw f.error("from", "must look like now-9m, found " + from);
        Duration lookBack = parseDuration(m.group(1));
        if (lookBack.compareTo(interval) < 0) {
            throw f.error("from", "looks back " + from + ", less than the interval " + f.text("interval", "5m") + ": events would be missed");
        }
        int maxSignals = f.integer("max_signals", KIBANA_DEFAULT_MAX_SIGNALS);
        if (maxSignals <= 0) throw f.error("max_signals", "must be positive, found " + maxSignals);
        String severity = f.text("severity", null);
        if (!SEVERITIES.contains(severity)) throw f.error("severity", "must be one of low, medium, high, critical, found " + severity);
        int riskScore = f.integer("risk_score", null);
        if (riskScore < 0 || riskScore > 100) throw f.error("risk_score", "must be 0-100, found " + riskScore);
        List<String> index = f.strings("index", true);
        if (index.isEmpty()) throw f.error("index", "must list at least one index pattern");
        return new Rule(
                f.text("rule_id", null), f.text("name", null), f.text("description", null),
                f.integer("version", 1), type, language, query, index, interval, from, lookBack, maxSignals,
                severity, riskScore, f.strings("tags", false), threats(f), f.strings("false_positives", false),
                f.strings("references", false), f.strings("author", true), f.text("license", ""),
                f.text("timestamp_override", ""). isEmpty() ? null : f.text("timestamp_override", ""),
                exceptionsList(f), filters(f), overrides(f));
    }

    /** Rule options that change which events alert, or how many alerts, that the job cannot honour. */
    private static void refuseUnhonoured(Fields f) {
        JsonNode suppression = f.node.get("alert_suppression");
        if (suppression != null && !suppression.isNull()) {
            throw f.error("alert_suppression", "(" + suppression + ") is not supported: Kibana suppresses repeated alerts per group"
                    + " and window, the job would alert every matching event; remove it to run the rule unsuppressed");
        }
        for (String key : List.of("saved_id", "data_view_id")) {
            JsonNode v = f.node.get(key);
            if (v != null && !v.isNull() && !(v.isTextual() && v.asText().isEmpty())) {
                throw f.error(key, "is not supported: the job cannot resolve Kibana's " + (key.equals("saved_id") ? "saved queries" : "data views")
                        + "; give the query and index patterns in the rule");
            }
        }
    }

    /** {@code filters}: Kibana query-bar filters, kept as JSON; compiled with the query (see Detector). */
    private static List<String> filters(Fields f) {
        JsonNode arr = f.node.get("filters");
        if (arr == null || arr.isNull()) return List.of();
        if (!arr.isArray()) throw f.error("filters", "must be a list of Kibana filters");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            if (!arr.get(i).isObject()) throw f.error("filters[" + i + "]", "must be a Kibana filter object ({meta, query})");
            out.add(arr.get(i).toString());
        }
        return List.copyOf(out);
    }

    private static Rule.Overrides overrides(Fields f) {
        String nameOverride = f.text("rule_name_override", "");
        List<Rule.SeverityMapping> severity = new ArrayList<>();
        JsonNode sm = f.node.get("severity_mapping");
        if (sm != null && !sm.isNull()) {
            if (!sm.isArray()) throw f.error("severity_mapping", "must be a list of {field, operator, value, severity}");
            for (int i = 0; i < sm.size(); i++) {
                Fields e = new Fields(sm.get(i), f.file(), f.prefix + "severity_mapping[" + i + "].");
                String op = e.text("operator", "equals");
                if (!op.equals("equals")) throw e.error("operator", "must be equals, found " + op);
                String sev = e.text("severity", null);
                if (!SEVERITIES.contains(sev)) throw e.error("severity", "must be one of low, medium, high, critical, found " + sev);
                severity.add(new Rule.SeverityMapping(e.text("field", null), op, e.text("value", ""), sev));
            }
        }
        List<Rule.RiskScoreMapping> risk = new ArrayList<>();
        JsonNode rm = f.node.get("risk_score_mapping");
        if (rm != null && !rm.isNull()) {
            if (!rm.isArray()) throw f.error("risk_score_mapping", "must be a list of {field, operator, value}");
            for (int i = 0; i < rm.size(); i++) {
                Fields e = new Fields(rm.get(i), f.file(), f.prefix + "risk_score_mapping[" + i + "].");
                String op = e.text("operator", "equals");
                if (!op.equals("equals")) throw e.error("operator", "must be equals, found " + op);
                risk.add(new Rule.RiskScoreMapping(e.text("field", null), op, e.text("value", "")));
            }
        }
        String buildingBlock = f.text("building_block_type", "");
        return new Rule.Overrides(nameOverride.isEmpty() ? null : nameOverride, severity, risk,
                buildingBlock.isEmpty() ? null : buildingBlock);
    }

    /** {@code exceptions_list}: {@code [{id, list_id, namespace_type, type}]} in both Kibana's and detection-rules' formats. */
    private static List<Rule.ExceptionListRef> exceptionsList(Fields f) {
        JsonNode arr = f.node.get("exceptions_list");
        if (arr == null || arr.isNull()) return List.of();
        if (!arr.isArray()) throw f.error("exceptions_list", "must be a list of {id, list_id, namespace_type, type}");
        List<Rule.ExceptionListRef> out = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            Fields e = new Fields(arr.get(i), f.file(), f.prefix + "exceptions_list[" + i + "].");
            String namespace = e.text("namespace_type", "single");
            if (!namespace.equals("single") && !namespace.equals("agnostic")) {
                throw e.error("namespace_type", "must be single or agnostic, found " + namespace);
            }
            out.add(new Rule.ExceptionListRef(e.text("id", ""), e.text("list_id", null), namespace, e.text("type", "detection")));
        }
        return List.copyOf(out);
    }

    private static List<Rule.Threat> threats(Fields f) {
        List<Rule.Threat> out = new ArrayList<>();
        JsonNode arr = f.node.get("threat");
        if (arr == null) return out;
        if (!arr.isArray()) throw f.error("threat", "must be a list");
        for (int i = 0; i < arr.size(); i++) {
            JsonNode t = arr.get(i);
            String at = "threat[" + i + "]";
            List<Rule.Technique> techniques = new ArrayList<>();
            JsonNode techs = t.get("technique");
            if (techs != null) {
                for (int j = 0; j < techs.size(); j++) {
                    JsonNode te = techs.get(j);
                    List<Rule.Entry> subs = new ArrayList<>();
                    JsonNode s = te.get("subtechnique");
                    if (s != null) for (JsonNode st : s) subs.add(entry(f, st, at + ".technique[" + j + "].subtechnique"));
                    Rule.Entry e = entry(f, te, at + ".technique[" + j + "]");
                    techniques.add(new Rule.Technique(e.id(), e.name(), e.reference(), List.copyOf(subs)));
                }
            }
            JsonNode tactic = t.get("tactic");
            if (tactic == null) throw f.error(at + ".tactic", "is required");
            out.add(new Rule.Threat(t.path("framework").asText("MITRE ATT&CK"), entry(f, tactic, at + ".tactic"), List.copyOf(techniques)));
        }
        return List.copyOf(out);
    }

    private static Rule.Entry entry(Fields f, JsonNode n, String at) {
        for (String k : new String[] {"id", "name", "reference"}) {
            if (!n.path(k).isTextual()) throw f.error(at + "." + k, "is required");
        }
        return new Rule.Entry(n.get("id").asText(), n.get("name").asText(), n.get("reference").asText());
    }

    static Duration parseDuration(String s) {
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) return null;
        long v = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "s": return Duration.ofSeconds(v);
            case "m": return Duration.ofMinutes(v);
            case "h": return Duration.ofHours(v);
            default: return Duration.ofDays(v);
        }
    }

    /** Typed access to a rule's fields, with errors naming the file and the field. */
    private static final class Fields extends JsonFields {
        Fields(JsonNode node, String file, String prefix) {
            super(object(node, file), file, prefix);
        }

        private static JsonNode object(JsonNode node, String file) {
            if (!node.isObject()) throw new RuleFormatException(file + ": a rule must be an object");
            return node;
        }

        @Override
        protected RuleFormatException newError(String message) {
            return new RuleFormatException(message);
        }

        @Override
        public RuleFormatException error(String field, String problem) {
            return (RuleFormatException) super.error(field, problem);
        }

        String file() {
            return at;
        }

        int integer(String field, Integer dflt) {
            JsonNode v = node.get(field);
            if (v == null || v.isNull()) {
                if (dflt == null) throw error(field, "is required");
                return dflt;
            }
            if (!v.canConvertToInt() || !v.isIntegralNumber()) throw error(field, "must be an integer");
            return v.asInt();
        }

        Duration duration(String field, String dflt) {
            String s = text(field, dflt);
            Duration d = parseDuration(s);
            if (d == null || d.isZero()) throw error(field, "must be a duration like 5m, found " + s);
            return d;
        }
    }
}

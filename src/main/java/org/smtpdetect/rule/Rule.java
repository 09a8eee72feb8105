package org.smtpdetect.rule;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A Kibana query rule, as Elastic's rule formats define it (detection-rules TOML {@code [rule]}, or a Kibana
 * rule export). Immutable and serializable so the job can ship it to its operators.
 *
 * @param from        the look-back expression as written, e.g. {@code now-9m}
 * @param lookBack    what {@code from} means: each execution covers [T - lookBack, T)
 * @param timestampOverride the field Kibana reads event time from instead of {@code @timestamp}, or null
 * @param exceptionsList    the exception lists the rule names ({@code exceptions_list}); empty: none named
 * @param filters           the rule's query-bar filters ({@code filters}), each as Kibana stores it (JSON), applied
 *                          with the query as Kibana's {@code buildEsQuery} applies them
 * @param overrides         what an alert takes from its event instead of the rule: name, severity, risk score; and
 *                          the building block type
 * @param fieldTypes        the site's own field types the rule is compiled with, over the bundled table
 *                          ({@code --field-types}: field to mapping type, and analyzer after a tab)
 */
public record Rule(
        String ruleId,
        String name,
        String description,
        int version,
        String type,
        String language,
        String query,
        List<String> index,
        Duration interval,
        String from,
        Duration lookBack,
        int maxSignals,
        String severity,
        int riskScore,
        List<String> tags,
        List<Threat> threat,
        List<String> falsePositives,
        List<String> references,
        List<String> author,
        String license,
        String timestampOverride,
        List<ExceptionListRef> exceptionsList,
        List<String> filters,
        Overrides overrides,
        Map<String, String> fieldTypes) implements Serializable {

    public Rule {
        exceptionsList = exceptionsList == null ? List.of() : List.copyOf(exceptionsList);
        filters = filters == null ? List.of() : List.copyOf(filters);
        overrides = overrides == null ? Overrides.NONE : overrides;
        fieldTypes = fieldTypes == null ? Map.of() : Map.copyOf(fieldTypes);
    }

    /** A rule with filters and overrides, compiled with the bundled field types. */
    public Rule(String ruleId, String name, String description, int version, String type, String language, String query,
                List<String> index, Duration interval, String from, Duration lookBack, int maxSignals, String severity,
                int riskScore, List<String> tags, List<Threat> threat, List<String> falsePositives, List<String> references,
                List<String> author, String license, String timestampOverride, List<ExceptionListRef> exceptionsList,
                List<String> filters, Overrides overrides) {
        this(ruleId, name, description, version, type, language, query, index, interval, from, lookBack, maxSignals,
                severity, riskScore, tags, threat, falsePositives, references, author, license, timestampOverride,
                exceptionsList, filters, overrides, Map.of());
    }

    /** This rule compiled with a site's field types (see {@link #fieldTypes()}). */
    public Rule withFieldTypes(Map<String, String> types) {
        return new Rule(ruleId, name, description, version, type, language, query, index, interval, from, lookBack, maxSignals,
                severity, riskScore, tags, threat, falsePositives, references, author, license, timestampOverride,
                exceptionsList, filters, overrides, types);
    }

    /** A rule with no filters and no overrides. */
    public Rule(String ruleId, String name, String description, int version, String type, String language, String query,
                List<String> index, Duration interval, String from, Duration lookBack, int maxSignals, String severity,
                int riskScore, List<String> tags, List<Threat> threat, List<String> falsePositives, List<String> references,
                List<String> author, String license, String timestampOverride, List<ExceptionListRef> exceptionsList) {
        this(ruleId, name, description, version, type, language, query, index, interval, from, lookBack, maxSignals,
                severity, riskScore, tags, threat, falsePositives, references, author, license, timestampOverride,
                exceptionsList, List.of(), Overrides.NONE, Map.of());
    }

    /** A rule that names no exception lists. */
    public Rule(String ruleId, String name, String description, int version, String type, String language, String query,
                List<String> index, Duration interval, String from, Duration lookBack, int maxSignals, String severity,
                int riskScore, List<String> tags, List<Threat> threat, List<String> falsePositives, List<String> references,
                List<String> author, String license, String timestampOverride) {
        this(ruleId, name, description, version, type, language, query, index, interval, from, lookBack, maxSignals,
                severity, riskScore, tags, threat, falsePositives, references, author, license, timestampOverride, List.of(),
                List.of(), Overrides.NONE, Map.of());
    }

    /**
     * What Kibana's {@code transformHitToAlert} takes from the event for a query rule's alert: the rule name from
     * {@code rule_name_override}, the severity from {@code severity_mapping}, the risk score from
     * {@code risk_score_mapping}; {@code building_block_type} marks the alerts as building blocks.
     */
    public record Overrides(String ruleNameOverride, List<SeverityMapping> severityMapping,
                            List<RiskScoreMapping> riskScoreMapping, String buildingBlockType) implements Serializable {
        public static final Overrides NONE = new Overrides(null, List.of(), List.of(), null);

        public Overrides {
            severityMapping = severityMapping == null ? List.of() : List.copyOf(severityMapping);
            riskScoreMapping = riskScoreMapping == null ? List.of() : List.copyOf(riskScoreMapping);
        }
    }

    /** {@code severity_mapping} entry: an event whose {@code field} equals {@code value} alerts with {@code severity}. */
    public record SeverityMapping(String field, String operator, String value, String severity) implements Serializable {}

    /** {@code risk_score_mapping} entry: the risk score is read from {@code field} (0-100). */
    public record RiskScoreMapping(String field, String operator, String value) implements Serializable {}

    /**
     * An entry of the rule's {@code exceptions_list}: Kibana applies the items of the list with this
     * {@code list_id} and {@code namespace_type}.
     */
    public record ExceptionListRef(String id, String listId, String namespaceType, String type) implements Serializable {}

    /** A MITRE ATT&CK mapping entry, in Kibana's shape. */
    public record Threat(String framework, Entry tactic, List<Technique> technique) implements Serializable {}

    public record Entry(String id, String name, String reference) implements Serializable {}

    public record Technique(String id, String name, String reference, List<Entry> subtechnique) implements Serializable {}
}

package org.smtpdetect.rule;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * A Kibana query rule, as Elastic's rule formats define it (detection-rules TOML {@code [rule]}, or a Kibana
 * rule export). Immutable and serializable so the job can ship it to its operators.
 *
 * @param from        the look-back expression as written, e.g. {@code now-9m}
 * @param lookBack    what {@code from} means: each execution covers [T - lookBack, T)
 * @param timestampOverride the field Kibana reads event time from instead of {@code @timestamp}, or null
 * @param exceptionsList    the exception lists the rule names ({@code exceptions_list}); empty: none named
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
        List<ExceptionListRef> exceptionsList) implements Serializable {

    public Rule {
        exceptionsList = exceptionsList == null ? List.of() : List.copyOf(exceptionsList);
    }

    /** A rule that names no exception lists. */
    public Rule(String ruleId, String name, String description, int version, String type, String language, String query,
                List<String> index, Duration interval, String from, Duration lookBack, int maxSignals, String severity,
                int riskScore, List<String> tags, List<Threat> threat, List<String> falsePositives, List<String> references,
                List<String> author, String license, String timestampOverride) {
        this(ruleId, name, description, version, type, language, query, index, interval, from, lookBack, maxSignals,
                severity, riskScore, tags, threat, falsePositives, references, author, license, timestampOverride, List.of());
    }

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

package org.smtpdetect.job;

import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.configuration.Configuration;
import org.smtpdetect.alert.AlertDocuments;
import org.smtpdetect.connectors.SinkDocument;
import org.smtpdetect.rule.Rule;

import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds the Kibana alert document for each decision, keyed by its deterministic alert id. */
public final class AlertDocumentFunction extends RichMapFunction<AlertDecision, SinkDocument> {
    private static final long serialVersionUID = 1L;

    private final List<Rule> rules;
    private final String spaceId;
    private final Map<String, String> kibanaRuleUuids;
    private transient Map<String, AlertDocuments> byRule;

    /** @param kibanaRuleUuids {@code kibana.alert.rule.uuid} by rule id where it is not the rule id */
    public AlertDocumentFunction(List<Rule> rules, String spaceId, Map<String, String> kibanaRuleUuids) {
        this.rules = List.copyOf(rules);
        this.spaceId = spaceId;
        this.kibanaRuleUuids = new HashMap<>(kibanaRuleUuids);
    }

    @Override
    public void open(Configuration parameters) {
        byRule = new HashMap<>();
        for (Rule r : rules) {
            byRule.put(r.ruleId(), new AlertDocuments(r, spaceId, kibanaRuleUuids.getOrDefault(r.ruleId(), r.ruleId())));
        }
    }

    @Override
    public SinkDocument map(AlertDecision d) {
        Candidate c = d.candidate;
        AlertDocuments.Provenance p = new AlertDocuments.Provenance(c.alertId, c.origin, c.position, d.executionTime,
                d.late, List.of(c.ignoredFields == null ? new String[0] : c.ignoredFields));
        return new SinkDocument(c.alertId, byRule.get(c.ruleId).toJson(c.event, p, Instant.now()));
    }
}

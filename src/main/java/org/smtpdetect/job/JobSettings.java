package org.smtpdetect.job;

import org.smtpdetect.exception.ExceptionSources;
import org.smtpdetect.rule.Rule;

import java.io.Serializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What the topology needs to know, independent of where events come from and go to.
 *
 * @param kibanaRuleUuids {@code kibana.alert.rule.uuid} by rule id, where it is not the rule id itself
 * @param exceptions      the rule exceptions to apply and watch
 */
public record JobSettings(List<Rule> rules, String timestampField, Duration maxOutOfOrderness, Duration idleness,
                          Duration caughtUpIdleness, boolean earlyAlerts, String spaceId, Map<String, String> kibanaRuleUuids,
                          Exceptions exceptions) implements Serializable {
    /** Default for {@code caughtUpIdleness}, as the option's. */
    public static final Duration CAUGHT_UP_IDLENESS = Duration.ofSeconds(5);

    /**
     * The rule exceptions: the files and value-list directory to read ({@code null} directory when not given), how
     * often to read them while streaming, and their content as read and checked at start-up.
     */
    public record Exceptions(List<String> files, String valueListDirectory, Duration pollInterval,
                             ExceptionSources initial) implements Serializable {
        public Exceptions {
            files = List.copyOf(files);
        }

        public static Exceptions none() {
            return new Exceptions(List.of(), null, Duration.ofSeconds(30), ExceptionSources.none());
        }
    }

    public JobSettings {
        rules = List.copyOf(rules);
        if (rules.isEmpty()) throw new IllegalArgumentException("no rules");
        kibanaRuleUuids = Map.copyOf(kibanaRuleUuids);
        if (exceptions == null) exceptions = Exceptions.none();
    }

    /** Settings with the default caught-up idleness. */
    public JobSettings(List<Rule> rules, String timestampField, Duration maxOutOfOrderness, Duration idleness,
                       boolean earlyAlerts, String spaceId, Map<String, String> kibanaRuleUuids, Exceptions exceptions) {
        this(rules, timestampField, maxOutOfOrderness, idleness, CAUGHT_UP_IDLENESS, earlyAlerts, spaceId, kibanaRuleUuids, exceptions);
    }

    /** Settings whose alerts carry the rule id as {@code kibana.alert.rule.uuid}, without rule exceptions. */
    public JobSettings(List<Rule> rules, String timestampField, Duration maxOutOfOrderness, Duration idleness,
                       boolean earlyAlerts, String spaceId) {
        this(rules, timestampField, maxOutOfOrderness, idleness, earlyAlerts, spaceId, Map.of());
    }

    /** Settings without rule exceptions. */
    public JobSettings(List<Rule> rules, String timestampField, Duration maxOutOfOrderness, Duration idleness,
                       boolean earlyAlerts, String spaceId, Map<String, String> kibanaRuleUuids) {
        this(rules, timestampField, maxOutOfOrderness, idleness, earlyAlerts, spaceId, kibanaRuleUuids, Exceptions.none());
    }

    /** The {@code kibana.alert.rule.uuid} of a rule's alerts. */
    public String kibanaRuleUuid(String ruleId) {
        return kibanaRuleUuids.getOrDefault(ruleId, ruleId);
    }

    /**
     * Reads option {@code kibana.rule-uuid}: one saved-object id when one rule runs, else {@code rule_id=id} pairs
     * naming loaded rules. Fails with a message naming the option otherwise.
     */
    public static Map<String, String> kibanaRuleUuids(List<String> entries, List<Rule> rules) {
        Map<String, String> out = new HashMap<>();
        for (String e : entries) {
            int eq = e.indexOf('=');
            if (eq < 0) {
                if (entries.size() > 1 || rules.size() > 1) {
                    throw new IllegalArgumentException("option --kibana.rule-uuid: " + rules.size() + " rules run; give rule_id=saved-object-id pairs, found '" + e + "'");
                }
                out.put(rules.get(0).ruleId(), e);
                continue;
            }
            String ruleId = e.substring(0, eq).strip();
            String uuid = e.substring(eq + 1).strip();
            if (rules.stream().noneMatch(r -> r.ruleId().equals(ruleId))) {
                throw new IllegalArgumentException("option --kibana.rule-uuid: no loaded rule has rule_id '" + ruleId + "'");
            }
            if (uuid.isEmpty()) throw new IllegalArgumentException("option --kibana.rule-uuid: empty saved-object id for rule " + ruleId);
            out.put(ruleId, uuid);
        }
        return out;
    }

    /** Kibana's schedule of each rule, by rule id. */
    public Map<String, ExecutionSchedule> schedules() {
        Map<String, ExecutionSchedule> m = new HashMap<>();
        for (Rule r : rules) {
            m.put(r.ruleId(), new ExecutionSchedule(r.interval().toMillis(), r.lookBack().toMillis(), r.maxSignals()));
        }
        return m;
    }
}

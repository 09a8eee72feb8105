package org.smtpdetect.job;

import org.smtpdetect.rule.Rule;

import java.io.Serializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the topology needs to know, independent of where events come from and go to. */
public record JobSettings(List<Rule> rules, String timestampField, Duration maxOutOfOrderness, Duration idleness,
                          Duration caughtUpIdleness, boolean earlyAlerts, String spaceId) implements Serializable {
    /** Default for {@code caughtUpIdleness}, as the option's. */
    public static final Duration CAUGHT_UP_IDLENESS = Duration.ofSeconds(5);

    public JobSettings(List<Rule> rules, String timestampField, Duration maxOutOfOrderness, Duration idleness,
                       boolean earlyAlerts, String spaceId) {
        this(rules, timestampField, maxOutOfOrderness, idleness, CAUGHT_UP_IDLENESS, earlyAlerts, spaceId);
    }

    public JobSettings {
        rules = List.copyOf(rules);
        if (rules.isEmpty()) throw new IllegalArgumentException("no rules");
        if (rules.size() > EventEvaluator.MAX_RULES) throw new IllegalArgumentException("at most " + EventEvaluator.MAX_RULES + " rules");
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

package org.smtpdetect.job;

import org.smtpdetect.exception.ExceptionSources;
import org.smtpdetect.rule.Rule;

import java.io.Serializable;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the topology needs to know, independent of where events come from and go to. */
public record JobSettings(List<Rule> rules, String timestampField, Duration maxOutOfOrderness, Duration idleness,
                          boolean earlyAlerts, String spaceId, Exceptions exceptions) implements Serializable {

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
        if (rules.size() > EventEvaluator.MAX_RULES) throw new IllegalArgumentException("at most " + EventEvaluator.MAX_RULES + " rules");
        if (exceptions == null) exceptions = Exceptions.none();
    }

    /** Settings without rule exceptions. */
    public JobSettings(List<Rule> rules, String timestampField, Duration maxOutOfOrderness, Duration idleness,
                       boolean earlyAlerts, String spaceId) {
        this(rules, timestampField, maxOutOfOrderness, idleness, earlyAlerts, spaceId, Exceptions.none());
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

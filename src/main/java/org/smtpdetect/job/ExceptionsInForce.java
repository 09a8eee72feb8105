package org.smtpdetect.job;

import org.smtpdetect.connectors.exceptions.ExceptionsVersion;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.exception.ExceptionSet;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.Rule;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An exceptions version compiled for the job's rules, as one executions subtask applies it to candidates: the
 * candidate's raw event is parsed once over the rules' and the exceptions' fields. Not thread-safe.
 */
final class ExceptionsInForce {
    final long number;
    final String digest;
    private final ExceptionSet set;
    private final Detector detector;
    private final Map<String, Integer> ruleIndex = new HashMap<>();

    private ExceptionsInForce(ExceptionsVersion version, List<Rule> rules) {
        this.number = version.number;
        this.digest = version.digest();
        this.set = rules.isEmpty() ? ExceptionSet.none() : ExceptionSet.compile(version.sources, rules, Detector.fieldTypes(rules));
        boolean any = false;
        for (int i = 0; i < rules.size(); i++) {
            ruleIndex.put(rules.get(i).ruleId(), i);
            any |= set.appliesTo(i);
        }
        this.detector = any ? Detector.of(rules, set.fields()) : null;
        if (detector != null) set.bind(detector.schema());
    }

    /** Compiles {@code version}; fails as {@link ExceptionSet#compile} does. */
    static ExceptionsInForce compile(ExceptionsVersion version, List<Rule> rules) {
        return new ExceptionsInForce(version, rules);
    }

    String summary() {
        return set.summary();
    }

    /**
     * {@link ExceptionSet#exceptedUntil} for the candidate's event under its rule. An event that is not a
     * document once the exceptions' fields are read too is not excepted: the rule matched it as it was parsed
     * for the rule.
     */
    long exceptedUntil(Candidate c) {
        Integer rule = ruleIndex.get(c.ruleId);
        if (detector == null || rule == null || !set.appliesTo(rule) || c.event == null) return ExceptionSet.NOT_EXCEPTED;
        ParsedEvent e = detector.parse(c.event);
        if (e.isError()) return ExceptionSet.NOT_EXCEPTED;
        return set.exceptedUntil(rule, e, c.event, 0, c.event.length);
    }
}

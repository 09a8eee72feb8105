package org.smtpdetect.connectors;

import org.smtpdetect.rule.EvaluatedEvent;

/** What a test keeps of a record a source recycles: a copy taken before the next record. */
public final class SourceRecords {
    private SourceRecords() {}

    public static EvaluatedEvent copyOf(EvaluatedEvent e) {
        EvaluatedEvent c = new EvaluatedEvent();
        c.timestamp = e.timestamp;
        c.origin = e.origin;
        c.position = e.position;
        c.matchedRules = e.matchedRules;
        c.error = e.error;
        c.raw = e.raw;
        c.ignoredFields = e.ignoredFields;
        return c;
    }
}

package org.smtpdetect.rule;

import org.smtpdetect.event.ParsedEvent;

import java.util.List;

/**
 * Parses one raw record and evaluates every rule on it, inside the source: only the outcome leaves. Never
 * throws for bad input: not-a-document and missing-timestamp records become dead letters with a reason.
 * Not thread-safe; one per source reader.
 */
public final class EventEvaluator {
    private final Detector detector;
    private final String timestampField;

    public EventEvaluator(List<Rule> rules, String timestampField) {
        this.detector = Detector.of(rules);
        this.timestampField = timestampField;
    }

    /**
     * Evaluates {@code data[offset, offset+length)} into {@code out}, setting every field; the position is cleared:
     * sources format it only when {@link EvaluatedEvent#needsPosition()}. The bytes are copied only for matches and
     * dead letters. Sources recycle {@code out}.
     */
    public EvaluatedEvent evaluate(byte[] data, int offset, int length, String origin, EvaluatedEvent out) {
        out.origin = origin;
        out.position = null;
        out.matchedRules = null;
        out.error = null;
        out.raw = null;
        out.ignoredFields = null;
        out.timestamp = EvaluatedEvent.NO_TIMESTAMP;
        if (data == null) {
            out.error = "empty record (no value)";
            out.raw = new byte[0];
            return out;
        }
        ParsedEvent e;
        try {
            e = detector.parse(data, offset, length);
        } catch (RuntimeException unexpected) {
            // The parser reports bad input as errors; this guards the source against a parser bug.
            out.error = "internal parser failure: " + unexpected;
            out.raw = copy(data, offset, length);
            return out;
        }
        if (e.isError()) {
            out.error = e.error();
            out.raw = copy(data, offset, length);
            return out;
        }
        long ts = detector.eventTime(e, timestampField);
        if (ts == Long.MIN_VALUE) {
            out.error = timestampField.equals(Detector.EVENT_INGESTED)
                    ? "no usable timestamp: neither event.ingested nor @timestamp holds a date"
                    : "no usable timestamp: @timestamp is missing or not a date";
            out.raw = copy(data, offset, length);
            return out;
        }
        out.timestamp = ts;
        int[] matched = null;
        int n = 0;
        for (int i = 0; i < detector.rules().size(); i++) {
            if (!detector.matches(i, e)) continue;
            if (matched == null) matched = new int[Math.min(4, detector.rules().size())];
            if (n == matched.length) matched = java.util.Arrays.copyOf(matched, n * 2);
            matched[n++] = i;
        }
        out.matchedRules = matched == null || n == matched.length ? matched : java.util.Arrays.copyOf(matched, n);
        if (matched != null) {
            out.raw = copy(data, offset, length);
            out.ignoredFields = e.ignoredFields().toArray(new String[0]);
        }
        return out;
    }

    private static byte[] copy(byte[] data, int offset, int length) {
        return offset == 0 && length == data.length ? data : java.util.Arrays.copyOfRange(data, offset, offset + length);
    }
}

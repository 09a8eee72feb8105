package org.smtpdetect.rule;

/**
 * One input record after parsing and rule evaluation in the source. Non-matching events carry no payload
 * (only their time, for watermarks); matches and dead letters keep the raw bytes. Flink POJO.
 */
public class EvaluatedEvent {
    /** No usable timestamp. */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;

    /** Event time in epoch millis, or {@link #NO_TIMESTAMP}. */
    public long timestamp;
    public String origin;
    public String position;
    /** The indices of the rules that matched, ascending; null when none did (most events). */
    public int[] matchedRules;
    /** Why the record is a dead letter; null for a document. */
    public String error;
    /** The raw record, kept only for matches and dead letters. */
    public byte[] raw;
    /** Fields dropped as malformed, kept only for matches. */
    public String[] ignoredFields;

    public EvaluatedEvent() {}

    public boolean isDeadLetter() {
        return error != null;
    }

    /** Matches and dead letters carry their source coordinates; other events only their time. */
    public boolean needsPosition() {
        return matchedRules != null || error != null;
    }

    @Override
    public String toString() {
        return "EvaluatedEvent{" + origin + "@" + position + ", t=" + timestamp + ", matched=" + java.util.Arrays.toString(matchedRules)
                + (error != null ? ", error=" + error : "") + "}";
    }
}

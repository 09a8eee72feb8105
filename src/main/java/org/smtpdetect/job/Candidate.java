package org.smtpdetect.job;

import java.util.Arrays;
import java.util.Objects;

/**
 * An event that matched a rule: the only record that crosses the network (keyed by rule id). Flink POJO.
 *
 * <p>{@code origin} and {@code position} are the event's source coordinates (Kafka topic and
 * "partition/offset", or file path and line number); with the rule id they determine {@code alertId}.
 */
public class Candidate {
    public String ruleId;
    public String alertId;
    /** Event time in epoch milliseconds (the configured timestamp field). */
    public long timestamp;
    public String origin;
    public String position;
    /** The raw event JSON, kept so the alert can copy the source document. */
    public byte[] event;
    /** Fields dropped as malformed (ignore_malformed), for the alert. */
    public String[] ignoredFields;

    public Candidate() {}

    public Candidate(String ruleId, String alertId, long timestamp, String origin, String position,
                     byte[] event, String[] ignoredFields) {
        this.ruleId = ruleId;
        this.alertId = alertId;
        this.timestamp = timestamp;
        this.origin = origin;
        this.position = position;
        this.event = event;
        this.ignoredFields = ignoredFields;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Candidate)) return false;
        Candidate c = (Candidate) o;
        return timestamp == c.timestamp && Objects.equals(ruleId, c.ruleId) && Objects.equals(alertId, c.alertId)
                && Objects.equals(origin, c.origin) && Objects.equals(position, c.position)
                && Arrays.equals(event, c.event) && Arrays.equals(ignoredFields, c.ignoredFields);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ruleId, alertId, timestamp);
    }

    @Override
    public String toString() {
        return "Candidate{" + ruleId + ", " + alertId + ", t=" + timestamp + ", " + origin + "@" + position + "}";
    }
}

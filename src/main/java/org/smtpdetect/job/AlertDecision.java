package org.smtpdetect.job;

import java.util.Objects;

/** A candidate chosen to become an alert by the execution at {@code executionTime}. Flink POJO. */
public class AlertDecision {
    public Candidate candidate;
    /**
     * The execution (epoch-aligned event-time instant T) that alerted it; for a late alert, the last execution
     * whose window [T - lookBack, T) contains the event. Always {@code T - lookBack <= timestamp < T}.
     */
    public long executionTime;
    /** True when every execution covering the event had already fired: alerted outside the cap. */
    public boolean late;

    public AlertDecision() {}

    public AlertDecision(Candidate candidate, long executionTime, boolean late) {
        this.candidate = candidate;
        this.executionTime = executionTime;
        this.late = late;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof AlertDecision)) return false;
        AlertDecision d = (AlertDecision) o;
        return executionTime == d.executionTime && late == d.late && Objects.equals(candidate, d.candidate);
    }

    @Override
    public int hashCode() {
        return Objects.hash(candidate, executionTime, late);
    }

    @Override
    public String toString() {
        return "AlertDecision{" + candidate + ", T=" + executionTime + (late ? ", late" : "") + "}";
    }
}

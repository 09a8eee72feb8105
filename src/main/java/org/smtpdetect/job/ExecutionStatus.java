package org.smtpdetect.job;

import java.util.Objects;

/** What one execution of a rule did: emitted for every execution that had candidates. Flink POJO. */
public class ExecutionStatus {
    public String ruleId;
    /** Execution instant T (epoch millis); it covered [T - lookBack, T). */
    public long executionTime;
    /** Matching events covered by this execution and not alerted before it. */
    public int candidates;
    /** Alerts this execution created (at most max_signals). */
    public int alerted;
    /** Candidates left over because of the cap; they stay candidates for later executions that cover them. */
    public int capped;
    /** Late events alerted outside the cap and attributed to this execution. */
    public int late;

    public ExecutionStatus() {}

    public ExecutionStatus(String ruleId, long executionTime, int candidates, int alerted, int capped, int late) {
        this.ruleId = ruleId;
        this.executionTime = executionTime;
        this.candidates = candidates;
        this.alerted = alerted;
        this.capped = capped;
        this.late = late;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ExecutionStatus)) return false;
        ExecutionStatus s = (ExecutionStatus) o;
        return executionTime == s.executionTime && candidates == s.candidates && alerted == s.alerted
                && capped == s.capped && late == s.late && Objects.equals(ruleId, s.ruleId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ruleId, executionTime, candidates, alerted, capped, late);
    }

    @Override
    public String toString() {
        return "ExecutionStatus{" + ruleId + ", T=" + executionTime + ", candidates=" + candidates + ", alerted="
                + alerted + ", capped=" + capped + ", late=" + late + "}";
    }
}

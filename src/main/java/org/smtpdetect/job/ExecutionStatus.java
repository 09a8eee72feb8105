package org.smtpdetect.job;

import java.util.Objects;

/**
 * What one execution of a rule did: emitted for every execution that had candidates or excepted events when it
 * fired, and once more per late event attributed to it (with only {@code late = 1} or {@code excepted = 1}); sum
 * records by rule and execution time for totals. Flink POJO.
 */
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
    /**
     * Of the capped candidates, those this execution was the last to cover: they are dropped and never
     * alerted (as in Kibana). Every matching event ends once: alerted, late-alerted, dropped or excepted.
     */
    public int dropped;
    /**
     * Matching events an exception item removed, as Kibana's exception filter removes them from the search: they
     * were never candidates, so never capped. Counted once per event, by the execution that excepted it.
     */
    public int excepted;

    public ExecutionStatus() {}

    public ExecutionStatus(String ruleId, long executionTime, int candidates, int alerted, int capped, int late) {
        this(ruleId, executionTime, candidates, alerted, capped, late, 0);
    }

    public ExecutionStatus(String ruleId, long executionTime, int candidates, int alerted, int capped, int late,
                           int dropped) {
        this(ruleId, executionTime, candidates, alerted, capped, late, dropped, 0);
    }

    public ExecutionStatus(String ruleId, long executionTime, int candidates, int alerted, int capped, int late,
                           int dropped, int excepted) {
        this.ruleId = ruleId;
        this.executionTime = executionTime;
        this.candidates = candidates;
        this.alerted = alerted;
        this.capped = capped;
        this.late = late;
        this.dropped = dropped;
        this.excepted = excepted;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof ExecutionStatus)) return false;
        ExecutionStatus s = (ExecutionStatus) o;
        return executionTime == s.executionTime && candidates == s.candidates && alerted == s.alerted
                && capped == s.capped && late == s.late && dropped == s.dropped && excepted == s.excepted
                && Objects.equals(ruleId, s.ruleId);
    }

    @Override
    public int hashCode() {
        return Objects.hash(ruleId, executionTime, candidates, alerted, capped, late, dropped, excepted);
    }

    @Override
    public String toString() {
        return "ExecutionStatus{" + ruleId + ", T=" + executionTime + ", candidates=" + candidates + ", alerted="
                + alerted + ", capped=" + capped + ", late=" + late + ", dropped=" + dropped + ", excepted=" + excepted + "}";
    }
}

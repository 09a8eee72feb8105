package org.smtpdetect.job;

import java.io.Serializable;

/** A rule's Kibana schedule: run every {@code intervalMillis}, look back {@code lookBackMillis}, cap at maxSignals. */
public final class ExecutionSchedule implements Serializable {
    private static final long serialVersionUID = 1L;

    public final long intervalMillis;
    public final long lookBackMillis;
    public final int maxSignals;

    public ExecutionSchedule(long intervalMillis, long lookBackMillis, int maxSignals) {
        if (intervalMillis <= 0) throw new IllegalArgumentException("interval must be positive");
        if (lookBackMillis < intervalMillis) throw new IllegalArgumentException("look-back must be >= interval");
        if (maxSignals <= 0) throw new IllegalArgumentException("max_signals must be positive");
        this.intervalMillis = intervalMillis;
        this.lookBackMillis = lookBackMillis;
        this.maxSignals = maxSignals;
    }

    /** The first epoch-aligned execution instant whose window [T - lookBack, T) covers {@code timestamp}. */
    public long firstExecutionCovering(long timestamp) {
        return Math.floorDiv(timestamp, intervalMillis) * intervalMillis + intervalMillis;
    }

    /** The last execution instant whose window covers {@code timestamp}. */
    public long lastExecutionCovering(long timestamp) {
        return Math.floorDiv(timestamp + lookBackMillis, intervalMillis) * intervalMillis;
    }

    /** The first execution instant at or after {@code instant}. */
    public long executionAtOrAfter(long instant) {
        return -Math.floorDiv(-instant, intervalMillis) * intervalMillis;
    }

    @Override
    public String toString() {
        return "ExecutionSchedule{interval=" + intervalMillis + "ms, lookBack=" + lookBackMillis + "ms, maxSignals="
                + maxSignals + "}";
    }
}

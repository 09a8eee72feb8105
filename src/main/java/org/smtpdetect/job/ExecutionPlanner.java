package org.smtpdetect.job;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * The decision one Kibana execution makes, free of Flink: which pending candidates it covers, which of them
 * become alerts under the cap, and which capped ones it was the last execution to cover.
 *
 * <p>Execution {@code T} covers the candidates with {@code timestamp < T}; the caller guarantees that no
 * pending candidate is older than {@code T - lookBack} (each is removed by the last execution covering it).
 * Candidates are ranked by (timestamp, alertId) and the first {@code available} become alerts. Only those
 * winners are kept in a bounded heap, so a firing costs O(n log available) for n pending candidates.
 */
final class ExecutionPlanner {

    /** A pending candidate as the planner sees it: its alert id and event time. */
    static final class Ref {
        final String alertId;
        final long timestamp;

        Ref(String alertId, long timestamp) {
            this.alertId = alertId;
            this.timestamp = timestamp;
        }

        @Override
        public String toString() {
            return alertId + "@" + timestamp;
        }
    }

    /** Kibana's order for an execution's candidates. */
    static final Comparator<Ref> ORDER =
            Comparator.<Ref>comparingLong(r -> r.timestamp).thenComparing(r -> r.alertId);

    /** The outcome of one execution over the pending candidates. */
    static final class Plan {
        /** Candidates the execution covered (not alerted before it). */
        int covered;
        /** The candidates that become alerts, in (timestamp, alertId) order. */
        final List<Ref> alerts = new ArrayList<>();
        /** Capped candidates this execution was the last to cover: dropped, never alerted. */
        final List<Ref> dropped = new ArrayList<>();
        /** Capped candidates a later execution still covers. */
        int carried;

        int capped() {
            return covered - alerts.size();
        }
    }

    private ExecutionPlanner() {}

    /**
     * Plans execution {@code executionTime}.
     *
     * @param available alerts this execution may still create (max_signals minus early alerts already counted)
     * @param pending alert id to event time of every pending candidate, covered or not
     */
    static Plan plan(ExecutionSchedule schedule, long executionTime, int available,
                     Iterable<Map.Entry<String, Long>> pending) {
        Plan plan = new Plan();
        PriorityQueue<Ref> best = new PriorityQueue<>(ORDER.reversed());
        for (Map.Entry<String, Long> entry : pending) {
            long timestamp = entry.getValue();
            if (timestamp >= executionTime) {
                continue;
            }
            plan.covered++;
            Ref ref = new Ref(entry.getKey(), timestamp);
            if (best.size() < available) {
                best.add(ref);
            } else if (available > 0 && ORDER.compare(ref, best.peek()) < 0) {
                capOne(schedule, executionTime, best.poll(), plan);
                best.add(ref);
            } else {
                capOne(schedule, executionTime, ref, plan);
            }
        }
        plan.alerts.addAll(best);
        Collections.sort(plan.alerts, ORDER);
        return plan;
    }

    private static void capOne(ExecutionSchedule schedule, long executionTime, Ref ref, Plan plan) {
        if (schedule.lastExecutionCovering(ref.timestamp) <= executionTime) {
            plan.dropped.add(ref);
        } else {
            plan.carried++;
        }
    }
}

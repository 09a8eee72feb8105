package org.smtpdetect.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

class ExecutionPlannerTest {
    private static final long MINUTE = 60_000L;
    private static final ExecutionSchedule SCHEDULE = new ExecutionSchedule(5 * MINUTE, 9 * MINUTE, 100);
    private static final long T10 = 10 * MINUTE;

    private static Map<String, Long> pending() {
        Map<String, Long> pending = new LinkedHashMap<>();
        pending.put("late-tie-b", 8 * MINUTE);  // also covered by T15
        pending.put("oldest", MINUTE);          // last covered by T10
        pending.put("late-tie-a", 8 * MINUTE);
        pending.put("not-covered", T10);         // belongs to T15
        pending.put("middle", 2 * MINUTE);
        return pending;
    }

    private static List<String> ids(List<ExecutionPlanner.Ref> refs) {
        return refs.stream().map(r -> r.alertId).collect(Collectors.toList());
    }

    @Test
    void takesTheFirstAvailableInTimestampThenAlertIdOrder() {
        ExecutionPlanner.Plan plan = ExecutionPlanner.plan(SCHEDULE, T10, 3, pending().entrySet());
        assertThat(plan.covered).isEqualTo(4);
        assertThat(ids(plan.alerts)).containsExactly("oldest", "middle", "late-tie-a");
        assertThat(plan.capped()).isEqualTo(1);
        assertThat(plan.carried).isEqualTo(1);
        assertThat(plan.dropped).isEmpty();
    }

    @Test
    void dropsCappedCandidatesThisExecutionIsTheLastToCover() {
        ExecutionPlanner.Plan plan = ExecutionPlanner.plan(SCHEDULE, T10, 1, pending().entrySet());
        assertThat(ids(plan.alerts)).containsExactly("oldest");
        assertThat(ids(plan.dropped)).containsExactly("middle"); // 2m + 9m < 15m: T10 is its last
        assertThat(plan.carried).isEqualTo(2);
        assertThat(plan.capped()).isEqualTo(3);
    }

    @Test
    void noCapLeftCapsEverythingCovered() {
        ExecutionPlanner.Plan plan = ExecutionPlanner.plan(SCHEDULE, T10, 0, pending().entrySet());
        assertThat(plan.alerts).isEmpty();
        assertThat(plan.capped()).isEqualTo(4);
        assertThat(ids(plan.dropped)).containsExactlyInAnyOrder("oldest", "middle");
    }

    @Test
    void nothingCovered() {
        ExecutionPlanner.Plan plan = ExecutionPlanner.plan(SCHEDULE, 5 * MINUTE, 3, Map.of("x", T10).entrySet());
        assertThat(plan.covered).isZero();
        assertThat(plan.alerts).isEmpty();
        assertThat(plan.capped()).isZero();
    }
}

package org.smtpdetect.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;

import org.junit.jupiter.api.Test;

class ExecutionScheduleTest {
    private static final long MINUTE = 60_000L;
    private final ExecutionSchedule seed = new ExecutionSchedule(5 * MINUTE, 9 * MINUTE, 100);

    @Test
    void coveringExecutionsOfTheSeedRule() {
        // [T - 9m, T): an event at 3m is covered by T = 5m and 10m; one at 0:30 only by 5m.
        assertThat(seed.firstExecutionCovering(3 * MINUTE)).isEqualTo(5 * MINUTE);
        assertThat(seed.lastExecutionCovering(3 * MINUTE)).isEqualTo(10 * MINUTE);
        assertThat(seed.lastExecutionCovering(30_000)).isEqualTo(5 * MINUTE);
        // An event exactly at T belongs to the next execution; one at T - 9m is the oldest T covers.
        assertThat(seed.firstExecutionCovering(5 * MINUTE)).isEqualTo(10 * MINUTE);
        assertThat(seed.firstExecutionCovering(5 * MINUTE - 1)).isEqualTo(5 * MINUTE);
        assertThat(seed.lastExecutionCovering(MINUTE)).isEqualTo(10 * MINUTE);
        assertThat(seed.lastExecutionCovering(MINUTE - 1)).isEqualTo(5 * MINUTE);
        assertThat(seed.firstExecutionCovering(-1)).isZero();
        assertThat(seed.lastExecutionCovering(-1)).isEqualTo(5 * MINUTE);
    }

    @Test
    void coveringExecutionsAgreeWithTheWindowDefinition() {
        Random random = new Random(7);
        for (int i = 0; i < 2_000; i++) {
            long interval = (1 + random.nextInt(10)) * MINUTE;
            ExecutionSchedule s = new ExecutionSchedule(interval, interval + random.nextInt(30) * MINUTE / 2, 1);
            long t = random.nextLong() % (1L << 42);
            long first = Long.MAX_VALUE, last = Long.MIN_VALUE;
            for (long k = Math.floorDiv(t, interval) - 100; k <= Math.floorDiv(t, interval) + 100; k++) {
                long execution = k * interval;
                if (execution - s.lookBackMillis <= t && t < execution) {
                    first = Math.min(first, execution);
                    last = Math.max(last, execution);
                }
            }
            assertThat(s.firstExecutionCovering(t)).as("%s t=%d", s, t).isEqualTo(first);
            assertThat(s.lastExecutionCovering(t)).as("%s t=%d", s, t).isEqualTo(last);
            assertThat(s.executionAtOrAfter(t)).isBetween(t, t + interval - 1);
            assertThat(s.executionAtOrAfter(t) % interval).isZero();
        }
    }

    @Test
    void rejectsSchedulesThatLeaveGaps() {
        assertThatThrownBy(() -> new ExecutionSchedule(5 * MINUTE, 4 * MINUTE, 1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ExecutionSchedule(0, 4 * MINUTE, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new ExecutionSchedule(MINUTE, MINUTE, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}

package org.smtpdetect.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.smtpdetect.job.ExecutionsHarness.MINUTE;
import static org.smtpdetect.job.Timelines.BASE;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KibanaExecutionsTest {
    private static final String RULE = "smtp-to-the-internet";
    private static final long T5 = BASE + 5 * MINUTE;
    private static final long T10 = BASE + 10 * MINUTE;
    private static final long T15 = BASE + 15 * MINUTE;

    private static ExecutionSchedule schedule(int maxSignals) {
        return new ExecutionSchedule(5 * MINUTE, 9 * MINUTE, maxSignals);
    }

    private static KibanaExecutions executions(int maxSignals, boolean early) {
        return new KibanaExecutions(Map.of(RULE, schedule(maxSignals)), early);
    }

    private static Candidate at(String alertId, double minutes) {
        return ExecutionsHarness.candidate(RULE, alertId, BASE + Math.round(minutes * MINUTE));
    }

    private static AlertDecision alert(Candidate c, long executionTime) {
        return new AlertDecision(c, executionTime, false);
    }

    private static ExecutionStatus status(long t, int candidates, int alerted, int capped, int late, int dropped) {
        return new ExecutionStatus(RULE, t, candidates, alerted, capped, late, dropped);
    }

    @Test
    void capsAtMaxSignalsAndCarriesCappedIntoTheNextCoveringExecution() throws Exception {
        Candidate a = at("a", 2), b = at("b", 3), c = at("c", 4);
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(2, false))) {
            h.send(c);
            h.send(a);
            h.send(b);
            h.watermark(T5 - 1);
            assertThat(h.alerts()).containsExactly(alert(a, T5), alert(b, T5));
            h.watermark(T10 - 1);
            assertThat(h.alerts()).containsExactly(alert(a, T5), alert(b, T5), alert(c, T10));
            assertThat(h.statuses()).containsExactly(status(T5, 3, 2, 1, 0, 0), status(T10, 1, 1, 0, 0, 0));
            h.endOfInput();
            h.assertDrained();
        }
    }

    @Test
    void eventCappedByEveryCoveringExecutionIsDroppedAndReported() throws Exception {
        Candidate a = at("a", 2), b = at("b", 3), c = at("c", 6), d = at("d", 7);
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(1, false))) {
            for (Candidate e : List.of(d, c, b, a)) {
                h.send(e);
            }
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(a, T5), alert(b, T10), alert(c, T15));
            assertThat(h.statuses()).containsExactly(
                    status(T5, 2, 1, 1, 0, 0), status(T10, 3, 1, 2, 0, 0), status(T15, 2, 1, 1, 0, 1));
            assertThat(h.counter("alerted")).isEqualTo(3);
            assertThat(h.counter("capped")).isEqualTo(4);
            assertThat(h.counter("dropped")).isEqualTo(1);
            assertThat(h.counter("lateAlerts")).isZero();
            h.assertDrained();
        }
    }

    @Test
    void eventCoveredByTwoExecutionsAlertsOnce() throws Exception {
        Candidate a = at("a", 3);
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false))) {
            h.send(a);
            h.watermark(T5 - 1);
            h.watermark(T10 - 1);
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(a, T5));
            assertThat(h.statuses()).containsExactly(status(T5, 1, 1, 0, 0, 0));
            h.assertDrained();
        }
    }

    @Test
    void replayedAlertIdIsAlertedOnceWithinTheDedupHorizon() throws Exception {
        Candidate a = at("a", 3);
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false))) {
            h.send(a);
            h.send(a); // still pending
            h.watermark(T5 - 1);
            h.send(a); // alerted, a later execution still covers it
            h.watermark(T10 - 1);
            h.send(a); // every covering execution fired: would be late, but the id is remembered
            h.watermark(T10 + 30 * MINUTE);
            h.send(a);
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(a, T5));
            assertThat(h.counter("duplicates")).isEqualTo(4);
            assertThat(h.counter("lateAlerts")).isZero();
            h.assertDrained();
        }
    }

    @Test
    void replayedDroppedEventStaysUnalertedWithinTheDedupHorizon() throws Exception {
        Candidate a = at("a", 0.5), b = at("b", 0.6);
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(1, false))) {
            h.send(a);
            h.send(b);
            h.watermark(T5 - 1); // the only execution covering b caps it: dropped
            h.send(b);
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(a, T5));
            assertThat(h.statuses()).containsExactly(status(T5, 2, 1, 1, 0, 1));
            h.assertDrained();
        }
    }

    @Test
    void repeatAfterTheDedupHorizonIsAlertedAgainAsLate() throws Exception {
        Candidate a = at("a", 3);
        KibanaExecutions noLateness = new KibanaExecutions(Map.of(RULE, schedule(100)), false, Duration.ZERO);
        try (ExecutionsHarness h = ExecutionsHarness.open(noLateness)) {
            h.send(a);
            h.watermark(T10 - 1);
            h.send(a);
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(a, T5), new AlertDecision(a, T10, true));
            h.assertDrained();
        }
    }

    @Test
    void ordersCandidatesByTimestampThenAlertId() throws Exception {
        Candidate b4 = at("b", 4), z2 = at("z", 2), a4 = at("a", 4), y2 = at("y", 2), m3 = at("m", 3);
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(3, false))) {
            for (Candidate c : List.of(b4, z2, a4, y2, m3)) {
                h.send(c);
            }
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(
                    alert(y2, T5), alert(z2, T5), alert(m3, T5), alert(a4, T10), alert(b4, T10));
            h.assertDrained();
        }
    }

    @Test
    void executionFiresAtWatermarkTMinusOneAndAnEventAtTBelongsToTheNext() throws Exception {
        Candidate atT = ExecutionsHarness.candidate(RULE, "at-T", T5);
        Candidate justBefore = ExecutionsHarness.candidate(RULE, "just-before", T5 - 1);
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false))) {
            h.send(atT);
            h.watermark(T5 - 2);
            assertThat(h.alerts()).isEmpty();
            h.send(justBefore); // not late: the watermark has not reached T5 - 1
            h.watermark(T5 - 1);
            assertThat(h.alerts()).containsExactly(alert(justBefore, T5));
            h.watermark(T10 - 2);
            assertThat(h.alerts()).hasSize(1);
            h.watermark(T10 - 1);
            assertThat(h.alerts()).containsExactly(alert(justBefore, T5), alert(atT, T10));
            h.endOfInput();
            h.assertDrained();
        }
    }

    @Test
    void lateEventsAreAlertedAtOnceOutsideTheCapAndCounted() throws Exception {
        Candidate a = at("a", 2), b = at("b", 3);
        Candidate late1 = at("late-1", 0.5), late2 = at("late-2", 0.8), late3 = at("late-3", 4);
        Candidate notLate = at("not-late", 7); // covered by T10 (fired) and T15 (not yet)
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(1, false))) {
            h.send(a);
            h.send(b);
            h.watermark(T10 - 1);
            assertThat(h.alerts()).containsExactly(alert(a, T5), alert(b, T10));
            h.send(late1);
            h.send(late2);
            h.send(late3);
            h.send(notLate);
            assertThat(h.alerts()).containsExactly(alert(a, T5), alert(b, T10),
                    new AlertDecision(late1, T5, true), new AlertDecision(late2, T5, true),
                    new AlertDecision(late3, T10, true));
            h.endOfInput();
            assertThat(h.alerts()).last().isEqualTo(alert(notLate, T15));
            assertThat(h.statuses()).containsExactly(status(T5, 2, 1, 1, 0, 0), status(T10, 1, 1, 0, 0, 0),
                    status(T5, 0, 0, 0, 1, 0), status(T5, 0, 0, 0, 1, 0), status(T10, 0, 0, 0, 1, 0),
                    status(T15, 1, 1, 0, 0, 0));
            assertThat(h.counter("lateAlerts")).isEqualTo(3);
            assertThat(h.counter("alerted")).isEqualTo(3);
            h.assertDrained();
        }
    }

    @Test
    void schedulesAreTakenPerRule() throws Exception {
        ExecutionSchedule hourly = new ExecutionSchedule(60 * MINUTE, 60 * MINUTE, 1);
        KibanaExecutions executions = new KibanaExecutions(Map.of(RULE, schedule(100), "hourly", hourly), false);
        Candidate a = at("a", 3);
        Candidate h1 = ExecutionsHarness.candidate("hourly", "h1", BASE + 3 * MINUTE);
        Candidate h2 = ExecutionsHarness.candidate("hourly", "h2", BASE + 4 * MINUTE);
        try (ExecutionsHarness h = ExecutionsHarness.open(executions)) {
            h.send(a);
            h.send(h2);
            h.send(h1);
            h.watermark(BASE + 60 * MINUTE - 1);
            assertThat(h.alerts()).containsExactly(alert(a, T5), alert(h1, BASE + 60 * MINUTE));
            h.endOfInput();
            assertThat(h.statuses()).contains(new ExecutionStatus("hourly", BASE + 60 * MINUTE, 2, 1, 1, 0, 1));
            h.assertDrained();
            assertThatThrownBy(() -> h.send(ExecutionsHarness.candidate("unknown", "u", BASE)))
                    .hasMessageContaining("No execution schedule for rule unknown");
        }
    }

    /** Kibana's loop and the operator agree on every alert and every execution's counts. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void matchesKibanasLoopOnRandomTimelinesWithBursts(boolean early) throws Exception {
        long outOfOrderness = 40_000;
        for (int seed = 0; seed < 25; seed++) {
            Random random = new Random(seed);
            ExecutionSchedule schedule = schedule(1 + random.nextInt(6));
            List<Candidate> events = Timelines.events(random, RULE, 60 * MINUTE, 30, 4, 12);
            Timelines.KibanaReference kibana = new Timelines.KibanaReference(schedule, RULE, events);
            try (ExecutionsHarness h = ExecutionsHarness.open(
                    new KibanaExecutions(Map.of(RULE, schedule), early))) {
                new Timelines.Feeder(outOfOrderness).feed(h, Timelines.arrivals(random, events, outOfOrderness));
                h.endOfInput();
                String where = "seed " + seed + ", " + schedule;
                assertThat(h.alerts()).as(where).noneMatch(a -> a.late);
                Map<Long, ExecutionStatus> firings = Timelines.firings(h.statuses());
                if (early) {
                    // Early alerts take the cap in arrival order: only the accounting is Kibana's.
                    assertThat(Timelines.executionById(h.alerts()).keySet()).as(where)
                            .hasSizeLessThanOrEqualTo(events.size());
                    assertAccounted(schedule, events, h);
                } else {
                    assertThat(Timelines.executionById(h.alerts())).as(where).isEqualTo(kibana.executionById);
                    assertThat(firings).as(where).isEqualTo(kibana.statuses);
                }
                h.assertDrained();
            }
        }
    }

    /** Every distinct match ends exactly once: alerted, late-alerted, or dropped; counts add up. */
    private static void assertAccounted(ExecutionSchedule schedule, List<Candidate> events, ExecutionsHarness h) {
        List<ExecutionStatus> statuses = h.statuses();
        Map<String, Long> byId = Timelines.executionById(h.alerts());
        long distinct = events.stream().map(c -> c.alertId).distinct().count();
        int alerted = statuses.stream().mapToInt(s -> s.alerted).sum();
        int late = statuses.stream().mapToInt(s -> s.late).sum();
        int dropped = statuses.stream().mapToInt(s -> s.dropped).sum();
        assertThat(alerted + late).isEqualTo(byId.size());
        assertThat(alerted + late + dropped).isEqualTo(distinct);
        assertThat(h.alerts().stream().filter(a -> a.late).count()).isEqualTo(late);
        assertThat(h.counter("alerted")).isEqualTo(alerted);
        assertThat(h.counter("lateAlerts")).isEqualTo(late);
        assertThat(h.counter("dropped")).isEqualTo(dropped);
        assertThat(h.counter("capped")).isEqualTo(statuses.stream().mapToInt(s -> s.capped).sum());
        Map<Long, Long> inCapByExecution = h.alerts().stream().filter(a -> !a.late)
                .collect(Collectors.groupingBy(a -> a.executionTime, Collectors.counting()));
        for (ExecutionStatus s : Timelines.firings(statuses).values()) {
            assertThat(s.alerted).isLessThanOrEqualTo(schedule.maxSignals);
            assertThat(s.candidates).isEqualTo(s.alerted + s.capped);
            assertThat(s.dropped).isLessThanOrEqualTo(s.capped);
            assertThat((long) s.alerted).isEqualTo(inCapByExecution.getOrDefault(s.executionTime, 0L));
        }
        for (AlertDecision a : h.alerts()) {
            long t = a.candidate.timestamp;
            assertThat(a.executionTime - schedule.lookBackMillis).isLessThanOrEqualTo(t);
            assertThat(a.executionTime).isGreaterThan(t);
        }
    }

    /** With cap pressure, late arrivals and replays, in both modes, the status records account for everything. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void statusRecordsAccountForEveryCappedAndLateEvent(boolean early) throws Exception {
        for (int seed = 100; seed < 120; seed++) {
            Random random = new Random(seed);
            ExecutionSchedule schedule = schedule(1 + random.nextInt(4));
            List<Candidate> events = Timelines.events(random, RULE, 60 * MINUTE, 40, 3, 10);
            List<Candidate> arrivals = new ArrayList<>(Timelines.arrivals(random, events, 20 * MINUTE));
            for (int i = 0; i < 10; i++) { // replays
                arrivals.add(random.nextInt(arrivals.size()), events.get(random.nextInt(events.size())));
            }
            // Remember ids long enough that no replay comes after its dedup horizon.
            try (ExecutionsHarness h = ExecutionsHarness.open(
                    new KibanaExecutions(Map.of(RULE, schedule), early, Duration.ofHours(3)))) {
                new Timelines.Feeder(MINUTE).feed(h, arrivals);
                h.endOfInput();
                assertThat(h.counter("lateAlerts")).as("seed %d has late events", seed).isPositive();
                assertAccounted(schedule, events, h);
                h.assertDrained();
            }
        }
    }

    @Test
    void earlyAlertsEqualDefaultAlertsWithoutCapPressure() throws Exception {
        for (int seed = 200; seed < 230; seed++) {
            Random random = new Random(seed);
            List<Candidate> events = Timelines.events(random, RULE, 90 * MINUTE, 60, 3, 10);
            // Delays up to 15 minutes with a 1-minute bound: some events join later executions, some are late.
            List<Candidate> arrivals = Timelines.arrivals(random, events, 15 * MINUTE);
            List<AlertDecision> defaultAlerts;
            List<ExecutionStatus> defaultStatuses;
            try (ExecutionsHarness h = ExecutionsHarness.open(executions(10_000, false))) {
                new Timelines.Feeder(MINUTE).feed(h, arrivals);
                h.endOfInput();
                defaultAlerts = h.alerts();
                defaultStatuses = h.statuses();
                h.assertDrained();
            }
            try (ExecutionsHarness h = ExecutionsHarness.open(executions(10_000, true))) {
                new Timelines.Feeder(MINUTE).feed(h, arrivals);
                h.endOfInput();
                assertThat(h.alerts()).as("seed %d", seed).containsExactlyInAnyOrderElementsOf(defaultAlerts);
                assertThat(h.statuses()).as("seed %d", seed).containsExactlyInAnyOrderElementsOf(defaultStatuses);
                h.assertDrained();
            }
            assertThat(defaultAlerts).as("seed %d alerts everything once", seed).hasSize(events.size());
        }
    }

    @Test
    void earlyAlertsCountAgainstTheirExecutionsCap() throws Exception {
        Candidate a = at("a", 2), b = at("b", 3), c = at("c", 0.5), d = at("d", 4), e = at("e", 6);
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(2, true))) {
            h.send(a);
            h.send(b);
            assertThat(h.alerts()).containsExactly(alert(a, T5), alert(b, T5)); // before T5 fires
            h.send(c); // T5's cap is full: waits, and T5 (its only execution) has no cap left for it
            h.send(d);
            h.watermark(T5 - 1);
            assertThat(h.alerts()).hasSize(2);
            assertThat(h.statuses()).containsExactly(status(T5, 4, 2, 2, 0, 1));
            h.send(e); // early against T10, which then has one slot left for the carried d
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(a, T5), alert(b, T5), alert(e, T10), alert(d, T10));
            assertThat(h.statuses()).containsExactly(status(T5, 4, 2, 2, 0, 1), status(T10, 2, 2, 0, 0, 0));
            assertThat(h.counter("alerted")).isEqualTo(4);
            assertThat(h.counter("dropped")).isEqualTo(1);
            h.assertDrained();
        }
    }

    @Test
    void lateEventRightAfterRestoreIsStillLate() throws Exception {
        Candidate a = at("a", 2), b = at("b", 1);
        OperatorSubtaskState snapshot;
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false))) {
            h.send(a);
            h.watermark(T10 - 1);
            snapshot = h.snapshot();
        }
        try (ExecutionsHarness h = ExecutionsHarness.restore(executions(100, false), snapshot)) {
            h.send(b); // Flink's watermark is back at Long.MIN_VALUE; T5 and T10 must not run again
            assertThat(h.alerts()).containsExactly(new AlertDecision(b, T10, true));
            h.endOfInput();
            assertThat(h.statuses()).containsExactly(status(T10, 0, 0, 0, 1, 0));
            h.assertDrained();
        }
    }

    /**
     * With one rule only one subtask sees elements; the others' snapshots must not pull the restored watermark
     * down to nothing, or an execution that fired before the restore runs again.
     */
    @Test
    void subtaskWithoutElementsDoesNotResetTheRestoredWatermark() throws Exception {
        Candidate a = at("a", 2), b = at("b", 1);
        OperatorSubtaskState busy;
        OperatorSubtaskState idle;
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false))) {
            h.send(a);
            h.watermark(T10 - 1);
            busy = h.snapshot();
        }
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false))) {
            h.watermark(T10 - 1);
            idle = h.snapshot();
        }
        try (ExecutionsHarness h = ExecutionsHarness.restore(executions(100, false),
                AbstractStreamOperatorTestHarness.repackageState(busy, idle))) {
            h.send(b);
            assertThat(h.alerts()).containsExactly(new AlertDecision(b, T10, true));
        }
    }

    /** The watermark is read when the snapshot is taken, not when the last element or timer came. */
    @Test
    void watermarkAdvancedAfterTheLastElementIsTheOneRestored() throws Exception {
        Candidate a = at("a", 2), b = at("b", 7);
        OperatorSubtaskState snapshot;
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false))) {
            h.send(a);
            h.watermark(T10 - 1);
            h.watermark(T15 - 1); // nothing pending: no timer fires, no element comes
            snapshot = h.snapshot();
        }
        try (ExecutionsHarness h = ExecutionsHarness.restore(executions(100, false), snapshot)) {
            h.send(b); // last covered by T15, which ran before the snapshot
            assertThat(h.alerts()).containsExactly(new AlertDecision(b, T15, true));
            h.endOfInput();
            assertThat(h.statuses()).containsExactly(status(T15, 0, 0, 0, 1, 0));
        }
    }

    /** A snapshot mid-stream, restored, continues as if nothing happened; a replay after restore repeats nothing. */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void snapshotAndRestoreMidStreamLosesAndRepeatsNothing(boolean early) throws Exception {
        for (int seed = 300; seed < 315; seed++) {
            Random random = new Random(seed);
            ExecutionSchedule schedule = schedule(1 + random.nextInt(4));
            Supplier<KibanaExecutions> fresh = () -> new KibanaExecutions(Map.of(RULE, schedule), early);
            List<Candidate> events = Timelines.events(random, RULE, 60 * MINUTE, 40, 4, 10);
            List<Candidate> arrivals = Timelines.arrivals(random, events, 3 * MINUTE);
            int cut = arrivals.size() / 2;

            List<AlertDecision> straightAlerts;
            List<ExecutionStatus> straightStatuses;
            try (ExecutionsHarness h = ExecutionsHarness.open(fresh.get())) {
                new Timelines.Feeder(MINUTE).feed(h, arrivals);
                h.endOfInput();
                straightAlerts = h.alerts();
                straightStatuses = h.statuses();
            }

            Timelines.Feeder feeder = new Timelines.Feeder(MINUTE);
            List<AlertDecision> alerts = new ArrayList<>();
            List<ExecutionStatus> statuses = new ArrayList<>();
            OperatorSubtaskState snapshot;
            Timelines.Feeder feederAtSnapshot;
            int alertsBeforeSnapshot;
            try (ExecutionsHarness h = ExecutionsHarness.open(fresh.get())) {
                feeder.feed(h, arrivals.subList(0, cut));
                snapshot = h.snapshot();
                feederAtSnapshot = feeder.copy();
                alertsBeforeSnapshot = h.alerts().size();
                assertThat(h.harness.numKeyedStateEntries()).as("seed %d keeps state to restore", seed).isPositive();
                alerts.addAll(h.alerts());
                statuses.addAll(h.statuses());
            }
            try (ExecutionsHarness h = ExecutionsHarness.restore(fresh.get(), snapshot)) {
                feeder.feed(h, arrivals.subList(cut, arrivals.size()));
                h.endOfInput();
                alerts.addAll(h.alerts());
                statuses.addAll(h.statuses());
                h.assertDrained();
            }
            assertThat(alerts).as("seed %d", seed).isEqualTo(straightAlerts);
            assertThat(statuses).as("seed %d", seed).isEqualTo(straightStatuses);

            // Restored again, the source replays from well before the snapshot: nothing is alerted twice.
            List<AlertDecision> replayed = new ArrayList<>(alerts.subList(0, alertsBeforeSnapshot));
            try (ExecutionsHarness h = ExecutionsHarness.restore(fresh.get(), snapshot)) {
                feederAtSnapshot.feed(h, arrivals.subList(cut / 2, arrivals.size()));
                h.endOfInput();
                replayed.addAll(h.alerts());
                h.assertDrained();
            }
            assertThat(Timelines.executionById(replayed)).as("seed %d replay", seed)
                    .isEqualTo(Timelines.executionById(straightAlerts));
        }
    }
}

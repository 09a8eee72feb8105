package org.smtpdetect.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.job.ExceptionFixtures.hostItem;
import static org.smtpdetect.job.ExceptionFixtures.sources;
import static org.smtpdetect.job.ExceptionFixtures.version;
import static org.smtpdetect.job.ExecutionsHarness.MINUTE;
import static org.smtpdetect.job.Timelines.BASE;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.smtpdetect.exception.ExceptionSources;

/** Rule exceptions in the executions operator: on arrival, at each firing, across versions and restores. */
class KibanaExecutionsExceptionsTest {
    private static final String RULE = "smtp-to-the-internet";
    private static final long T5 = BASE + 5 * MINUTE;
    private static final long T10 = BASE + 10 * MINUTE;
    private static final long T15 = BASE + 15 * MINUTE;

    @TempDir
    Path dir;
    private int files;

    private static ExecutionSchedule schedule(int maxSignals) {
        return new ExecutionSchedule(5 * MINUTE, 9 * MINUTE, maxSignals);
    }

    private static KibanaExecutions executions(int maxSignals, boolean early, ExceptionSources initial) {
        return new KibanaExecutions(Map.of(RULE, schedule(maxSignals)), early, KibanaExecutions.DEFAULT_ALLOWED_LATENESS,
                List.of(ExceptionFixtures.seedAs(RULE)), initial);
    }

    private ExceptionSources relays(String... items) {
        return sources(dir.resolve("exceptions-" + (files++) + ".ndjson"), items);
    }

    private static Candidate at(String alertId, double minutes, String host) {
        return new Candidate(RULE, alertId, BASE + Math.round(minutes * MINUTE), "smtp-events", "0/" + alertId,
                ("{\"id\":\"" + alertId + "\",\"host\":{\"name\":\"" + host + "\"}}").getBytes(StandardCharsets.UTF_8), new String[0]);
    }

    private static AlertDecision alert(Candidate c, long executionTime) {
        return new AlertDecision(c, executionTime, false);
    }

    private static ExecutionStatus status(long t, int candidates, int alerted, int capped, int late, int dropped, int excepted) {
        return new ExecutionStatus(RULE, t, candidates, alerted, capped, late, dropped, excepted);
    }

    /** Only the events move event time: idle events next to a finished exceptions input run no execution. */
    @Test
    void idleEventsBesideAFinishedExceptionsInputRunNoExecution() throws Exception {
        Candidate a = at("a", 2, "ws-1");
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false, ExceptionSources.none()))) {
            h.send(a);
            h.watermark(T5 - 10_000);
            h.eventsIdle(true);
            assertThat(h.alerts()).isEmpty();
            assertThat(h.harness.numEventTimeTimers()).isPositive();
            h.eventsIdle(false);
            h.watermark(T5 - 1);
            assertThat(h.alerts()).containsExactly(alert(a, T5));
            h.endOfInput();
            h.assertDrained();
        }
    }

    @Test
    void anEventExceptedOnArrivalNeverBecomesACandidateAndIsNeverCapped() throws Exception {
        Candidate a = at("a", 2, "relay-1"), b = at("b", 3, "ws-1"), c = at("c", 4, "relay-1");
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(1, false, relays(hostItem("relay-1", "relay-1", null))))) {
            h.send(a);
            h.send(b);
            h.send(c);
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(b, T5));
            assertThat(h.statuses()).containsExactly(status(T5, 1, 1, 0, 0, 0, 2));
            assertThat(h.counter("eventsExcepted")).isEqualTo(2);
            assertThat(h.counter("capped")).isZero();
            h.assertDrained();
        }
    }

    @Test
    void anExceptionAddedWhileMatchesArePendingRemovesThemFromTheNextExecution() throws Exception {
        Candidate a = at("a", 2, "relay-1"), b = at("b", 3, "ws-1"), later = at("later", 6, "relay-1");
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false, ExceptionSources.none()))) {
            h.send(a);
            h.send(b);
            h.send(later);
            h.watermark(T5 - 2);
            h.exceptions(version(1, relays(hostItem("relay-1", "relay-1", null))));
            h.watermark(T5 - 1);
            assertThat(h.alerts()).containsExactly(alert(b, T5));
            assertThat(h.statuses()).containsExactly(status(T5, 1, 1, 0, 0, 0, 1));
            h.endOfInput();
            assertThat(h.statuses()).containsExactly(status(T5, 1, 1, 0, 0, 0, 1), status(T10, 0, 0, 0, 0, 0, 1));
            assertThat(h.counter("eventsExcepted")).isEqualTo(2);
            assertThat(h.gauge("exceptionsVersion")).isEqualTo(1);
            h.assertDrained();
        }
    }

    @Test
    void anItemThatExpiresBeforeTheLastCoveringExecutionLetsThatExecutionAlert() throws Exception {
        Candidate a = at("a", 3, "relay-1"), b = at("b", 3.5, "relay-2");
        // relay-1's item applies to T5 (equal still applies) but not T10; relay-2's to both executions that cover b.
        ExceptionSources items = relays(hostItem("relay-1", "relay-1", Instant.ofEpochMilli(T5)),
                hostItem("relay-2", "relay-2", Instant.ofEpochMilli(T10)));
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false, items))) {
            h.send(a);
            h.send(b);
            h.watermark(T5 - 1);
            assertThat(h.alerts()).isEmpty();
            assertThat(h.statuses()).containsExactly(status(T5, 0, 0, 0, 0, 0, 1));
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(a, T10));
            assertThat(h.statuses()).containsExactly(status(T5, 0, 0, 0, 0, 0, 1), status(T10, 1, 1, 0, 0, 0, 0));
            h.assertDrained();
        }
    }

    @Test
    void removingAnItemLetsTheCandidatesItHeldBackAlert() throws Exception {
        Candidate a = at("a", 3, "relay-1");
        ExceptionSources expiring = relays(hostItem("relay-1", "relay-1", Instant.ofEpochMilli(T5)));
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false, expiring))) {
            h.send(a); // held back from T5 by the item, pending for T10
            h.exceptions(version(1, relays()));
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(a, T5));
            h.assertDrained();
        }
    }

    @Test
    void aLateExceptedEventIsReportedByItsLastCoveringExecution() throws Exception {
        Candidate a = at("a", 2, "ws-1"), late = at("late", 2.5, "relay-1");
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false, relays(hostItem("relay-1", "relay-1", null))))) {
            h.send(a);
            h.watermark(T10 - 1);
            h.send(late);
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(a, T5));
            assertThat(h.statuses()).containsExactly(status(T5, 1, 1, 0, 0, 0, 0), status(T10, 0, 0, 0, 0, 0, 1));
            assertThat(h.counter("lateAlerts")).isZero();
            h.assertDrained();
        }
    }

    @Test
    void earlyAlertsAlreadyWrittenAreNotRetracted() throws Exception {
        Candidate a = at("a", 2, "relay-1"), b = at("b", 3, "relay-1"), c = at("c", 4, "relay-2");
        ExceptionSources expiring = relays(hostItem("relay-2", "relay-2", Instant.ofEpochMilli(T5)));
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, true, expiring))) {
            h.send(a);
            assertThat(h.alerts()).containsExactly(alert(a, T5));
            h.exceptions(version(1, relays(hostItem("relay-1", "relay-1", null), hostItem("relay-2", "relay-2", Instant.ofEpochMilli(T5)))));
            h.send(b);
            h.send(c); // excepted from T5 only: waits for T10 instead of an early alert
            h.endOfInput();
            assertThat(h.alerts()).containsExactly(alert(a, T5), alert(c, T10));
            assertThat(h.statuses()).containsExactly(status(T5, 1, 1, 0, 0, 0, 1), status(T10, 1, 1, 0, 0, 0, 0));
            h.assertDrained();
        }
    }

    @Test
    void aRestoredOperatorKeepsTheVersionItLastReceivedNotTheStartUpOne() throws Exception {
        Candidate a = at("a", 2, "relay-1"), b = at("b", 7, "relay-1"), c = at("c", 7.5, "relay-3");
        OperatorSubtaskState snapshot;
        ExceptionSources v2 = relays(hostItem("relay-1", "relay-1", null), hostItem("relay-3", "relay-3", null));
        try (ExecutionsHarness h = ExecutionsHarness.open(executions(100, false, ExceptionSources.none()))) {
            h.exceptions(version(1, relays(hostItem("relay-1", "relay-1", null))));
            h.send(a);
            h.send(c); // pending under version 1
            h.watermark(T5 - 1);
            h.exceptions(version(2, v2)); // the pending c is checked against it when T10 fires
            snapshot = h.snapshot();
        }
        try (ExecutionsHarness h = ExecutionsHarness.restore(executions(100, false, ExceptionSources.none()), snapshot)) {
            assertThat(h.harness.broadcastState().get("in-force").number).isEqualTo(2);
            h.send(b);
            h.endOfInput();
            assertThat(h.alerts()).isEmpty();
            assertThat(h.statuses()).containsExactly(status(T10, 0, 0, 0, 0, 0, 2));
            assertThat(h.counter("eventsExcepted")).isEqualTo(2);
            h.assertDrained();
        }
    }

    /**
     * Kibana's loop with each execution's exception filter and the operator agree on every alert, with an item
     * that expires mid-timeline and one added while the stream runs (at a random point); every distinct match ends
     * once as alerted, late, dropped or excepted.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void matchesKibanasLoopWithExceptionsOnRandomTimelines(boolean early) throws Exception {
        String[] hosts = {"relay-1", "relay-2", "relay-3", "ws-1", "ws-2", "ws-3"};
        for (int seed = 0; seed < 25; seed++) {
            Random random = new Random(seed);
            ExecutionSchedule schedule = schedule(1 + random.nextInt(6));
            List<Candidate> events = new ArrayList<>();
            for (Candidate c : Timelines.events(random, RULE, 60 * MINUTE, 30, 4, 12)) {
                String host = hosts[random.nextInt(hosts.length)];
                events.add(new Candidate(RULE, c.alertId, c.timestamp, c.origin, c.position,
                        ("{\"host\":{\"name\":\"" + host + "\"}}").getBytes(StandardCharsets.UTF_8), new String[0]));
            }
            long expire = BASE + (5 + random.nextInt(50)) * MINUTE + random.nextInt(2) * 1000L;
            String relay1 = hostItem("relay-1", "relay-1", null);
            String relay2 = hostItem("relay-2", "relay-2", Instant.ofEpochMilli(expire));
            ExceptionSources v0 = relays(relay1, relay2);
            ExceptionSources v1 = relays(relay1, relay2, hostItem("relay-3", "relay-3", null));
            List<Candidate> arrivals = Timelines.arrivals(random, events, 40_000);
            int switchAt = random.nextInt(arrivals.size());
            long outOfOrderness = 40_000;
            try (ExecutionsHarness h = ExecutionsHarness.open(executions(schedule.maxSignals, early, v0))) {
                Timelines.Feeder feeder = new Timelines.Feeder(outOfOrderness);
                feeder.feed(h, arrivals.subList(0, switchAt));
                long firedUpTo = h.watermarkNow(); // executions with T - 1 <= this fired under v0
                h.exceptions(version(1, v1));
                feeder.feed(h, arrivals.subList(switchAt, arrivals.size()));
                h.endOfInput();
                String where = "seed " + seed + ", " + schedule + ", switch after " + switchAt + " arrivals";

                Timelines.KibanaReference kibana = new Timelines.KibanaReference(schedule, RULE, events, (c, t) -> {
                    String host = new String(c.event, StandardCharsets.UTF_8);
                    boolean v1InForce = t - 1 > firedUpTo;
                    return host.contains("relay-1") || (host.contains("relay-2") && t <= expire) || (v1InForce && host.contains("relay-3"));
                });
                Map<String, Long> byId = Timelines.executionById(h.alerts());
                if (!early) {
                    assertThat(byId).as(where).isEqualTo(kibana.executionById);
                }
                assertThat(h.alerts()).as(where).noneMatch(a -> new String(a.candidate.event, StandardCharsets.UTF_8).contains("relay-1"));
                List<ExecutionStatus> statuses = h.statuses();
                int alerted = statuses.stream().mapToInt(s -> s.alerted).sum();
                int late = statuses.stream().mapToInt(s -> s.late).sum();
                int dropped = statuses.stream().mapToInt(s -> s.dropped).sum();
                int excepted = statuses.stream().mapToInt(s -> s.excepted).sum();
                Set<String> distinct = events.stream().map(c -> c.alertId).collect(Collectors.toSet());
                assertThat(alerted + late + dropped + excepted).as(where).isEqualTo(distinct.size());
                assertThat(h.counter("eventsExcepted")).as(where).isEqualTo(excepted);
                for (ExecutionStatus s : Timelines.firings(statuses).values()) {
                    assertThat(s.candidates).as(where).isEqualTo(s.alerted + s.capped);
                }
                h.assertDrained();
            }
        }
    }
}

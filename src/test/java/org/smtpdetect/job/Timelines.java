package org.smtpdetect.job;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Randomized timelines of matching events, their delivery, and Kibana's loop over them as a reference. */
final class Timelines {
    /** 2024-01-01T00:00:00Z, an execution instant of any whole-minute interval. */
    static final long BASE = 1_704_067_200_000L;

    private Timelines() {}

    /**
     * Events at whole seconds (so timestamps tie) over {@code spanMillis} from {@link #BASE}: {@code background}
     * spread uniformly plus {@code bursts} bursts of {@code burstSize} events within a minute.
     */
    static List<Candidate> events(Random random, String ruleId, long spanMillis, int background, int bursts,
                                  int burstSize) {
        List<Candidate> events = new ArrayList<>();
        long seconds = spanMillis / 1000;
        for (int i = 0; i < background; i++) {
            events.add(event(random, ruleId, events.size(), BASE + random.nextInt((int) seconds) * 1000L));
        }
        for (int b = 0; b < bursts; b++) {
            long center = random.nextInt((int) seconds);
            for (int i = 0; i < burstSize; i++) {
                long second = Math.max(0, Math.min(seconds - 1, center + random.nextInt(61) - 30));
                events.add(event(random, ruleId, events.size(), BASE + second * 1000L));
            }
        }
        return events;
    }

    private static Candidate event(Random random, String ruleId, int index, long timestamp) {
        return ExecutionsHarness.candidate(ruleId, String.format("%08x-%d", random.nextInt(), index), timestamp);
    }

    /** The events in arrival order: each delayed by up to {@code maxDelayMillis}, uniformly. */
    static List<Candidate> arrivals(Random random, List<Candidate> events, long maxDelayMillis) {
        Map<Candidate, Long> arrival = new HashMap<>();
        for (Candidate c : events) {
            arrival.put(c, c.timestamp + (long) (random.nextDouble() * (maxDelayMillis + 1)));
        }
        List<Candidate> ordered = new ArrayList<>(events);
        ordered.sort(Comparator.comparingLong(arrival::get));
        return ordered;
    }

    /** Feeds arrivals to a harness with a bounded-out-of-orderness watermark after each, as Flink assigns it. */
    static final class Feeder {
        private final long outOfOrdernessMillis;
        private long maxTimestamp = Long.MIN_VALUE;

        Feeder(long outOfOrdernessMillis) {
            this.outOfOrdernessMillis = outOfOrdernessMillis;
        }

        /** A feeder that goes on from where this one is, as a source restored from the same checkpoint. */
        Feeder copy() {
            Feeder copy = new Feeder(outOfOrdernessMillis);
            copy.maxTimestamp = maxTimestamp;
            return copy;
        }

        void feed(ExecutionsHarness harness, List<Candidate> arrivals) throws Exception {
            for (Candidate c : arrivals) {
                harness.send(c);
                maxTimestamp = Math.max(maxTimestamp, c.timestamp);
                harness.watermark(maxTimestamp - outOfOrdernessMillis - 1);
            }
        }
    }

    /** Alert id to the execution that alerted it; fails on an id alerted twice. */
    static Map<String, Long> executionById(Collection<AlertDecision> alerts) {
        Map<String, Long> byId = new LinkedHashMap<>();
        for (AlertDecision a : alerts) {
            if (byId.put(a.candidate.alertId, a.executionTime) != null) {
                throw new AssertionError("alerted twice: " + a.candidate.alertId);
            }
        }
        return byId;
    }

    /** The status records of firings (not late supplements), by execution time. */
    static Map<Long, ExecutionStatus> firings(Collection<ExecutionStatus> statuses) {
        return statuses.stream().filter(s -> s.late == 0)
                .collect(Collectors.toMap(s -> s.executionTime, s -> s, (a, b) -> {
                    throw new AssertionError("two firings of " + a.executionTime);
                }, TreeMap::new));
    }

    /** Kibana's loop, written plainly: every execution in order over everything that happened. */
    static final class KibanaReference {
        final Map<String, Long> executionById = new HashMap<>();
        final Map<Long, ExecutionStatus> statuses = new TreeMap<>();

        KibanaReference(ExecutionSchedule schedule, String ruleId, Collection<Candidate> matches) {
            this(schedule, ruleId, matches, (c, t) -> false);
        }

        /** With {@code excepted(c, T)}: the exception filter of execution T removes c from its search. */
        KibanaReference(ExecutionSchedule schedule, String ruleId, Collection<Candidate> matches,
                        java.util.function.BiPredicate<Candidate, Long> excepted) {
            Map<String, Candidate> distinct = new LinkedHashMap<>();
            matches.forEach(c -> distinct.putIfAbsent(c.alertId, c));
            long first = distinct.values().stream().mapToLong(c -> c.timestamp).min().orElse(0);
            long last = distinct.values().stream().mapToLong(c -> c.timestamp).max().orElse(-1);
            Set<String> alerted = new HashSet<>();
            for (long t = schedule.firstExecutionCovering(first); t <= schedule.lastExecutionCovering(last);
                    t += schedule.intervalMillis) {
                long executionTime = t;
                List<Candidate> candidates = distinct.values().stream()
                        .filter(c -> executionTime - schedule.lookBackMillis <= c.timestamp)
                        .filter(c -> c.timestamp < executionTime)
                        .filter(c -> !alerted.contains(c.alertId))
                        .filter(c -> !excepted.test(c, executionTime))
                        .sorted(Comparator.<Candidate>comparingLong(c -> c.timestamp).thenComparing(c -> c.alertId))
                        .collect(Collectors.toList());
                if (candidates.isEmpty()) {
                    continue;
                }
                List<Candidate> alerts = candidates.subList(0, Math.min(schedule.maxSignals, candidates.size()));
                alerts.forEach(c -> {
                    alerted.add(c.alertId);
                    executionById.put(c.alertId, executionTime);
                });
                int dropped = (int) candidates.stream().skip(alerts.size())
                        .filter(c -> schedule.lastExecutionCovering(c.timestamp) == executionTime).count();
                statuses.put(executionTime, new ExecutionStatus(ruleId, executionTime, candidates.size(),
                        alerts.size(), candidates.size() - alerts.size(), 0, dropped));
            }
        }
    }
}

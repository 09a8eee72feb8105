package org.smtpdetect.job;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.TimerService;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.streaming.api.functions.co.KeyedBroadcastProcessFunction;
import org.smtpdetect.connectors.exceptions.ExceptionsVersion;
import org.smtpdetect.exception.ExceptionSet;
import org.smtpdetect.exception.ExceptionSources;
import org.smtpdetect.rule.Rule;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reproduces Kibana's executions of a query rule in event time: keyed by rule id, it turns matching events
 * ({@link Candidate}) into alerts ({@link AlertDecision}) exactly as the rule's scheduled executions would,
 * and reports each execution on the {@link #STATUS} side output.
 *
 * <h2>Executions</h2>
 * Execution {@code T = k * interval} (epoch-aligned) covers events with {@code T - lookBack <= timestamp < T}.
 * Executions run in order of {@code T}. An execution's candidates are the covered events not alerted yet,
 * ordered by (timestamp, alertId); the first {@code maxSignals} become alerts, the rest are capped and stay
 * candidates for the later executions that cover them. A candidate capped by the last execution covering it
 * is dropped and never alerted, as Kibana does; its status record counts it in {@code dropped}.
 *
 * <h2>Timers</h2>
 * Execution {@code T} fires on the event-time timer {@code T - 1}: Flink fires a timer once the watermark is
 * {@code >= } its timestamp, and a watermark {@code W} promises no more events with {@code timestamp <= W},
 * so at {@code W = T - 1} every event of {@code [T - lookBack, T)} is in; an event stamped exactly {@code T}
 * belongs to the next execution. Timers are only registered for executions that have something to do (a
 * pending candidate, an early alert) and for forgetting alert ids, always on such an instant {@code T - 1}.
 * Flink fires timers in timestamp order, including ones registered while firing, so the end-of-input
 * watermark ({@code Long.MAX_VALUE}) runs every pending execution in order.
 *
 * <h2>Late events</h2>
 * An event is late when it arrives with the watermark already at or past the slot {@code Tlast - 1} of its
 * last covering execution {@code Tlast}: no execution that covers it will fire again. It is alerted at once,
 * outside the cap, with {@code late = true} and attributed to {@code Tlast} (the newest execution whose
 * window contains it, so {@code executionTime - lookBack <= timestamp < executionTime} holds for every
 * alert). Each one also emits its own status record for {@code Tlast} with {@code late = 1} and all other
 * counts 0 (a supplement to the record {@code Tlast} emitted when it fired; sum records by rule and
 * execution time for totals), and increments the {@code lateAlerts} counter. An event whose first covering
 * execution has fired but a later covering one has not is not late: it joins the next execution's
 * candidates.
 *
 * <h2>Once per rule</h2>
 * An alert id is alerted at most once: ids that were alerted or dropped are remembered until the watermark
 * passes their dedup horizon, {@code lastExecutionCovering(timestamp) + allowedLateness} rounded up to an
 * execution instant. A repeat of a pending or remembered id is ignored (counter {@code duplicates}). A
 * repeat arriving after the horizon finds no memory and is alerted again as late; its alert id is
 * deterministic, so a sink writing by id absorbs it.
 *
 * <h2>Early alerts</h2>
 * With {@code earlyAlerts}, a candidate is alerted when it arrives, counted against its first covering
 * execution that has not fired yet. If that execution already has {@code maxSignals} early alerts, the
 * candidate waits like any other and the execution's firing gives it the cap left over. Without cap pressure
 * the alerts (and their execution times) are those of the default mode; under pressure, early alerts take
 * cap slots in arrival order rather than Kibana's (timestamp, alertId) order. Status records still come when
 * executions fire and include the early alerts in {@code candidates} and {@code alerted}.
 *
 * <h2>Exceptions</h2>
 * Rule exceptions apply as Kibana applies them: at query time of each execution, with the version in force when
 * it runs. The version lives in broadcast state ({@link #EXCEPTIONS}): the start-up version until the exceptions
 * source ({@code ExceptionFilesSource}) sends a newer one, and after a restore the one checkpointed, so a restored
 * job never goes back to an older version. An item applies to execution {@code T} unless its {@code expire_time}
 * is before {@code T} (event time), so {@code exceptedUntil} (the latest expiry among the items that match) decides:
 * <ul>
 *   <li>on arrival, a candidate excepted up to its last covering execution is excepted by every execution that
 *       covers it: it never enters state; it is counted in {@code excepted} of the next execution to fire (or, when
 *       late, in a supplementary status record of its last covering execution) and in {@code eventsExcepted};
 *   <li>a candidate excepted only by items that expire earlier waits in state and is left out of the executions
 *       they still apply to ({@code excepted-until}): not a candidate there, so never capped;
 *   <li>when an execution fires under a version its key's pending candidates were not checked against
 *       ({@code exceptions-checked}), each is checked again first, so an exception added while matches are pending
 *       removes them from that execution on. Early alerts already emitted are not retracted.
 * </ul>
 * An excepted event is not remembered as settled: a repeat is evaluated again under the version then in force.
 *
 * <h2>State (per rule id)</h2>
 * <ul>
 *   <li>{@code pending-time}: {@code MapState<alertId, timestamp>}, what a firing scans to rank candidates;
 *   <li>{@code pending-candidate}: {@code MapState<alertId, Candidate>}, the payload, read only for winners;
 *   <li>{@code settled}: {@code MapState<alertId, forget timer>}, ids alerted or dropped, until their horizon;
 *   <li>{@code next-forget}: {@code ValueState<Long>}, the earliest forget timer, so firings only scan
 *       {@code settled} when something is due;
 *   <li>{@code early-alerted}: {@code MapState<execution time, count>}, early alerts per unfired execution;
 *   <li>{@code excepted-until}: {@code MapState<alertId, exceptedUntil>}, pending candidates some executions
 *       except (items that expire before their last covering execution);
 *   <li>{@code excepted-count}: {@code MapState<execution time, count>}, candidates excepted on arrival, reported
 *       by the next execution to fire;
 *   <li>{@code exceptions-checked}: {@code ValueState<String>}, the digest of the version the pending candidates
 *       were checked against.
 * </ul>
 * Operator (union list) state holds the watermark at the last checkpoint, read from the timer service when the
 * snapshot is taken; after a restore the lowest of the subtasks' is used until Flink's own watermark passes it,
 * so an event late before a restore is late after it. A subtask that has processed no element nor timer has
 * no timer service at hand and contributes nothing (it does not know the watermark, it is not behind): with
 * one rule, only one subtask ever sees an element.
 * Only matching events live in state, for at most look-back plus out-of-orderness while pending and
 * look-back plus allowed lateness as remembered ids; once the watermark passes everything, state and
 * timers are empty.
 *
 * <h2>Metrics</h2>
 * Counters {@code alerted} (in-cap alerts, early ones included), {@code lateAlerts}, {@code capped} (the sum
 * of the status records' {@code capped}: an event capped by two executions counts twice), {@code dropped},
 * {@code duplicates} and {@code eventsExcepted}; gauge {@code exceptionsVersion}, the number of the version in force.
 */
public class KibanaExecutions extends KeyedBroadcastProcessFunction<String, Candidate, ExceptionsVersion, AlertDecision>
        implements CheckpointedFunction {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(KibanaExecutions.class);

    /** Kibana's warning when an execution hits max_signals. */
    public static final String MAX_SIGNALS_WARNING =
            "This rule reached the maximum alert limit for the rule execution. Some alerts were not created.";

    /** Side output: one record per execution that had candidates, plus one per late alert. */
    public static final OutputTag<ExecutionStatus> STATUS =
            new OutputTag<>("execution-status", TypeInformation.of(ExecutionStatus.class));

    /** How long alert ids are remembered past their last covering execution when not configured. */
    public static final Duration DEFAULT_ALLOWED_LATENESS = Duration.ofHours(1);

    /** Broadcast state: the exceptions version in force, under {@link #IN_FORCE}. */
    public static final MapStateDescriptor<String, ExceptionsVersion> EXCEPTIONS =
            new MapStateDescriptor<>("exceptions", Types.STRING, TypeInformation.of(ExceptionsVersion.class));
    private static final String IN_FORCE = "in-force";

    private final Map<String, ExecutionSchedule> schedules;
    private final boolean earlyAlerts;
    private final long allowedLatenessMillis;
    private final List<Rule> rules;
    private final ExceptionSources initialExceptions;

    private transient MapState<String, Long> pendingTime;
    private transient MapState<String, Candidate> pendingCandidate;
    private transient MapState<String, Long> settled;
    private transient ValueState<Long> nextForget;
    private transient MapState<Long, Integer> earlyAlerted;
    private transient MapState<String, Long> exceptedUntil;
    private transient MapState<Long, Integer> exceptedCount;
    private transient ValueState<String> exceptionsChecked;

    /** The exceptions version in force, compiled. */
    private transient ExceptionsInForce inForce;

    /** Operator state: the watermark at the last checkpoint, since Flink restarts operators at none. */
    private transient ListState<Long> checkpointedWatermark;
    /** The highest watermark this instance knows of: seen, or restored (the lowest of all subtasks'). */
    private transient long watermark;
    /** The operator's timer service, once an element or timer has shown it: the watermark at snapshots. */
    private transient TimerService timerService;

    private transient Counter alertedCounter;
    private transient Counter lateCounter;
    private transient Counter cappedCounter;
    private transient Counter droppedCounter;
    private transient Counter duplicateCounter;
    private transient Counter exceptedCounter;

    public KibanaExecutions(Map<String, ExecutionSchedule> schedules, boolean earlyAlerts) {
        this(schedules, earlyAlerts, DEFAULT_ALLOWED_LATENESS);
    }

    /**
     * @param schedules each rule id's schedule; a candidate of any other rule fails the job
     * @param earlyAlerts alert candidates on arrival while their first unfired execution has cap left
     * @param allowedLateness how long after its last covering execution an alert id is remembered
     */
    public KibanaExecutions(Map<String, ExecutionSchedule> schedules, boolean earlyAlerts, Duration allowedLateness) {
        this(schedules, earlyAlerts, allowedLateness, List.of(), ExceptionSources.none());
    }

    /**
     * @param rules the rules, in the order exception lists are compiled for ({@code exceptions_list} decides which
     *              lists apply to which rule); empty: no exceptions
     * @param initialExceptions the exceptions read at start-up, in force until the source sends another version
     */
    public KibanaExecutions(Map<String, ExecutionSchedule> schedules, boolean earlyAlerts, Duration allowedLateness,
                            List<Rule> rules, ExceptionSources initialExceptions) {
        if (allowedLateness.isNegative()) throw new IllegalArgumentException("allowed lateness must not be negative");
        this.schedules = new HashMap<>(schedules);
        this.earlyAlerts = earlyAlerts;
        this.allowedLatenessMillis = allowedLateness.toMillis();
        this.rules = List.copyOf(rules);
        this.initialExceptions = initialExceptions;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        checkpointedWatermark = context.getOperatorStateStore()
                .getUnionListState(new ListStateDescriptor<>("watermark", Types.LONG));
        watermark = Long.MIN_VALUE;
        if (context.isRestored()) {
            long lowest = Long.MAX_VALUE;
            for (Long restored : checkpointedWatermark.get()) {
                if (restored != Long.MIN_VALUE) lowest = Math.min(lowest, restored);
            }
            watermark = lowest == Long.MAX_VALUE ? Long.MIN_VALUE : lowest;
        }
        BroadcastState<String, ExceptionsVersion> versions = context.getOperatorStateStore().getBroadcastState(EXCEPTIONS);
        ExceptionsVersion restored = versions.get(IN_FORCE);
        ExceptionsVersion initial = new ExceptionsVersion(0, 0, initialExceptions);
        if (restored != null) {
            try {
                inForce = ExceptionsInForce.compile(restored, rules);
                return;
            } catch (RuntimeException e) {
                LOG.error("The restored rule exceptions (version {}) do not compile for these rules; the start-up version applies: {}",
                        restored.number, e.getMessage());
            }
        }
        versions.put(IN_FORCE, initial);
        inForce = ExceptionsInForce.compile(initial, rules);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        if (timerService != null) {
            watermark = Math.max(watermark, timerService.currentWatermark());
        }
        checkpointedWatermark.update(watermark == Long.MIN_VALUE ? List.of() : List.of(watermark));
    }

    /**
     * The current watermark. After a restore Flink's is {@code Long.MIN_VALUE} until the first new one
     * arrives; the checkpointed one keeps events that were late before the restore late after it, so no
     * execution that already fired runs again.
     */
    private long currentWatermark(ReadOnlyContext ctx) {
        timerService = ctx.timerService();
        watermark = Math.max(watermark, timerService.currentWatermark());
        return watermark;
    }

    @Override
    public void open(OpenContext openContext) {
        pendingTime = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("pending-time", Types.STRING, Types.LONG));
        pendingCandidate = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("pending-candidate", Types.STRING, TypeInformation.of(Candidate.class)));
        settled = getRuntimeContext().getMapState(new MapStateDescriptor<>("settled", Types.STRING, Types.LONG));
        nextForget = getRuntimeContext().getState(new ValueStateDescriptor<>("next-forget", Types.LONG));
        earlyAlerted = getRuntimeContext().getMapState(
                new MapStateDescriptor<>("early-alerted", Types.LONG, Types.INT));
        exceptedUntil = getRuntimeContext().getMapState(new MapStateDescriptor<>("excepted-until", Types.STRING, Types.LONG));
        exceptedCount = getRuntimeContext().getMapState(new MapStateDescriptor<>("excepted-count", Types.LONG, Types.INT));
        exceptionsChecked = getRuntimeContext().getState(new ValueStateDescriptor<>("exceptions-checked", Types.STRING));

        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        alertedCounter = metrics.counter("alerted");
        lateCounter = metrics.counter("lateAlerts");
        cappedCounter = metrics.counter("capped");
        droppedCounter = metrics.counter("dropped");
        duplicateCounter = metrics.counter("duplicates");
        exceptedCounter = metrics.counter("eventsExcepted");
        metrics.gauge("exceptionsVersion", (Gauge<Long>) () -> inForce.number);
    }

    /** A new exceptions version from the source: in force for every execution that fires from now on. */
    @Override
    public void processBroadcastElement(ExceptionsVersion version, Context ctx, Collector<AlertDecision> out) throws Exception {
        if (version.digest().equals(inForce.digest)) return;
        ExceptionsInForce next;
        try {
            next = ExceptionsInForce.compile(version, rules);
        } catch (RuntimeException e) {
            LOG.error("Rule exceptions version {} does not compile; version {} stays in force: {}", version.number, inForce.number, e.getMessage());
            return;
        }
        ctx.getBroadcastState(EXCEPTIONS).put(IN_FORCE, version);
        inForce = next;
        if (getRuntimeContext().getTaskInfo().getIndexOfThisSubtask() == 0) {
            LOG.info("Rule exceptions version {} in force ({})", version.number, next.summary());
        }
    }

    @Override
    public void processElement(Candidate candidate, ReadOnlyContext ctx, Collector<AlertDecision> out) throws Exception {
        String alertId = candidate.alertId;
        if (pendingTime.contains(alertId) || settled.contains(alertId)) {
            duplicateCounter.inc();
            return;
        }
        ExecutionSchedule schedule = schedule(ctx.getCurrentKey());
        long watermark = currentWatermark(ctx);
        long last = schedule.lastExecutionCovering(candidate.timestamp);
        boolean late = watermark >= slot(last);
        long until = inForce.exceptedUntil(candidate);
        if (until >= last) {
            // Excepted by every execution that covers it: it never becomes a candidate.
            exceptedCounter.inc();
            if (late) {
                ctx.output(STATUS, new ExecutionStatus(ctx.getCurrentKey(), last, 0, 0, 0, 0, 0, 1));
            } else {
                long next = nextExecution(schedule, candidate.timestamp, watermark);
                Integer count = exceptedCount.get(next);
                exceptedCount.put(next, count == null ? 1 : count + 1);
                ctx.timerService().registerEventTimeTimer(slot(next));
            }
            return;
        }
        if (late) {
            out.collect(new AlertDecision(candidate, last, true));
            lateCounter.inc();
            ctx.output(STATUS, new ExecutionStatus(ctx.getCurrentKey(), last, 0, 0, 0, 1, 0));
            remember(schedule, alertId, candidate.timestamp, ctx);
            return;
        }
        long next = nextExecution(schedule, candidate.timestamp, watermark);
        ctx.timerService().registerEventTimeTimer(slot(next));
        if (earlyAlerts && until < next) {
            Integer early = earlyAlerted.get(next);
            int count = early == null ? 0 : early;
            if (count < schedule.maxSignals) {
                earlyAlerted.put(next, count + 1);
                out.collect(new AlertDecision(candidate, next, false));
                alertedCounter.inc();
                remember(schedule, alertId, candidate.timestamp, ctx);
                return;
            }
        }
        if (pendingTime.isEmpty()) exceptionsChecked.update(inForce.digest);
        pendingTime.put(alertId, candidate.timestamp);
        pendingCandidate.put(alertId, candidate);
        if (until != ExceptionSet.NOT_EXCEPTED) exceptedUntil.put(alertId, until);
    }

    /** The first execution covering {@code timestamp} that has not fired at {@code watermark}. */
    private static long nextExecution(ExecutionSchedule schedule, long timestamp, long watermark) {
        long first = schedule.firstExecutionCovering(timestamp);
        return watermark < slot(first) ? first : schedule.firstExecutionCovering(watermark + 1);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<AlertDecision> out) throws Exception {
        currentWatermark(ctx);
        ExecutionSchedule schedule = schedule(ctx.getCurrentKey());
        execute(schedule, timestamp + 1, ctx, out);
        forgetExpired(timestamp);
    }

    /** Runs execution {@code executionTime}: alerts, caps, drops, excepts and reports its candidates. */
    private void execute(ExecutionSchedule schedule, long executionTime, OnTimerContext ctx,
                         Collector<AlertDecision> out) throws Exception {
        Integer earlyCount = earlyAlerted.get(executionTime);
        int early = earlyCount == null ? 0 : earlyCount;
        if (earlyCount != null) {
            earlyAlerted.remove(executionTime);
        }
        Integer exceptedOnArrival = exceptedCount.get(executionTime);
        int excepted = exceptedOnArrival == null ? 0 : exceptedOnArrival;
        if (exceptedOnArrival != null) {
            exceptedCount.remove(executionTime);
        }
        excepted += checkPendingAgainstVersionInForce(schedule, executionTime);
        Eligible eligible = new Eligible(executionTime);
        ExecutionPlanner.Plan plan = ExecutionPlanner.plan(
                schedule, executionTime, schedule.maxSignals - early, eligible);
        if (plan.carried > 0 || eligible.skipped > 0) {
            ctx.timerService().registerEventTimeTimer(slot(executionTime + schedule.intervalMillis));
        }
        if (early == 0 && plan.covered == 0 && excepted == 0) {
            return;
        }
        for (ExecutionPlanner.Ref ref : plan.alerts) {
            Candidate candidate = pendingCandidate.get(ref.alertId);
            unpend(ref.alertId);
            out.collect(new AlertDecision(candidate, executionTime, false));
            remember(schedule, ref.alertId, ref.timestamp, ctx);
        }
        for (ExecutionPlanner.Ref ref : plan.dropped) {
            unpend(ref.alertId);
            remember(schedule, ref.alertId, ref.timestamp, ctx);
        }
        if (pendingTime.isEmpty()) {
            exceptionsChecked.clear();
        }

        String ruleId = ctx.getCurrentKey();
        int capped = plan.capped();
        alertedCounter.inc(plan.alerts.size());
        cappedCounter.inc(capped);
        droppedCounter.inc(plan.dropped.size());
        if (capped > 0) {
            LOG.warn("{} rule={} execution={} max_signals={} capped={} dropped={}", MAX_SIGNALS_WARNING, ruleId,
                    Instant.ofEpochMilli(executionTime), schedule.maxSignals, capped, plan.dropped.size());
        }
        ctx.output(STATUS, new ExecutionStatus(ruleId, executionTime, early + plan.covered,
                early + plan.alerts.size(), capped, 0, plan.dropped.size(), excepted));
    }

    /**
     * When the exceptions changed since this key's pending candidates were checked, checks each again: one now
     * excepted up to its last covering execution leaves state. Returns how many of those execution
     * {@code executionTime} covers (the others are reported by their first covering execution).
     */
    private int checkPendingAgainstVersionInForce(ExecutionSchedule schedule, long executionTime) throws Exception {
        if (inForce.digest.equals(exceptionsChecked.value())) {
            return 0;
        }
        if (pendingTime.isEmpty()) {
            exceptionsChecked.clear();
            return 0;
        }
        int covered = 0;
        List<String> excepted = new ArrayList<>();
        for (Map.Entry<String, Candidate> entry : pendingCandidate.entries()) {
            Candidate c = entry.getValue();
            long until = inForce.exceptedUntil(c);
            if (until >= schedule.lastExecutionCovering(c.timestamp)) {
                excepted.add(entry.getKey());
                if (c.timestamp < executionTime) {
                    covered++;
                } else {
                    long first = schedule.firstExecutionCovering(c.timestamp);
                    Integer count = exceptedCount.get(first);
                    exceptedCount.put(first, count == null ? 1 : count + 1);
                }
            } else if (until != ExceptionSet.NOT_EXCEPTED) {
                exceptedUntil.put(entry.getKey(), until);
            } else {
                exceptedUntil.remove(entry.getKey());
            }
        }
        for (String alertId : excepted) {
            unpend(alertId);
        }
        exceptedCounter.inc(excepted.size());
        exceptionsChecked.update(inForce.digest);
        return covered;
    }

    /** The pending candidates an execution may consider: those no item still in force at it excepts. */
    private final class Eligible implements Iterable<Map.Entry<String, Long>> {
        private final long executionTime;
        private final Map<String, Long> until = new HashMap<>();
        /** Covered candidates left out because an item still excepts them at this execution. */
        int skipped;

        Eligible(long executionTime) throws Exception {
            this.executionTime = executionTime;
            if (!exceptedUntil.isEmpty()) {
                for (Map.Entry<String, Long> e : exceptedUntil.entries()) until.put(e.getKey(), e.getValue());
            }
        }

        @Override
        public java.util.Iterator<Map.Entry<String, Long>> iterator() {
            java.util.Iterator<Map.Entry<String, Long>> all;
            try {
                all = pendingTime.entries().iterator();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            if (until.isEmpty()) return all;
            List<Map.Entry<String, Long>> kept = new ArrayList<>();
            while (all.hasNext()) {
                Map.Entry<String, Long> e = all.next();
                Long u = until.get(e.getKey());
                if (u != null && u >= executionTime && e.getValue() < executionTime) {
                    skipped++;
                } else {
                    kept.add(e);
                }
            }
            return kept.iterator();
        }
    }

    private void unpend(String alertId) throws Exception {
        pendingTime.remove(alertId);
        pendingCandidate.remove(alertId);
        exceptedUntil.remove(alertId);
    }

    /** Remembers a settled (alerted or dropped) id until its dedup horizon, unless that is already behind us. */
    private void remember(ExecutionSchedule schedule, String alertId, long timestamp, ReadOnlyContext ctx) throws Exception {
        long horizon = schedule.lastExecutionCovering(timestamp) + allowedLatenessMillis;
        long forgetAt = slot(schedule.executionAtOrAfter(horizon));
        if (forgetAt <= currentWatermark(ctx)) {
            return;
        }
        settled.put(alertId, forgetAt);
        ctx.timerService().registerEventTimeTimer(forgetAt);
        Long earliest = nextForget.value();
        if (earliest == null || forgetAt < earliest) {
            nextForget.update(forgetAt);
        }
    }

    /** Forgets the settled ids whose horizon the timer {@code timestamp} reached. */
    private void forgetExpired(long timestamp) throws Exception {
        Long earliest = nextForget.value();
        if (earliest == null || earliest > timestamp) {
            return;
        }
        long remaining = Long.MAX_VALUE;
        List<String> expired = new ArrayList<>();
        for (Map.Entry<String, Long> entry : settled.entries()) {
            if (entry.getValue() <= timestamp) {
                expired.add(entry.getKey());
            } else {
                remaining = Math.min(remaining, entry.getValue());
            }
        }
        for (String alertId : expired) {
            settled.remove(alertId);
        }
        if (remaining == Long.MAX_VALUE) {
            nextForget.clear();
        } else {
            nextForget.update(remaining);
        }
    }

    private ExecutionSchedule schedule(String ruleId) {
        ExecutionSchedule schedule = schedules.get(ruleId);
        if (schedule == null) {
            throw new IllegalStateException("No execution schedule for rule " + ruleId + "; known: "
                    + schedules.keySet());
        }
        return schedule;
    }

    /** The event-time timer on which execution {@code executionTime} fires. */
    static long slot(long executionTime) {
        return executionTime - 1;
    }

    @Override
    public String toString() {
        return "KibanaExecutions{schedules=" + schedules + ", earlyAlerts=" + earlyAlerts + ", allowedLateness="
                + allowedLatenessMillis + "ms}";
    }
}

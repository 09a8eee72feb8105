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
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
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
 * <h2>State (per rule id)</h2>
 * <ul>
 *   <li>{@code pending-time}: {@code MapState<alertId, timestamp>}, what a firing scans to rank candidates;
 *   <li>{@code pending-candidate}: {@code MapState<alertId, Candidate>}, the payload, read only for winners;
 *   <li>{@code settled}: {@code MapState<alertId, forget timer>}, ids alerted or dropped, until their horizon;
 *   <li>{@code next-forget}: {@code ValueState<Long>}, the earliest forget timer, so firings only scan
 *       {@code settled} when something is due;
 *   <li>{@code early-alerted}: {@code MapState<execution time, count>}, early alerts per unfired execution.
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
 * of the status records' {@code capped}: an event capped by two executions counts twice), {@code dropped}
 * and {@code duplicates}.
 */
public class KibanaExecutions extends KeyedProcessFunction<String, Candidate, AlertDecision>
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

    private final Map<String, ExecutionSchedule> schedules;
    private final boolean earlyAlerts;
    private final long allowedLatenessMillis;

    private transient MapState<String, Long> pendingTime;
    private transient MapState<String, Candidate> pendingCandidate;
    private transient MapState<String, Long> settled;
    private transient ValueState<Long> nextForget;
    private transient MapState<Long, Integer> earlyAlerted;

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

    public KibanaExecutions(Map<String, ExecutionSchedule> schedules, boolean earlyAlerts) {
        this(schedules, earlyAlerts, DEFAULT_ALLOWED_LATENESS);
    }

    /**
     * @param schedules each rule id's schedule; a candidate of any other rule fails the job
     * @param earlyAlerts alert candidates on arrival while their first unfired execution has cap left
     * @param allowedLateness how long after its last covering execution an alert id is remembered
     */
    public KibanaExecutions(Map<String, ExecutionSchedule> schedules, boolean earlyAlerts, Duration allowedLateness) {
        if (allowedLateness.isNegative()) throw new IllegalArgumentException("allowed lateness must not be negative");
        this.schedules = new HashMap<>(schedules);
        this.earlyAlerts = earlyAlerts;
        this.allowedLatenessMillis = allowedLateness.toMillis();
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
    private long currentWatermark(Context ctx) {
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

        MetricGroup metrics = getRuntimeContext().getMetricGroup();
        alertedCounter = metrics.counter("alerted");
        lateCounter = metrics.counter("lateAlerts");
        cappedCounter = metrics.counter("capped");
        droppedCounter = metrics.counter("dropped");
        duplicateCounter = metrics.counter("duplicates");
    }

    @Override
    public void processElement(Candidate candidate, Context ctx, Collector<AlertDecision> out) throws Exception {
        String alertId = candidate.alertId;
        if (pendingTime.contains(alertId) || settled.contains(alertId)) {
            duplicateCounter.inc();
            return;
        }
        ExecutionSchedule schedule = schedule(ctx.getCurrentKey());
        long watermark = currentWatermark(ctx);
        long last = schedule.lastExecutionCovering(candidate.timestamp);
        if (watermark >= slot(last)) {
            out.collect(new AlertDecision(candidate, last, true));
            lateCounter.inc();
            ctx.output(STATUS, new ExecutionStatus(ctx.getCurrentKey(), last, 0, 0, 0, 1, 0));
            remember(schedule, alertId, candidate.timestamp, ctx);
            return;
        }
        long first = schedule.firstExecutionCovering(candidate.timestamp);
        long next = watermark < slot(first) ? first : schedule.firstExecutionCovering(watermark + 1);
        ctx.timerService().registerEventTimeTimer(slot(next));
        if (earlyAlerts) {
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
        pendingTime.put(alertId, candidate.timestamp);
        pendingCandidate.put(alertId, candidate);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<AlertDecision> out) throws Exception {
        currentWatermark(ctx);
        ExecutionSchedule schedule = schedule(ctx.getCurrentKey());
        execute(schedule, timestamp + 1, ctx, out);
        forgetExpired(timestamp);
    }

    /** Runs execution {@code executionTime}: alerts, caps, drops and reports its candidates. */
    private void execute(ExecutionSchedule schedule, long executionTime, OnTimerContext ctx,
                         Collector<AlertDecision> out) throws Exception {
        Integer earlyCount = earlyAlerted.get(executionTime);
        int early = earlyCount == null ? 0 : earlyCount;
        if (earlyCount != null) {
            earlyAlerted.remove(executionTime);
        }
        ExecutionPlanner.Plan plan = ExecutionPlanner.plan(
                schedule, executionTime, schedule.maxSignals - early, pendingTime.entries());
        if (early == 0 && plan.covered == 0) {
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
        if (plan.carried > 0) {
            ctx.timerService().registerEventTimeTimer(slot(executionTime + schedule.intervalMillis));
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
                early + plan.alerts.size(), capped, 0, plan.dropped.size()));
    }

    private void unpend(String alertId) throws Exception {
        pendingTime.remove(alertId);
        pendingCandidate.remove(alertId);
    }

    /** Remembers a settled (alerted or dropped) id until its dedup horizon, unless that is already behind us. */
    private void remember(ExecutionSchedule schedule, String alertId, long timestamp, Context ctx) throws Exception {
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

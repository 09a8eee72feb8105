package org.smtpdetect.job;

import org.smtpdetect.rule.EvaluatedEvent;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;
import org.smtpdetect.alert.AlertIds;
import org.smtpdetect.connectors.SinkDocument;
import org.smtpdetect.connectors.SourceBacklog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;

/**
 * Chained right after the source: turns each evaluated event into one candidate per matching rule, sends bad
 * records to the dead-letter output and drops non-matching events (counted). Logs progress of long runs, with
 * the Kafka consumer lag of the source reader it is chained to while that catches up.
 */
public final class RouteEvaluated extends ProcessFunction<EvaluatedEvent, Candidate> {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RouteEvaluated.class);
    private static final long PROGRESS_EVERY_MS = 30_000;
    /** Records between looks at the clock for the progress log. */
    private static final int CLOCK_EVERY = 1024;

    public static final OutputTag<SinkDocument> DEAD_LETTERS = new OutputTag<>("dead-letters") {};

    private final List<String> ruleIds;
    private final String spaceId;
    private transient Counter read;
    private transient Counter parsed;
    private transient Counter matched;
    private transient Counter deadLettered;
    private transient long nextProgress;
    private transient long maxEventTime;

    public RouteEvaluated(List<String> ruleIds, String spaceId) {
        this.ruleIds = List.copyOf(ruleIds);
        this.spaceId = spaceId;
    }

    @Override
    public void open(Configuration parameters) {
        read = getRuntimeContext().getMetricGroup().counter("eventsRead");
        parsed = getRuntimeContext().getMetricGroup().counter("eventsParsed");
        matched = getRuntimeContext().getMetricGroup().counter("eventsMatched");
        deadLettered = getRuntimeContext().getMetricGroup().counter("eventsDeadLettered");
        nextProgress = System.currentTimeMillis() + PROGRESS_EVERY_MS;
        maxEventTime = Long.MIN_VALUE;
    }

    private static final int[] NONE = new int[0];

    /** The source's lag, as the progress line shows it: only Kafka readers know theirs. */
    static String backlog(long recordsBehind) {
        if (recordsBehind == SourceBacklog.UNKNOWN) return "";
        return recordsBehind == 0 ? "; caught up with Kafka" : String.format("; Kafka consumer lag %,d records", recordsBehind);
    }

    @Override
    public void processElement(EvaluatedEvent e, Context ctx, Collector<Candidate> out) {
        read.inc();
        if (e.isDeadLetter()) {
            deadLettered.inc();
            ctx.output(DEAD_LETTERS, DeadLetters.of(e.raw, e.origin, e.position, e.error, Instant.now()));
        } else {
            parsed.inc();
            maxEventTime = Math.max(maxEventTime, e.timestamp);
            for (int i : e.matchedRules == null ? NONE : e.matchedRules) {
                matched.inc();
                String ruleId = ruleIds.get(i);
                out.collect(new Candidate(ruleId, AlertIds.alertId(e.origin, e.position, spaceId, ruleId), e.timestamp,
                        e.origin, e.position, e.raw, e.ignoredFields == null ? new String[0] : e.ignoredFields));
            }
        }
        if ((read.getCount() & (CLOCK_EVERY - 1)) != 0) return;
        long now = System.currentTimeMillis();
        if (now >= nextProgress) {
            nextProgress = now + PROGRESS_EVERY_MS;
            LOG.info("subtask {}: {} events read, {} matches, {} dead letters; event time up to {}{}",
                    getRuntimeContext().getIndexOfThisSubtask(), read.getCount(), matched.getCount(), deadLettered.getCount(),
                    maxEventTime == Long.MIN_VALUE ? "-" : Instant.ofEpochMilli(maxEventTime), backlog(SourceBacklog.current()));
        }
    }
}

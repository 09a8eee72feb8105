package org.smtpdetect.job;

import org.smtpdetect.rule.EvaluatedEvent;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.smtpdetect.connectors.exceptions.ExceptionFilesSource;
import org.smtpdetect.connectors.exceptions.ExceptionsVersion;
import org.smtpdetect.rule.Rule;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The detection graph, independent of connectors: source (parse and evaluate in the reader) -> route matches
 * and dead letters (chained) -> keyBy(rule id) -> Kibana executions -> alert documents. Only matches cross the
 * network. The rule exceptions come from their own source (parallelism 1), broadcast to the executions, which
 * apply the version in force to candidates on arrival and again when an execution fires. Every operator has a
 * stable uid so savepoints survive upgrades.
 */
public final class DetectionTopology {
    public static final String SOURCE_UID = "events-source";
    public static final String ROUTE_UID = "route-matches";
    public static final String EXECUTIONS_UID = "kibana-executions";
    public static final String ALERTS_UID = "alert-documents";
    public static final String STATUS_UID = "status-documents";
    public static final String EXCEPTIONS_SOURCE_UID = "exceptions-source";
    /** Longest a match waits in a network buffer on its way to the executions. */
    static final long MATCH_BUFFER_TIMEOUT_MS = 5;

    private DetectionTopology() {}

    /** The graph with the exceptions read at start-up kept for the whole run (replays: the same answer every time). */
    public static void defineWorkflow(StreamExecutionEnvironment env, Source<EvaluatedEvent, ?, ?> source,
                                      JobSettings settings, Sinks sinks) {
        defineWorkflow(env, source, settings, sinks, false);
    }

    /** @param watchExceptions read the exception files again every poll interval (streaming) */
    public static void defineWorkflow(StreamExecutionEnvironment env, Source<EvaluatedEvent, ?, ?> source,
                                      JobSettings settings, Sinks sinks, boolean watchExceptions) {
        WatermarkStrategy<EvaluatedEvent> watermarks = new CaughtUpIdleness(settings.maxOutOfOrderness(), settings.idleness(),
                settings.caughtUpIdleness());
        DataStream<EvaluatedEvent> events = env.fromSource(source, watermarks, "events").uid(SOURCE_UID);

        List<String> ruleIds = settings.rules().stream().map(Rule::ruleId).collect(Collectors.toList());
        // Only matches cross the network, a sparse stream: its buffers are flushed after at most
        // MATCH_BUFFER_TIMEOUT_MS instead of Flink's 100 ms, which an early alert would otherwise wait.
        SingleOutputStreamOperator<Candidate> candidates = events
                .process(new RouteEvaluated(ruleIds, settings.spaceId()))
                .name(ROUTE_UID).uid(ROUTE_UID)
                .setBufferTimeout(MATCH_BUFFER_TIMEOUT_MS);

        JobSettings.Exceptions exceptions = settings.exceptions();
        ExceptionFilesSource.Settings watched = new ExceptionFilesSource.Settings(exceptions.files(),
                exceptions.valueListDirectory(), exceptions.pollInterval(), settings.rules(), exceptions.initial().digest);
        DataStream<ExceptionsVersion> versions = env
                .fromSource(watchExceptions ? ExceptionFilesSource.watching(watched) : ExceptionFilesSource.fixed(watched),
                        WatermarkStrategy.noWatermarks(), EXCEPTIONS_SOURCE_UID)
                .uid(EXCEPTIONS_SOURCE_UID).setParallelism(1);

        KibanaExecutions executions = new KibanaExecutions(settings.schedules(), settings.earlyAlerts(),
                KibanaExecutions.DEFAULT_ALLOWED_LATENESS, settings.rules(), exceptions.initial());
        SingleOutputStreamOperator<AlertDecision> decisions = candidates
                .keyBy(new ByRule())
                .connect(versions.broadcast())
                .transform(EXECUTIONS_UID, TypeInformation.of(AlertDecision.class), new ExecutionsOperator(executions))
                .name(EXECUTIONS_UID).uid(EXECUTIONS_UID);

        sinks.alerts().attach(decisions
                .map(new AlertDocumentFunction(settings.rules(), settings.spaceId(), settings.kibanaRuleUuids()))
                .name(ALERTS_UID).uid(ALERTS_UID), "alerts");
        sinks.statuses().attach(decisions.getSideOutput(KibanaExecutions.STATUS)
                .map(new StatusDocuments(settings.spaceId()))
                .name(STATUS_UID).uid(STATUS_UID), "execution-status");
        sinks.deadLetters().attach(candidates.getSideOutput(RouteEvaluated.DEAD_LETTERS), "dead-letters");
    }

    /** Executions run per rule, as Kibana runs each rule on its own schedule. */
    static final class ByRule implements KeySelector<Candidate, String> {
        private static final long serialVersionUID = 1L;

        @Override
        public String getKey(Candidate c) {
            return c.ruleId;
        }
    }
}

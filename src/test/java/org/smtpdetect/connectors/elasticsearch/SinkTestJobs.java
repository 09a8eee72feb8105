package org.smtpdetect.connectors.elasticsearch;

import java.time.Duration;
import java.util.List;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.smtpdetect.connectors.SinkDocument;

/** Bounded sink jobs for the ITCases' mini cluster: parallelism 2, checkpoints every 500 ms, at most one restart. */
final class SinkTestJobs {
    private SinkTestJobs() {}

    /** Writes {@code docs}, spread over both subtasks, to {@code sink} and waits for the job to finish. */
    static JobExecutionResult run(List<SinkDocument> docs, ElasticsearchDocumentSink sink, String jobName) throws Exception {
        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 1);
        conf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofMillis(500));
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        env.enableCheckpointing(500);
        env.fromData(SinkDocument.class, docs.toArray(SinkDocument[]::new)).rebalance().addSink(sink).name("elasticsearch");
        return env.execute(jobName);
    }
}

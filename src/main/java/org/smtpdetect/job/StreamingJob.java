package org.smtpdetect.job;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.smtpdetect.config.JobOptions;

/** Kafka in, Elasticsearch out. */
final class StreamingJob {
    private StreamingJob() {}

    static void run(StreamExecutionEnvironment env, JobSettings settings, JobOptions options) throws Exception {
        throw new UnsupportedOperationException("streaming mode is being wired");
    }
}

package org.smtpdetect.job;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchSinkConfig;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchSinks;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchTemplates;
import org.smtpdetect.connectors.elasticsearch.RejectedDocumentHandler;
import org.smtpdetect.connectors.elasticsearch.WriteMode;
import org.smtpdetect.connectors.kafka.KafkaConnectors;
import org.smtpdetect.connectors.kafka.KafkaStartupCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * Kafka in, Elasticsearch out: alerts created if absent under their deterministic id (never duplicated, never
 * overwritten), execution status records indexed, dead letters to a Kafka topic (or an index). Index templates
 * are installed before the job starts, so a cluster that cannot be reached fails the start-up, not the job.
 */
public final class StreamingJob {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingJob.class);

    private StreamingJob() {}

    public static void run(StreamExecutionEnvironment env, JobSettings settings, JobOptions o) throws Exception {
        define(env, settings, o);
        env.execute("SMTP to the Internet");
    }

    /** Builds the streaming graph on {@code env} (installing index templates first) without running it. */
    public static void define(StreamExecutionEnvironment env, JobSettings settings, JobOptions o) {
        KafkaStartupCheck.verify(o);
        ElasticsearchSinkConfig es = elasticsearch(o);
        try {
            LOG.info("Elasticsearch index templates: {}", ElasticsearchTemplates.ensureTemplates(es));
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot install index templates on --es.hosts " + es.hosts + ": " + e.getMessage(), e);
        }
        boolean deadLettersToIndex = !o.text("es.dead-letter-index").isEmpty();
        RejectedDocumentHandler rejected = deadLettersToIndex
                ? SinkRejections.toElasticsearch(es, es.deadLettersIndex)
                : SinkRejections.toKafka(KafkaConnectors.producerProperties(o), o.text("kafka.bootstrap-servers"), o.text("dead-letter.topic"));

        DocumentSink alerts = (docs, name) -> docs.addSink(ElasticsearchSinks.create(es, es.alertsIndex, WriteMode.CREATE, rejected))
                .name("elasticsearch-" + name).uid("elasticsearch-" + name);
        DocumentSink statuses = (docs, name) -> docs.addSink(ElasticsearchSinks.create(es, es.executionsIndex, WriteMode.INDEX, rejected))
                .name("elasticsearch-" + name).uid("elasticsearch-" + name);
        DocumentSink deadLetters = deadLettersToIndex
                ? (docs, name) -> docs.addSink(ElasticsearchSinks.create(es, es.deadLettersIndex, WriteMode.CREATE, RejectedDocumentHandler.LOG_ONLY))
                        .name("elasticsearch-" + name).uid("elasticsearch-" + name)
                // Its own task: chained, the source task's name would pass Flink's 80-character limit (and warn).
                : (docs, name) -> docs.sinkTo(KafkaConnectors.deadLetterSink(o)).name("kafka-" + name).uid("kafka-" + name).disableChaining();

        DetectionTopology.defineWorkflow(env, KafkaConnectors.source(o, settings.rules(), settings.timestampField()),
                settings, new Sinks(alerts, statuses, deadLetters), true);
    }

    /** Elasticsearch settings from the job options. */
    public static ElasticsearchSinkConfig elasticsearch(JobOptions o) {
        ElasticsearchSinkConfig.Builder b = ElasticsearchSinkConfig.builder().hosts(String.join(",", o.list("es.hosts")));
        if (!o.text("es.username").isEmpty()) b.basicAuth(o.text("es.username"), o.text("es.password"));
        if (!o.text("es.api-key").isEmpty()) b.apiKey(o.text("es.api-key"));
        if (!o.text("es.ca-file").isEmpty()) b.caCertificate(Path.of(o.text("es.ca-file")));
        b.bulkMaxActions(o.integer("es.bulk.max-actions"));
        b.bulkFlushIntervalMillis(o.duration("es.bulk.flush-interval").toMillis());
        b.backoff(ElasticsearchSinkConfig.BackoffType.EXPONENTIAL, o.integer("es.bulk.max-retries"), o.duration("es.bulk.backoff-delay").toMillis());
        String deadLetterIndex = o.text("es.dead-letter-index").isEmpty() ? ElasticsearchSinkConfig.DEFAULT_DEAD_LETTERS_INDEX : o.text("es.dead-letter-index");
        return b.indices(o.text("es.alert-index"), o.text("es.status-index"), deadLetterIndex).build();
    }
}

package org.smtpdetect.job;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchClients;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchSinkConfig;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchSinks;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchTemplates;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchVersion;
import org.smtpdetect.connectors.elasticsearch.KibanaAlertsAlias;
import org.smtpdetect.connectors.elasticsearch.RejectedDocumentHandler;
import org.smtpdetect.connectors.elasticsearch.WriteMode;
import org.smtpdetect.connectors.kafka.KafkaConnectors;
import org.smtpdetect.connectors.kafka.KafkaStartupCheck;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;

/**
 * Kafka in, Elasticsearch out: alerts created if absent under their deterministic id (never duplicated, never
 * overwritten), execution status records indexed, dead letters to a Kafka topic (or an index), exactly-once
 * checkpoints ({@link Checkpointing}). Before the job starts, the cluster's version is checked, the index templates
 * are installed and the alert index joins Kibana's alerts alias, so a cluster that cannot be used fails the
 * start-up with one line, not the job.
 */
public final class StreamingJob {
    private static final Logger LOG = LoggerFactory.getLogger(StreamingJob.class);

    private StreamingJob() {}

    public static void run(StreamExecutionEnvironment env, JobSettings settings, JobOptions o) throws Exception {
        Checkpointing.configure(env, o);
        define(env, settings, o);
        env.execute("SMTP to the Internet");
    }

    /**
     * Builds the streaming graph on {@code env} without running it, after the start-up checks and set-up of
     * Elasticsearch ({@link #prepareElasticsearch}).
     */
    public static void define(StreamExecutionEnvironment env, JobSettings settings, JobOptions o) {
        KafkaStartupCheck.verify(o);
        ElasticsearchSinkConfig es = elasticsearch(o);
        prepareElasticsearch(es, settings.spaceId(), o.text("es.kibana-alias").equals("auto"));
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

    /**
     * Checks the cluster (reachable, credentials, version), installs the index templates and joins Kibana's alerts
     * alias. Anything that makes the cluster unusable fails with one line naming the hosts and what to do.
     */
    static void prepareElasticsearch(ElasticsearchSinkConfig es, String spaceId, boolean joinKibana) {
        String hosts = String.join(",", es.hosts);
        try {
            ElasticsearchVersion version = ElasticsearchClients.checkCluster(es);
            LOG.info("Elasticsearch {} runs {}", hosts, version.exact() ? version : version + " (the exact version needs the monitor privilege)");
            LOG.info("Elasticsearch index templates: {}", ElasticsearchTemplates.ensureTemplates(es));
            if (joinKibana) KibanaAlertsAlias.join(es, spaceId);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("cannot set up Elasticsearch " + hosts + ": " + e.getMessage(), e);
        }
    }

    /** Elasticsearch settings from the job options. */
    public static ElasticsearchSinkConfig elasticsearch(JobOptions o) {
        ElasticsearchSinkConfig.Builder b = ElasticsearchSinkConfig.builder().hosts(String.join(",", o.list("es.hosts")));
        if (!o.text("es.username").isEmpty()) b.basicAuth(o.text("es.username"), o.text("es.password"));
        if (!o.text("es.api-key").isEmpty()) b.apiKey(o.text("es.api-key"));
        if (!o.text("es.ca-file").isEmpty()) b.caCertificate(Path.of(o.text("es.ca-file")));
        b.bulkMaxActions(o.integer("es.bulk.max-actions"));
        b.bulkFlushIntervalMillis(o.duration("es.bulk.flush-interval").toMillis());
        b.backoff(ElasticsearchSinkConfig.BackoffType.EXPONENTIAL,
                o.text("es.bulk.max-retries").isEmpty() ? ElasticsearchSinkConfig.UNLIMITED_RETRIES : o.integer("es.bulk.max-retries"),
                o.duration("es.bulk.backoff-delay").toMillis());
        b.maxBackoffMillis(Math.max(o.duration("es.bulk.max-backoff").toMillis(), o.duration("es.bulk.backoff-delay").toMillis()));
        String deadLetterIndex = o.text("es.dead-letter-index").isEmpty() ? ElasticsearchSinkConfig.DEFAULT_DEAD_LETTERS_INDEX : o.text("es.dead-letter-index");
        return b.indices(o.text("es.alert-index"), o.text("es.status-index"), deadLetterIndex).build();
    }
}

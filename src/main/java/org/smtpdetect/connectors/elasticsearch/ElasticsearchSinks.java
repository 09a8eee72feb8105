package org.smtpdetect.connectors.elasticsearch;

import java.util.HashMap;
import java.util.Map;
import org.apache.flink.streaming.connectors.elasticsearch.ElasticsearchSinkBase;

/**
 * Builds the job's Elasticsearch sinks.
 *
 * <pre>{@code
 * ElasticsearchTemplates.ensureTemplates(cfg);   // once, in main(), before execute()
 * alerts.addSink(ElasticsearchSinks.create(cfg, cfg.alertsIndex, WriteMode.CREATE, deadLetters)).name("alerts");
 * statuses.addSink(ElasticsearchSinks.create(cfg, cfg.executionsIndex, WriteMode.INDEX)).name("executions");
 * }</pre>
 */
public final class ElasticsearchSinks {
    private ElasticsearchSinks() {}

    /** A sink to {@code index}; rejected documents are logged at WARN and counted in {@code sinkRejected}. */
    public static ElasticsearchDocumentSink create(ElasticsearchSinkConfig cfg, String index, WriteMode mode) {
        return create(cfg, index, mode, RejectedDocumentHandler.LOG_ONLY);
    }

    /** A sink to {@code index} that also hands documents Elasticsearch rejected to {@code rejected}. */
    public static ElasticsearchDocumentSink create(ElasticsearchSinkConfig cfg, String index, WriteMode mode,
                                                   RejectedDocumentHandler rejected) {
        Map<String, String> bulk = new HashMap<>();
        bulk.put(ElasticsearchSinkBase.CONFIG_KEY_BULK_FLUSH_MAX_ACTIONS, Integer.toString(cfg.bulkMaxActions));
        bulk.put(ElasticsearchSinkBase.CONFIG_KEY_BULK_FLUSH_INTERVAL_MS, Long.toString(cfg.bulkFlushIntervalMillis));
        // Retries are the writer's (RetryQueue), not the bulk processor's.
        bulk.put(ElasticsearchSinkBase.CONFIG_KEY_BULK_FLUSH_BACKOFF_ENABLE, "false");
        return new ElasticsearchDocumentSink(cfg, bulk, new DocumentWriter(cfg, index, mode, rejected));
    }
}

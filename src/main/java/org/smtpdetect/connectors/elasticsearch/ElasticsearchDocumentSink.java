package org.smtpdetect.connectors.elasticsearch;

import java.util.Map;
import org.apache.flink.streaming.connectors.elasticsearch.ElasticsearchSinkBase;
import org.elasticsearch.client.RestHighLevelClient;
import org.smtpdetect.connectors.SinkDocument;

/**
 * Writes {@link SinkDocument}s to one Elasticsearch index (7.11+ or 8.x), at least once: pending bulks are
 * flushed on every checkpoint. Built by {@link ElasticsearchSinks}; add it with {@code stream.addSink(sink)}.
 *
 * <p>It is the connector's {@link ElasticsearchSinkBase} (the SinkFunction sink), not its newer Sink V2
 * {@code Elasticsearch7SinkBuilder} sink, because only this one lets us configure the REST client: the
 * compatibility headers 8.x needs, TLS and API keys (see {@link ElasticsearchClients}).
 */
public final class ElasticsearchDocumentSink extends ElasticsearchSinkBase<SinkDocument, RestHighLevelClient> {
    private static final long serialVersionUID = 1L;

    ElasticsearchDocumentSink(ElasticsearchSinkConfig cfg, Map<String, String> bulkConfig, DocumentWriter writer) {
        super(new ClientBridge(cfg), bulkConfig, writer, writer);
    }
}

package org.smtpdetect.connectors.elasticsearch;

import java.util.Map;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.connectors.elasticsearch.ElasticsearchSinkBase;
import org.elasticsearch.client.RestHighLevelClient;
import org.smtpdetect.connectors.SinkDocument;

/**
 * Writes {@link SinkDocument}s to one Elasticsearch index (7.17, 8.x or 9.x), at least once: a checkpoint completes
 * only when every document the sink received before it has been acknowledged by Elasticsearch, retries included.
 * Built by {@link ElasticsearchSinks}; add it with {@code stream.addSink(sink)}.
 *
 * <p>It is the connector's {@link ElasticsearchSinkBase} (the SinkFunction sink), not its newer Sink V2
 * {@code Elasticsearch7SinkBuilder} sink, because only this one lets us supply the REST client and the bulk call
 * (see {@link ClientBridge}). Its bulk processor, flush on checkpoint and failure handler are kept; the one thing
 * added is that the checkpoint flush also waits for documents scheduled for a retry ({@link RetryQueue}), which
 * the base class does not know about.
 */
public final class ElasticsearchDocumentSink extends ElasticsearchSinkBase<SinkDocument, RestHighLevelClient> {
    private static final long serialVersionUID = 1L;

    private final DocumentWriter writer;

    ElasticsearchDocumentSink(ElasticsearchSinkConfig cfg, Map<String, String> bulkConfig, DocumentWriter writer) {
        super(new ClientBridge(cfg, writer), bulkConfig, writer, writer);
        this.writer = writer;
    }

    /**
     * Flushes the bulk processor until nothing is pending (the base class) and repeats while documents wait for a
     * retry, so that the checkpoint, and the Kafka offsets it commits, never covers an alert Elasticsearch has not
     * acknowledged. During an outage this blocks the checkpoint until the nodes are back; Flink's checkpoint timeout
     * then fails it, which is what must happen.
     */
    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        for (;;) {
            super.snapshotState(context);
            if (writer.retries().waiting() == 0) return;
            writer.retries().awaitNoneScheduled();
        }
    }
}

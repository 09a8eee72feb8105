package org.smtpdetect.connectors.elasticsearch;

import java.util.concurrent.atomic.AtomicLong;
import org.apache.flink.streaming.connectors.elasticsearch.ElasticsearchApiCallBridge;
import org.apache.flink.streaming.connectors.elasticsearch.ElasticsearchSinkBase;
import org.apache.flink.streaming.connectors.elasticsearch.RequestIndexer;
import org.elasticsearch.action.DocWriteRequest;
import org.elasticsearch.action.bulk.BackoffPolicy;
import org.elasticsearch.action.bulk.BulkItemResponse;
import org.elasticsearch.action.bulk.BulkProcessor;
import org.elasticsearch.action.delete.DeleteRequest;
import org.elasticsearch.action.index.IndexRequest;
import org.elasticsearch.action.update.UpdateRequest;
import org.elasticsearch.client.RestHighLevelClient;
import org.elasticsearch.common.unit.TimeValue;

/**
 * The connector's call bridge with our client: our REST client configuration, bulks sent by {@link RestBulkCall}
 * (plain JSON, any of 7.17, 8.x and 9.x), and retries left to the {@link DocumentWriter}'s {@link RetryQueue}
 * rather than the bulk processor's own backoff (which only retries 429 items and blocks the flushing thread
 * meanwhile). The high-level client is only the connector's handle on the low-level one.
 *
 * <p>It also hands the writer what the connector creates in {@code open()}: the REST client (for the retry timer
 * and the outage monitor) and the sink's request indexer (so retries count as pending for the checkpoint flush).
 * The bridge and the writer travel in one serialized sink, so they stay linked in the task.
 */
final class ClientBridge implements ElasticsearchApiCallBridge<RestHighLevelClient> {
    private static final long serialVersionUID = 1L;

    private final ElasticsearchSinkConfig cfg;
    private final DocumentWriter writer;

    ClientBridge(ElasticsearchSinkConfig cfg, DocumentWriter writer) {
        this.cfg = cfg;
        this.writer = writer;
    }

    @Override
    public RestHighLevelClient createClient() {
        RestHighLevelClient client = new RestHighLevelClient(ElasticsearchClients.restClientBuilder(cfg));
        writer.start(client.getLowLevelClient());
        return client;
    }

    @Override
    public BulkProcessor.Builder createBulkProcessorBuilder(RestHighLevelClient client, BulkProcessor.Listener listener) {
        return BulkProcessor.builder(new RestBulkCall(client.getLowLevelClient(), writer.monitor(), writer.retries()), listener);
    }

    @Override
    public Throwable extractFailureCauseFromBulkItemResponse(BulkItemResponse item) {
        return item.isFailed() ? item.getFailure().getCause() : null;
    }

    @Override
    public void configureBulkProcessorFlushInterval(BulkProcessor.Builder builder, long flushIntervalMillis) {
        builder.setFlushInterval(TimeValue.timeValueMillis(flushIntervalMillis));
    }

    @Override
    public void configureBulkProcessorBackoff(BulkProcessor.Builder builder, ElasticsearchSinkBase.BulkFlushBackoffPolicy policy) {
        builder.setBackoffPolicy(BackoffPolicy.noBackoff());
    }

    /**
     * Nothing to check here: the job checks the cluster once at start-up ({@link ElasticsearchClients#checkCluster}),
     * and a subtask that (re)starts during an outage must wait for the nodes, not fail the job again.
     */
    @Override
    public void verifyClientConnection(RestHighLevelClient client) {}

    @Override
    public RequestIndexer createBulkProcessorIndexer(BulkProcessor bulkProcessor, boolean flushOnCheckpoint, AtomicLong pending) {
        RequestIndexer indexer = new RequestIndexer() {
            @Override
            public void add(DeleteRequest... requests) {
                addAll(requests);
            }

            @Override
            public void add(IndexRequest... requests) {
                addAll(requests);
            }

            @Override
            public void add(UpdateRequest... requests) {
                addAll(requests);
            }

            private void addAll(DocWriteRequest<?>[] requests) {
                for (DocWriteRequest<?> r : requests) {
                    if (flushOnCheckpoint) pending.getAndIncrement();
                    bulkProcessor.add(r);
                }
            }
        };
        writer.attach(indexer);
        return indexer;
    }
}

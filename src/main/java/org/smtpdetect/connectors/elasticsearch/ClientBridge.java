package org.smtpdetect.connectors.elasticsearch;

import java.io.IOException;
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
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RequestOptions;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestHighLevelClient;
import org.elasticsearch.common.unit.TimeValue;

/**
 * The connector's 7.x call bridge, with our client configuration and a start-up check that does not depend on
 * {@code HEAD /}: that needs the {@code monitor} privilege a least-privilege writer key lacks, and Elasticsearch
 * builds without the root endpoint (the 8.x integ-test distribution) answer it with 405.
 */
final class ClientBridge implements ElasticsearchApiCallBridge<RestHighLevelClient> {
    private static final long serialVersionUID = 1L;

    private final ElasticsearchSinkConfig cfg;

    ClientBridge(ElasticsearchSinkConfig cfg) {
        this.cfg = cfg;
    }

    @Override
    public RestHighLevelClient createClient() {
        return new RestHighLevelClient(ElasticsearchClients.restClientBuilder(cfg));
    }

    @Override
    public BulkProcessor.Builder createBulkProcessorBuilder(RestHighLevelClient client, BulkProcessor.Listener listener) {
        return BulkProcessor.builder((request, done) -> client.bulkAsync(request, RequestOptions.DEFAULT, done), listener);
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
        if (policy == null) {
            builder.setBackoffPolicy(BackoffPolicy.noBackoff());
            return;
        }
        TimeValue delay = TimeValue.timeValueMillis(policy.getDelayMillis());
        builder.setBackoffPolicy(policy.getBackoffType() == ElasticsearchSinkBase.FlushBackoffType.CONSTANT
                ? BackoffPolicy.constantBackoff(delay, policy.getMaxRetryCount())
                : BackoffPolicy.exponentialBackoff(delay, policy.getMaxRetryCount()));
    }

    /** Fails on unreachable nodes, rejected credentials and server errors; any other answer means reachable. */
    @Override
    public void verifyClientConnection(RestHighLevelClient client) throws IOException {
        int status;
        try {
            status = client.getLowLevelClient().performRequest(new Request("HEAD", "/")).getStatusLine().getStatusCode();
        } catch (ResponseException e) {
            status = e.getResponse().getStatusLine().getStatusCode();
        }
        if (status == 401) throw new IOException("Elasticsearch " + cfg.hosts + " rejected the credentials (401)");
        if (status >= 500) throw new IOException("Elasticsearch " + cfg.hosts + " answered " + status);
    }

    @Override
    public RequestIndexer createBulkProcessorIndexer(BulkProcessor bulkProcessor, boolean flushOnCheckpoint, AtomicLong pending) {
        return new RequestIndexer() {
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
    }
}

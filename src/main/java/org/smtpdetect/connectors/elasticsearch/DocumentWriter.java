package org.smtpdetect.connectors.elasticsearch;

import java.io.IOException;
import java.util.Collections;
import java.util.Map;
import java.util.WeakHashMap;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.ThreadSafeSimpleCounter;
import org.apache.flink.streaming.connectors.elasticsearch.ActionRequestFailureHandler;
import org.apache.flink.streaming.connectors.elasticsearch.ElasticsearchSinkFunction;
import org.apache.flink.streaming.connectors.elasticsearch.RequestIndexer;
import org.elasticsearch.ElasticsearchStatusException;
import org.elasticsearch.action.ActionRequest;
import org.elasticsearch.action.DocWriteRequest;
import org.elasticsearch.action.index.IndexRequest;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.common.xcontent.XContentType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.smtpdetect.connectors.SinkDocument;

/**
 * Turns {@link SinkDocument}s into index requests and decides what a failed request means. The same instance is
 * the sink's function and its failure handler (they are serialized together, so they stay one object in the
 * task and share the metrics registered in {@link #open(RuntimeContext)}):
 *
 * <ul>
 *   <li>409 on a {@link WriteMode#CREATE}: the document exists, i.e. it was written before. Counted in
 *       {@code sinkDuplicates}, not an error.
 *   <li>429, 5xx, connection failures: retried up to the configured backoff retries with the backoff delay
 *       (counted in {@code sinkRetried}); after that the sink fails and Flink restarts the job from its last
 *       checkpoint, which {@link WriteMode#CREATE} makes safe to replay.
 *   <li>Other item failures (mapping errors, bad requests) and documents without the id CREATE needs: logged at
 *       WARN, counted in {@code sinkRejected} and handed to the {@link RejectedDocumentHandler}; the job goes on.
 *   <li>A whole bulk refused for other reasons (401/403, unparseable response): fails the sink.
 * </ul>
 */
final class DocumentWriter implements ElasticsearchSinkFunction<SinkDocument>, ActionRequestFailureHandler {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DocumentWriter.class);
    private static final long MAX_BACKOFF_MILLIS = 60_000;

    private final String index;
    private final WriteMode mode;
    private final ElasticsearchSinkConfig.BackoffType backoffType;
    private final int maxRetries;
    private final long backoffDelayMillis;
    private final RejectedDocumentHandler rejectedHandler;

    private transient Counter rejected;
    private transient Counter duplicates;
    private transient Counter retried;
    /** Retries per request; weak, so a request forgets its count once written. */
    private transient Map<ActionRequest, Integer> attempts;

    DocumentWriter(ElasticsearchSinkConfig cfg, String index, WriteMode mode, RejectedDocumentHandler rejectedHandler) {
        this.index = index;
        this.mode = mode;
        this.backoffType = cfg.backoffType;
        this.maxRetries = cfg.backoffType == ElasticsearchSinkConfig.BackoffType.NONE ? 0 : cfg.backoffRetries;
        this.backoffDelayMillis = cfg.backoffDelayMillis;
        this.rejectedHandler = rejectedHandler;
    }

    @Override
    public void open(RuntimeContext ctx) {
        MetricGroup metrics = ctx.getMetricGroup();
        rejected = metrics.counter("sinkRejected", new ThreadSafeSimpleCounter());
        duplicates = metrics.counter("sinkDuplicates", new ThreadSafeSimpleCounter());
        retried = metrics.counter("sinkRetried", new ThreadSafeSimpleCounter());
        attempts = Collections.synchronizedMap(new WeakHashMap<>());
    }

    @Override
    public void process(SinkDocument doc, RuntimeContext ctx, RequestIndexer indexer) {
        IndexRequest request = new IndexRequest(index).source(doc.json, XContentType.JSON);
        if (mode == WriteMode.CREATE) {
            if (doc.id == null || doc.id.isEmpty()) {
                reject(new RejectedDocument(index, null, doc.json, -1, "CREATE needs a document id"));
                return;
            }
            request.id(doc.id).opType(DocWriteRequest.OpType.CREATE);
        } else if (doc.id != null) {
            request.id(doc.id);
        }
        indexer.add(request);
    }

    @Override
    public void onFailure(ActionRequest action, Throwable failure, int itemStatus, RequestIndexer indexer) throws Throwable {
        IndexRequest request = (IndexRequest) action;
        int status = itemStatus >= 0 ? itemStatus : httpStatus(failure);
        if (status == 409 && request.opType() == DocWriteRequest.OpType.CREATE) {
            duplicates.inc();
            return;
        }
        boolean connectionFailure = itemStatus < 0 && status < 0 && hasCause(failure, IOException.class);
        if (status == 429 || status >= 500 || connectionFailure) {
            int attempt = attempts.merge(request, 1, Integer::sum);
            if (attempt > maxRetries) {
                throw new IOException("Elasticsearch write to " + index + " still failing after " + maxRetries + " retries", failure);
            }
            retried.inc();
            Thread.sleep(backoffMillis(attempt));
            indexer.add(request);
            return;
        }
        if (itemStatus < 0) {
            // The whole bulk was refused (credentials, privileges, a response the client cannot read): not the document's fault.
            throw failure;
        }
        reject(new RejectedDocument(index, request.id(), request.source().utf8ToString(), status, String.valueOf(failure.getMessage())));
    }

    private void reject(RejectedDocument doc) {
        rejected.inc();
        LOG.warn("Elasticsearch rejected document {} for {} (status {}): {}", doc.id, doc.index, doc.status, doc.reason);
        try {
            rejectedHandler.onRejected(doc);
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("rejected-document handler failed for " + doc, e);
        }
    }

    private long backoffMillis(int attempt) {
        long delay = backoffType == ElasticsearchSinkConfig.BackoffType.EXPONENTIAL
                ? backoffDelayMillis << Math.min(attempt - 1, 20) : backoffDelayMillis;
        return Math.min(delay, MAX_BACKOFF_MILLIS);
    }

    /** The HTTP status behind a bulk-level failure, or -1 when there was no response. */
    private static int httpStatus(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof ElasticsearchStatusException) return ((ElasticsearchStatusException) t).status().getStatus();
            if (t instanceof ResponseException) return ((ResponseException) t).getResponse().getStatusLine().getStatusCode();
        }
        return -1;
    }

    private static boolean hasCause(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) return true;
        }
        return false;
    }
}

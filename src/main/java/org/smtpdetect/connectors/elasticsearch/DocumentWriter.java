package org.smtpdetect.connectors.elasticsearch;

import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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
import org.elasticsearch.client.RestClient;
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
 *   <li>429, 5xx, connection failures: re-sent by the {@link RetryQueue}'s timer after an exponential backoff
 *       (counted in {@code sinkRetried}), without limit by default; with a limit, the sink fails after it and
 *       Flink restarts the job from its last checkpoint, which {@link WriteMode#CREATE} makes safe to replay.
 *       The {@link OutageMonitor} logs the outage once and re-sends everything as soon as the nodes answer.
 *   <li>Other item failures (mapping errors, bad requests) and documents without the id CREATE needs: logged at
 *       WARN, counted in {@code sinkRejected} and handed to the {@link RejectedDocumentHandler}; the job goes on.
 *   <li>A whole bulk refused for other reasons (401/403, unparseable response): fails the sink.
 * </ul>
 */
final class DocumentWriter implements ElasticsearchSinkFunction<SinkDocument>, ActionRequestFailureHandler {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DocumentWriter.class);
    /** How often unreachable nodes are asked whether they answer again. */
    static final long PROBE_INTERVAL_MILLIS = 1000;

    private final String index;
    private final WriteMode mode;
    private final String target;
    private final int maxRetries;
    private final long backoffDelayMillis;
    private final long maxBackoffMillis;
    private final RejectedDocumentHandler rejectedHandler;

    private transient Counter rejected;
    private transient Counter duplicates;
    private transient Counter retried;
    private transient ScheduledExecutorService timer;
    private transient OutageMonitor monitor;
    private transient RetryQueue retries;
    /** The sink's own indexer (counts pending requests for the checkpoint flush); set once the processor exists. */
    private transient volatile RequestIndexer liveIndexer;

    DocumentWriter(ElasticsearchSinkConfig cfg, String index, WriteMode mode, RejectedDocumentHandler rejectedHandler) {
        this.index = index;
        this.mode = mode;
        this.target = String.join(",", cfg.hosts) + " (" + index + ")";
        this.maxRetries = cfg.backoffType == ElasticsearchSinkConfig.BackoffType.NONE ? 0 : cfg.backoffRetries;
        this.backoffDelayMillis = cfg.backoffType == ElasticsearchSinkConfig.BackoffType.NONE ? 0 : cfg.backoffDelayMillis;
        this.maxBackoffMillis = cfg.backoffType == ElasticsearchSinkConfig.BackoffType.CONSTANT ? cfg.backoffDelayMillis : cfg.maxBackoffMillis;
        this.rejectedHandler = rejectedHandler;
    }

    /**
     * Called by the call bridge when the sink creates its client: the retry timer and the outage monitor. Two timer
     * threads: handing a document back to the bulk processor can block while another thread flushes a bulk, and the
     * probe that ends an outage must not wait behind it.
     */
    void start(RestClient client) {
        ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(2, r -> {
            Thread t = Executors.defaultThreadFactory().newThread(r);
            t.setName("elasticsearch-retry-" + index);
            t.setDaemon(true);
            return t;
        });
        executor.setRemoveOnCancelPolicy(true);
        timer = executor;
        monitor = new OutageMonitor(target, client, timer, PROBE_INTERVAL_MILLIS, maxBackoffMillis);
        retries = new RetryQueue(RetryQueue.Timer.of(timer), this::resend, maxRetries, backoffDelayMillis, maxBackoffMillis);
        monitor.watch(retries);
    }

    /** Called by the call bridge once the sink's bulk processor and its indexer exist. */
    void attach(RequestIndexer indexer) {
        this.liveIndexer = indexer;
    }

    OutageMonitor monitor() {
        return monitor;
    }

    RetryQueue retries() {
        return retries;
    }

    private void resend(DocWriteRequest<?> request) {
        liveIndexer.add((IndexRequest) request);
    }

    @Override
    public void open(RuntimeContext ctx) {
        MetricGroup metrics = ctx.getMetricGroup();
        rejected = metrics.counter("sinkRejected", new ThreadSafeSimpleCounter());
        duplicates = metrics.counter("sinkDuplicates", new ThreadSafeSimpleCounter());
        retried = metrics.counter("sinkRetried", new ThreadSafeSimpleCounter());
        metrics.gauge("sinkWaitingRetries", () -> retries == null ? 0 : retries.waiting());
    }

    @Override
    public void close() {
        if (retries == null) return;
        int dropped = retries.close();
        timer.shutdownNow();
        if (dropped > 0) {
            LOG.warn("Elasticsearch sink {} closed with {} documents waiting to be retried; they are written again when the job"
                    + " resumes from its last checkpoint", target, dropped);
        }
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
    public void onFailure(ActionRequest action, Throwable failure, int itemStatus, RequestIndexer ignored) throws Throwable {
        IndexRequest request = (IndexRequest) action;
        int status = itemStatus >= 0 ? itemStatus : httpStatus(failure);
        boolean connectionFailure = itemStatus < 0 && status < 0 && hasCause(failure, IOException.class);
        if (status == 429 || status >= 500 || connectionFailure) {
            retries.schedule(request, failure);
            retried.inc();
            return;
        }
        retries.settled(request);
        if (status == 409 && request.opType() == DocWriteRequest.OpType.CREATE) {
            duplicates.inc();
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

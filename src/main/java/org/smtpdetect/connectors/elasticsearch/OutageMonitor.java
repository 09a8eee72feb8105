package org.smtpdetect.connectors.elasticsearch;

import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.apache.http.HttpHost;
import org.elasticsearch.action.bulk.BulkItemResponse;
import org.elasticsearch.action.bulk.BulkResponse;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.ResponseListener;
import org.elasticsearch.client.RestClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says in one line when Elasticsearch stops taking documents and in one line when it is back, and gets the waiting
 * documents sent promptly once it is: while the nodes are unreachable it asks them every probe interval whether they
 * answer (any HTTP answer will do, even 401 or 405), and the first answer re-sends everything waiting instead of
 * leaving it to backoffs that may have grown to their cap.
 *
 * <p>An outage starts with a bulk that could not be sent (connection refused, timeout, TLS) or that was refused as a
 * whole with 429 or 5xx, or whose every item failed with 429 or 5xx. It ends when the documents that waited through
 * it are all settled; the INFO line says how long it lasted and how many were written since the nodes answered.
 */
final class OutageMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(OutageMonitor.class);

    private final String target;
    private final RestClient client;
    private final ScheduledExecutorService timer;
    private final long probeIntervalMillis;
    private final long maxBackoffMillis;
    private volatile RetryQueue retries;

    private final Object lock = new Object();
    /** Non-null while an outage lasts. */
    private Instant downSince;
    private String cause;
    private long writtenSinceAnswering;
    private ScheduledFuture<?> probe;

    OutageMonitor(String target, RestClient client, ScheduledExecutorService timer, long probeIntervalMillis, long maxBackoffMillis) {
        this.target = target;
        this.client = client;
        this.timer = timer;
        this.probeIntervalMillis = probeIntervalMillis;
        this.maxBackoffMillis = maxBackoffMillis;
    }

    void watch(RetryQueue retries) {
        this.retries = retries;
    }

    /** A bulk was not answered with a bulk response (its documents are scheduled again by now). */
    void bulkFailed(Exception e) {
        int status = e instanceof ResponseException ? ((ResponseException) e).getResponse().getStatusLine().getStatusCode() : -1;
        if (status == -1 && e instanceof IOException) {
            outage("unreachable: " + describe(e), true);
        } else if (status == 429 || status >= 500) {
            outage("refusing bulk requests: HTTP " + status, false);
        }
    }

    /** A bulk was answered; items failing with 429 or 5xx are retried, the rest settle. */
    void bulkAnswered(BulkResponse response) {
        int written = 0;
        int transientFailures = 0;
        for (BulkItemResponse item : response.getItems()) {
            if (!item.isFailed()) {
                written++;
            } else {
                int s = item.getFailure().getStatus().getStatus();
                if (s == 429 || s >= 500) transientFailures++;
            }
        }
        if (written == 0 && transientFailures > 0) {
            outage("refusing documents: HTTP " + statusOfFirstFailure(response), false);
        } else {
            // With some items still refused the outage is not over, even if none waited before this bulk.
            answered(written, transientFailures == 0);
        }
    }

    private static int statusOfFirstFailure(BulkResponse response) {
        for (BulkItemResponse item : response.getItems()) {
            if (item.isFailed()) return item.getFailure().getStatus().getStatus();
        }
        return 0;
    }

    private void outage(String why, boolean unreachable) {
        synchronized (lock) {
            if (unreachable) startProbing();
            if (downSince != null) return;
            downSince = Instant.now();
            cause = why;
        }
        int waiting = retries == null ? 0 : retries.waiting();
        LOG.warn("Elasticsearch {} {}; retrying (backoff up to {} s), {} documents waiting", target, why,
                Duration.ofMillis(maxBackoffMillis).toSeconds(), waiting);
    }

    private void answered(int written, boolean mayBeOver) {
        Duration outage;
        long total;
        String was;
        synchronized (lock) {
            if (downSince == null) return;
            stopProbing();
            writtenSinceAnswering += written;
            if (!mayBeOver || retries != null && retries.waiting() > 0) return;
            outage = Duration.between(downSince, Instant.now());
            total = writtenSinceAnswering;
            was = cause;
            downSince = null;
            cause = null;
            writtenSinceAnswering = 0;
        }
        LOG.info("Elasticsearch {} is back after {} s ({}); {} documents written since, none waiting", target,
                String.format("%.1f", outage.toMillis() / 1000.0), was, total);
    }

    boolean isDown() {
        synchronized (lock) {
            return downSince != null;
        }
    }

    private void startProbing() {
        if (probe != null || timer.isShutdown()) return;
        probe = timer.scheduleWithFixedDelay(this::probeOnce, probeIntervalMillis, probeIntervalMillis, TimeUnit.MILLISECONDS);
    }

    private void stopProbing() {
        if (probe != null) {
            probe.cancel(false);
            probe = null;
        }
    }

    private void probeOnce() {
        try {
            probeAsync();
        } catch (RuntimeException e) {
            // A periodic task that throws is never run again; the next probe must still happen.
            LOG.debug("probe of {} could not be sent: {}", target, e.toString());
        }
    }

    private void probeAsync() {
        client.performRequestAsync(new Request("HEAD", "/"), new ResponseListener() {
            @Override
            public void onSuccess(Response response) {
                nodesAnswer(response.getHost());
            }

            @Override
            public void onFailure(Exception e) {
                LOG.debug("probe of {} failed: {}", target, e.toString());
                if (e instanceof ResponseException) nodesAnswer(((ResponseException) e).getResponse().getHost());
            }
        });
    }

    private void nodesAnswer(HttpHost host) {
        synchronized (lock) {
            if (probe == null) return;
            stopProbing();
        }
        RetryQueue r = retries;
        int resent = r == null ? 0 : r.resendNow();
        LOG.debug("Elasticsearch {} answers again; re-sending {} waiting documents now", host, resent);
    }

    private static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        if (root instanceof ConnectException) return "connection refused";
        String msg = root.getMessage();
        return root.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
    }
}

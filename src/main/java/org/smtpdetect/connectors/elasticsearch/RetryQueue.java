package org.smtpdetect.connectors.elasticsearch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.elasticsearch.action.DocWriteRequest;

/**
 * Documents waiting to be sent again after a transient failure (unreachable, 429, 5xx). Each is re-sent by a timer
 * as soon as its backoff has passed, whether or not another record or checkpoint arrives; nothing sleeps on the
 * HTTP client's threads. The backoff doubles per attempt from the base delay up to the cap, with a little jitter so
 * that the subtasks of a job do not retry in lockstep. {@link #resendNow()} sends every waiting document at once,
 * which the {@link OutageMonitor} does as soon as an unreachable node answers again.
 *
 * <p>A document counts as {@linkplain #waiting() waiting} from its first transient failure until an answer settles it
 * (written, already there, or rejected for good), so a checkpoint can wait for all of them
 * ({@link ElasticsearchDocumentSink#snapshotState}).
 */
final class RetryQueue {
    /** Runs a task once after a delay; a {@link ScheduledExecutorService} in the sink, a manual clock in tests. */
    @FunctionalInterface
    interface Timer {
        Future<?> schedule(Runnable task, long delayMillis);

        static Timer of(ScheduledExecutorService executor) {
            return (task, delayMillis) -> executor.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    private final Timer timer;
    private final Consumer<DocWriteRequest<?>> resend;
    private final int maxRetries;
    private final long baseDelayMillis;
    private final long maxDelayMillis;

    private final Object lock = new Object();
    /** Failed attempts per waiting document (identity: one request object per document). */
    private final Map<DocWriteRequest<?>, Integer> attempts = new IdentityHashMap<>();
    private final Map<DocWriteRequest<?>, Future<?>> scheduled = new IdentityHashMap<>();
    /** Taken off {@link #scheduled} and being handed to the bulk processor (outside the lock: that may send a bulk). */
    private int handingOver;
    private boolean closed;

    /**
     * @param resend hands a document back to the bulk processor (counted as pending there)
     * @param maxRetries retries of one document before {@link #schedule} throws, or
     *     {@link ElasticsearchSinkConfig#UNLIMITED_RETRIES}
     */
    RetryQueue(Timer timer, Consumer<DocWriteRequest<?>> resend, int maxRetries, long baseDelayMillis,
               long maxDelayMillis) {
        this.timer = timer;
        this.resend = resend;
        this.maxRetries = maxRetries;
        this.baseDelayMillis = baseDelayMillis;
        this.maxDelayMillis = maxDelayMillis;
    }

    /** Schedules the next attempt of {@code request}; throws once it has failed more than the allowed retries. */
    void schedule(DocWriteRequest<?> request, Throwable failure) throws IOException {
        synchronized (lock) {
            if (closed) return;
            int attempt = attempts.merge(request, 1, Integer::sum);
            if (maxRetries != ElasticsearchSinkConfig.UNLIMITED_RETRIES && attempt > maxRetries) {
                attempts.remove(request);
                throw new IOException("Elasticsearch write to " + request.index() + " still failing after " + maxRetries
                        + " retries: " + failure.getMessage(), failure);
            }
            long delay = delayMillis(attempt);
            scheduled.put(request, timer.schedule(() -> fire(request), delay));
        }
    }

    /** Exponential from the base delay, capped, with up to 10% jitter below the value. */
    long delayMillis(int attempt) {
        long exponential = attempt >= 63 ? Long.MAX_VALUE : baseDelayMillis << Math.min(attempt - 1, 40);
        long capped = Math.min(exponential < 0 ? Long.MAX_VALUE : exponential, maxDelayMillis);
        return capped - (long) (capped * 0.1 * ThreadLocalRandom.current().nextDouble());
    }

    private void fire(DocWriteRequest<?> request) {
        synchronized (lock) {
            if (closed || scheduled.remove(request) == null) return;
            handingOver++;
        }
        handOver(List.of(request));
    }

    /** Sends every scheduled document now and restarts their backoff from the base delay. */
    int resendNow() {
        List<DocWriteRequest<?>> due;
        synchronized (lock) {
            if (closed) return 0;
            due = new ArrayList<>(scheduled.keySet());
            for (DocWriteRequest<?> r : due) {
                scheduled.remove(r).cancel(false);
                attempts.put(r, 0);
            }
            handingOver += due.size();
        }
        handOver(due);
        return due.size();
    }

    private void handOver(List<DocWriteRequest<?>> requests) {
        try {
            for (DocWriteRequest<?> r : requests) resend.accept(r);
        } finally {
            synchronized (lock) {
                handingOver -= requests.size();
                lock.notifyAll();
            }
        }
    }

    /** {@code request} was answered for good (written, a duplicate, or rejected): it no longer waits. */
    void settled(DocWriteRequest<?> request) {
        synchronized (lock) {
            if (attempts.remove(request) != null) lock.notifyAll();
        }
    }

    /** Whether {@code request} failed before and is being retried. */
    boolean isRetry(DocWriteRequest<?> request) {
        synchronized (lock) {
            return attempts.containsKey(request);
        }
    }

    /** Documents that failed transiently and are not written yet (scheduled or re-sent and unanswered). */
    int waiting() {
        synchronized (lock) {
            return attempts.size();
        }
    }

    /** Blocks until no document is scheduled (each one handed to the bulk processor), or the thread is interrupted. */
    void awaitNoneScheduled() throws InterruptedException {
        synchronized (lock) {
            while (!closed && (!scheduled.isEmpty() || handingOver > 0)) lock.wait(1000);
        }
    }

    /** Drops every waiting document; returns how many there were. */
    int close() {
        synchronized (lock) {
            closed = true;
            scheduled.values().forEach(f -> f.cancel(false));
            scheduled.clear();
            int dropped = attempts.size();
            attempts.clear();
            lock.notifyAll();
            return dropped;
        }
    }
}

package org.smtpdetect.connectors.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.elasticsearch.action.DocWriteRequest;
import org.elasticsearch.action.index.IndexRequest;
import org.junit.jupiter.api.Test;

class RetryQueueTest {
    /** Tasks with their delays, run when the test says so. */
    static final class ManualTimer implements RetryQueue.Timer {
        record Task(Runnable run, long delayMillis, CompletableFuture<Void> handle) {}

        final List<Task> tasks = new ArrayList<>();

        @Override
        public synchronized Future<?> schedule(Runnable task, long delayMillis) {
            Task t = new Task(task, delayMillis, new CompletableFuture<>());
            tasks.add(t);
            return t.handle();
        }

        /** Runs every task not cancelled; returns how many ran. */
        int runAll() {
            List<Task> due;
            synchronized (this) {
                due = new ArrayList<>(tasks);
                tasks.clear();
            }
            int ran = 0;
            for (Task t : due) {
                if (!t.handle().isCancelled()) {
                    t.run().run();
                    ran++;
                }
            }
            return ran;
        }

        synchronized long lastDelay() {
            return tasks.get(tasks.size() - 1).delayMillis();
        }
    }

    private final ManualTimer timer = new ManualTimer();
    private final List<DocWriteRequest<?>> resent = new ArrayList<>();

    private RetryQueue queue(int maxRetries) {
        return new RetryQueue(timer, resent::add, maxRetries, 200, 30_000);
    }

    private static IndexRequest doc(String id) {
        return new IndexRequest("alerts").id(id).source("{}", org.elasticsearch.common.xcontent.XContentType.JSON);
    }

    @Test
    void backoffDoublesFromTheBaseDelayUpToTheCapWithJitterBelow() {
        RetryQueue q = queue(ElasticsearchSinkConfig.UNLIMITED_RETRIES);
        for (int attempt = 1; attempt <= 70; attempt++) {
            long nominal = Math.min(200L << Math.min(attempt - 1, 40), 30_000);
            for (int i = 0; i < 20; i++) {
                assertThat(q.delayMillis(attempt)).as("attempt %d", attempt).isBetween((long) (nominal * 0.9), nominal);
            }
        }
        assertThat(q.delayMillis(8)).isGreaterThan(20_000).isLessThanOrEqualTo(25_600);
    }

    @Test
    void aFailedDocumentIsSentAgainByTheTimerWithoutAnyOtherTraffic() throws IOException {
        RetryQueue q = queue(ElasticsearchSinkConfig.UNLIMITED_RETRIES);
        IndexRequest a = doc("a");
        q.schedule(a, new IOException("connection refused"));
        assertThat(q.waiting()).isEqualTo(1);
        assertThat(resent).isEmpty();
        assertThat(timer.lastDelay()).isBetween(180L, 200L);

        assertThat(timer.runAll()).isEqualTo(1);
        assertThat(resent).containsExactly(a);
        assertThat(q.waiting()).as("still waiting for its answer").isEqualTo(1);

        q.schedule(a, new IOException("connection refused"));
        assertThat(timer.lastDelay()).as("second attempt").isBetween(360L, 400L);
        timer.runAll();
        q.settled(a);
        assertThat(q.waiting()).isZero();
        assertThat(q.isRetry(a)).isFalse();
    }

    @Test
    void resendNowSendsEverythingScheduledAtOnceAndRestartsTheBackoff() throws IOException {
        RetryQueue q = queue(ElasticsearchSinkConfig.UNLIMITED_RETRIES);
        IndexRequest a = doc("a");
        IndexRequest b = doc("b");
        for (int i = 0; i < 10; i++) {
            q.schedule(a, new IOException("refused"));
            timer.runAll();
        }
        q.schedule(a, new IOException("refused"));
        q.schedule(b, new IOException("refused"));
        resent.clear();
        assertThat(timer.lastDelay()).isGreaterThan(100);

        assertThat(q.resendNow()).isEqualTo(2);
        assertThat(resent).containsExactlyInAnyOrder(a, b);
        assertThat(timer.runAll()).as("their timers were cancelled").isZero();
        q.schedule(a, new IOException("refused"));
        assertThat(timer.lastDelay()).as("back to the base delay").isBetween(180L, 200L);
    }

    @Test
    void aLimitedQueueGivesUpAfterItsRetries() throws IOException {
        RetryQueue q = queue(2);
        IndexRequest a = doc("a");
        q.schedule(a, new IOException("refused"));
        q.schedule(a, new IOException("refused"));
        assertThatThrownBy(() -> q.schedule(a, new IOException("refused")))
                .isInstanceOf(IOException.class).hasMessageContaining("still failing after 2 retries").hasMessageContaining("refused");
        assertThat(q.waiting()).isZero();
    }

    @Test
    void awaitNoneScheduledReturnsOnceEveryRetryIsHandedOver() throws Exception {
        RetryQueue q = queue(ElasticsearchSinkConfig.UNLIMITED_RETRIES);
        q.schedule(doc("a"), new IOException("refused"));
        CompletableFuture<Void> waiter = CompletableFuture.runAsync(() -> {
            try {
                q.awaitNoneScheduled();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        assertThat(waiter).isNotDone();
        timer.runAll();
        waiter.get(5, TimeUnit.SECONDS);
        assertThat(resent).hasSize(1);
    }

    @Test
    void closingDropsWhatWaitsAndStopsTheTimers() throws IOException {
        RetryQueue q = queue(ElasticsearchSinkConfig.UNLIMITED_RETRIES);
        q.schedule(doc("a"), new IOException("refused"));
        q.schedule(doc("b"), new IOException("refused"));
        assertThat(q.close()).isEqualTo(2);
        assertThat(timer.runAll()).isZero();
        assertThat(resent).isEmpty();
        q.schedule(doc("c"), new IOException("refused"));
        assertThat(q.waiting()).isZero();
    }
}

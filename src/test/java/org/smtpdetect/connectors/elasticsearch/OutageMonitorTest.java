package org.smtpdetect.connectors.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;
import org.apache.http.HttpHost;
import org.elasticsearch.action.DocWriteRequest;
import org.elasticsearch.action.bulk.BulkItemResponse;
import org.elasticsearch.action.bulk.BulkResponse;
import org.elasticsearch.action.index.IndexRequest;
import org.elasticsearch.action.index.IndexResponse;
import org.elasticsearch.client.RestClient;
import org.elasticsearch.common.xcontent.XContentType;
import org.elasticsearch.index.shard.ShardId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The monitor against a real HTTP port: nothing listening first, then a server that answers anything with 405. */
class OutageMonitorTest {
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    private final List<DocWriteRequest<?>> resent = new CopyOnWriteArrayList<>();
    private final RetryQueueTest.ManualTimer retryTimer = new RetryQueueTest.ManualTimer();
    private HttpServer server;
    private RestClient client;

    @AfterEach
    void stop() throws IOException {
        timer.shutdownNow();
        if (server != null) server.stop(0);
        if (client != null) client.close();
    }

    @Test
    void unreachableNodesAreProbedAndTheFirstAnswerResendsEverythingWaiting() throws Exception {
        int port = freePort();
        client = RestClient.builder(new HttpHost("127.0.0.1", port, "http")).build();
        OutageMonitor monitor = new OutageMonitor("http://127.0.0.1:" + port + " (alerts)", client, timer, 50, 30_000);
        RetryQueue retries = new RetryQueue(retryTimer, resent::add, ElasticsearchSinkConfig.UNLIMITED_RETRIES, 200, 30_000);
        monitor.watch(retries);
        IndexRequest a = new IndexRequest("alerts").id("a").source("{}", XContentType.JSON);
        IndexRequest b = new IndexRequest("alerts").id("b").source("{}", XContentType.JSON);
        retries.schedule(a, new ConnectException("Connection refused"));
        retries.schedule(b, new ConnectException("Connection refused"));
        monitor.bulkFailed(new ConnectException("Connection refused"));
        assertThat(monitor.isDown()).isTrue();

        Thread.sleep(300);
        assertThat(resent).as("nothing answers yet").isEmpty();

        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/", exchange -> {
            exchange.sendResponseHeaders(405, -1);
            exchange.close();
        });
        server.start();
        await(() -> resent.size() == 2, "the waiting documents to be re-sent once the port answers");
        assertThat(resent).containsExactlyInAnyOrder(a, b);
        assertThat(retryTimer.runAll()).as("their backoff timers were cancelled").isZero();
        assertThat(monitor.isDown()).as("down until the waiting documents are written").isTrue();

        retries.settled(a);
        retries.settled(b);
        monitor.bulkAnswered(written(a, b));
        assertThat(monitor.isDown()).isFalse();
    }

    @Test
    void aBulkWhoseItemsAreAllRefusedWithServerErrorsIsAnOutageTooButNotProbed() throws Exception {
        client = RestClient.builder(new HttpHost("127.0.0.1", freePort(), "http")).build();
        OutageMonitor monitor = new OutageMonitor("x", client, timer, 10, 30_000);
        RetryQueue retries = new RetryQueue(retryTimer, resent::add, ElasticsearchSinkConfig.UNLIMITED_RETRIES, 200, 30_000);
        monitor.watch(retries);
        IndexRequest a = new IndexRequest("alerts").id("a").source("{}", XContentType.JSON);
        BulkItemResponse refused = new BulkItemResponse(0, DocWriteRequest.OpType.CREATE, new BulkItemResponse.Failure("alerts", "_doc", "a",
                new IOException("es_rejected_execution_exception"), org.elasticsearch.rest.RestStatus.TOO_MANY_REQUESTS));
        retries.schedule(a, new IOException("429"));
        monitor.bulkAnswered(new BulkResponse(new BulkItemResponse[] {refused}, 1));
        assertThat(monitor.isDown()).isTrue();
        Thread.sleep(100);
        assertThat(resent).as("a node that answers 429 is not probed: the backoff paces it").isEmpty();

        retries.settled(a);
        monitor.bulkAnswered(written(a));
        assertThat(monitor.isDown()).isFalse();
    }

    private static BulkResponse written(IndexRequest... docs) {
        BulkItemResponse[] items = new BulkItemResponse[docs.length];
        for (int i = 0; i < docs.length; i++) {
            items[i] = new BulkItemResponse(i, DocWriteRequest.OpType.CREATE,
                    new IndexResponse(new ShardId("alerts", "_na_", 0), "_doc", docs[i].id(), 1, 1, 1, true));
        }
        return new BulkResponse(items, 1);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("timed out waiting for " + what);
            Thread.sleep(20);
        }
    }
}

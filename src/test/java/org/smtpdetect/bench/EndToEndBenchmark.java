package org.smtpdetect.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.smtpdetect.alert.AlertIds;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.connectors.kafka.EvaluatingDeserializer;
import org.smtpdetect.job.JobSettings;
import org.smtpdetect.job.StreamingJob;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleLoader;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * End to end on one machine: a real Kafka broker and a real Elasticsearch 8 node (started as the integration
 * tests start them, {@link KafkaService}, {@link ElasticsearchService}) and the streaming job
 * ({@link StreamingJob#define}) on a local Flink environment, all on the same cores.
 *
 * <ol>
 *   <li><b>Throughput</b>: N realistic events ({@link TrafficMix}, 0.1% matching) are loaded into a 3-partition
 *       topic first; the job then reads them from the earliest offset in default mode. Sustained events/s is N
 *       over the time from the first record read to the last, read from the job's own {@code eventsRead}
 *       counters ({@link EventsReadReporter}) every 10 ms. The baseline, in the same run: a bare Kafka consumer
 *       draining the same topic (byte arrays, no Flink, no parsing), what the broker delivers on these cores. A
 *       warm-up phase of the same kind on its own topic runs first and is reported apart.</li>
 *   <li><b>Alert latency, early alerts</b>: with the job running, a steady stream of realistic events with a
 *       trickle of matches (10 a second) is produced for a while. Each match's latency runs from its Kafka
 *       append time (the topic uses {@code LogAppendTime}, so it is the broker's clock) to the moment its alert
 *       can be read back from Elasticsearch: a real-time multi-get of the alerts' deterministic ids every 10 ms
 *       (a document is readable by id as soon as its bulk request is acknowledged, before any refresh), so the
 *       figure is the acknowledgement plus at most one poll. Event time runs 60 times faster than the wall clock
 *       so that 10 matches a second stay under the rule's cap of 100 alerts per execution.</li>
 *   <li><b>Alert latency, default mode</b>: the same, in real time with the job's defaults (executions every
 *       5 minutes, 4 minutes of out-of-orderness) and one match every 4 seconds for one interval, so the latency
 *       is the execution schedule's.</li>
 * </ol>
 *
 * <p>Run: {@code mvn -B -Pbench-e2e verify} (the pre-integration-test phase prepares the broker's class path
 * and the Elasticsearch distribution; tests are skipped). Options in {@code -Dbench.e2e.args}:
 * {@code --events N} (default 2,000,000; 0 skips the throughput phase), {@code --warmup-events N} (default 1,000,000,
 * read the same way first and reported apart; 0 skips it), {@code --parallelism P} (default 2), {@code --trickle-seconds S}
 * (early-alert phase, default 30; 0 skips it), {@code --default-minutes M} (default 5; 0 skips the default-mode
 * phase, which takes about M + 9 minutes), and any job option as {@code --job.<name> value} (for example
 * {@code --job.es.bulk.flush-interval 1s}).
 */
public final class EndToEndBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int PARTITIONS = 3;
    private static final String SPACE = "default";

    private final KafkaService kafka;
    private final ElasticsearchService es;
    private final Rule rule = RuleLoader.loadDefault();
    private final int parallelism;
    private final List<String> jobArgs;
    private final Restamped pool;
    private final int[] quiet;
    private final int[] matches;

    private EndToEndBenchmark(KafkaService kafka, ElasticsearchService es, int parallelism, List<String> jobArgs) {
        this.kafka = kafka;
        this.es = es;
        this.parallelism = parallelism;
        this.jobArgs = jobArgs;
        byte[][] events = TrafficMix.of("realistic", 50_000);
        this.pool = new Restamped(events);
        Detector reference = Detector.of(List.of(rule), Detector.Parser.JACKSON);
        List<Integer> q = new ArrayList<>();
        List<Integer> m = new ArrayList<>();
        for (int i = 0; i < events.length; i++) (reference.matches(0, reference.parse(events[i])) ? m : q).add(i);
        this.quiet = q.stream().mapToInt(Integer::intValue).toArray();
        this.matches = m.stream().mapToInt(Integer::intValue).toArray();
    }

    public static void main(String[] args) throws Exception {
        long events = 2_000_000;
        long warmupEvents = 1_000_000;
        int parallelism = 2;
        int trickleSeconds = 30;
        int defaultMinutes = 5;
        List<String> jobArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--events": events = Long.parseLong(args[++i].replace("_", "")); break;
                case "--warmup-events": warmupEvents = Long.parseLong(args[++i].replace("_", "")); break;
                case "--parallelism": parallelism = Integer.parseInt(args[++i]); break;
                case "--trickle-seconds": trickleSeconds = Integer.parseInt(args[++i]); break;
                case "--default-minutes": defaultMinutes = Integer.parseInt(args[++i]); break;
                default:
                    if (!args[i].startsWith("--job.")) {
                        throw new IllegalArgumentException("unknown option " + args[i] + " (--events N, --warmup-events N, --parallelism P, "
                                + "--trickle-seconds S, --default-minutes M, --job.<option> value)");
                    }
                    jobArgs.add("--" + args[i].substring("--job.".length()));
                    jobArgs.add(args[++i]);
            }
        }
        long t0 = System.nanoTime();
        KafkaService kafka = KafkaService.get();
        ElasticsearchService es = ElasticsearchService.es8();
        System.out.printf("services: Kafka %s and %s up in %.0f s%n", kafka.bootstrapServers(), es, (System.nanoTime() - t0) / 1e9);
        EndToEndBenchmark bench = new EndToEndBenchmark(kafka, es, parallelism, jobArgs);
        List<String> summary = new ArrayList<>();
        if (events > 0 && warmupEvents > 0) summary.add(bench.throughput(warmupEvents, "warm-up"));
        if (events > 0) summary.add(bench.throughput(events, "throughput"));
        if (trickleSeconds > 0) summary.add(bench.latency(true, trickleSeconds, 10, 60));
        if (defaultMinutes > 0) summary.add(bench.latency(false, defaultMinutes * 60, 0.25, 1));
        System.out.printf("%nend to end (parallelism %d, %d cores, Kafka, Elasticsearch %s and the job on the same machine):%n  %s%n",
                parallelism, Runtime.getRuntime().availableProcessors(), es.version(), String.join("\n  ", summary));
        System.exit(0); // Flink and the Kafka clients leave non-daemon threads behind
    }

    /**
     * Loads {@code n} events, then reads them with the job; returns the summary line. The warm-up phase is the same
     * on its own topic, run first so that the measured phase meets JIT-compiled code in the job's JVM and in the
     * node (a fresh node indexes its first alerts several times slower than a running one), as production does.
     */
    private String throughput(long n, String phase) throws Exception {
        boolean warmup = phase.equals("warm-up");
        String run = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "-events";
        createTopic(topic);
        long start = Instant.parse("2024-01-01T00:00:00Z").toEpochMilli();
        long t0 = System.nanoTime();
        long expectedAlerts = 0;
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            for (long i = 0; i < n; i++) {
                int e = (int) (i % pool.size());
                producer.send(new ProducerRecord<>(topic, (int) (i % PARTITIONS), null, pool.at(e, start + i * 5)));
                if (Arrays.binarySearch(matches, e) >= 0) expectedAlerts++;
            }
            producer.flush();
        }
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%s: loaded %,d events (%,d matching) into %s in %.1f s (%,.0f events/s)%n", phase, n, expectedAlerts,
                topic, loadSeconds, n / loadSeconds);
        awaitNoEventsRead();

        JobClient job = start(run, topic, false);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        long first = 0;
        long last = 0;
        long read;
        while ((read = EventsReadReporter.eventsRead()) < n) {
            if (first == 0 && read > 0) first = System.nanoTime();
            if (System.nanoTime() > deadline) throw new IllegalStateException("the job read only " + read + " of " + n + " events in 10 minutes");
            Thread.sleep(10);
        }
        last = System.nanoTime();
        double seconds = (last - first) / 1e9;
        double rate = n / seconds;
        Thread.sleep(5_000);
        long alerts = count(run + "-alerts");
        job.cancel().get(1, TimeUnit.MINUTES);
        System.out.printf("%s: %,d events read in %.2f s from the first to the last: %,.0f events/s; %,d alerts in Elasticsearch "
                + "(executions still open at the end of the input have not fired)%n", phase, n, seconds, rate, alerts);
        if (warmup) {
            return String.format("warm-up (fresh JVMs and node): %,.0f events/s (%,d realistic events)", rate, n);
        }
        double bare = drain(topic, n);
        System.out.printf("throughput: baseline in the same run, a bare Kafka consumer draining the same topic (no Flink, no parsing): "
                + "%,.0f events/s%n", bare);
        return String.format("throughput: %,.0f events/s sustained (%,d realistic events, 3 partitions); a bare consumer drains the "
                + "topic at %,.0f events/s (%.0f%%)", rate, n, bare, 100 * rate / bare);
    }

    /** Waits until the metrics of a cancelled job are gone, so that the next job's count starts from zero. */
    private static void awaitNoEventsRead() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (EventsReadReporter.eventsRead() > 0) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("the previous job's eventsRead counters are still registered");
            Thread.sleep(50);
        }
    }

    /** Events per second at which one plain consumer (byte arrays, no processing) reads the topic from the start. */
    private double drain(String topic, long n) {
        Properties p = kafka.clientProperties();
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "drain-" + UUID.randomUUID());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "2000");
        long read = 0;
        long first = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
            while (read < n && System.nanoTime() < deadline) {
                int got = consumer.poll(Duration.ofMillis(200)).count();
                if (got > 0 && first == 0) first = System.nanoTime();
                read += got;
            }
        }
        return read / ((System.nanoTime() - first) / 1e9);
    }

    /**
     * Produces realistic events at about {@code rate} a second with {@code matchesPerSecond} matches among them
     * for {@code seconds}, event time running {@code speed} times the wall clock; measures each match's latency.
     */
    private String latency(boolean early, int seconds, double matchesPerSecond, int speed) throws Exception {
        String mode = early ? "early alerts" : "default mode";
        String run = "e2e-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "-events";
        String alerts = run + "-alerts";
        createTopic(topic);
        JobClient job = start(run, topic, early);
        Map<String, Long> appended = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<String> pending = new ConcurrentLinkedQueue<>();
        List<Long> latencies = java.util.Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean producing = new AtomicBoolean(true);
        AtomicLong produced = new AtomicLong();
        int backgroundRate = early ? 20_000 : 2_000;

        Thread poller = new Thread(() -> poll(alerts, pending, appended, latencies, producing), "alert-poller");
        poller.start();
        long wallStart = System.currentTimeMillis();
        long eventStart = wallStart;
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            // a few seconds of background first, so the job is up and reading when the first match is sent
            long warmUntil = System.currentTimeMillis() + 5_000;
            long next = System.nanoTime();
            long matchEvery = (long) (1e9 / matchesPerSecond);
            long nextMatch = 0;
            long endAt = 0;
            int q = 0;
            int m = 0;
            while (true) {
                long now = System.currentTimeMillis();
                long eventTime = eventStart + (now - wallStart) * speed;
                if (endAt == 0 && now >= warmUntil) {
                    endAt = now + seconds * 1000L;
                    nextMatch = System.nanoTime();
                }
                if (endAt != 0 && now >= endAt) break;
                if (endAt != 0 && System.nanoTime() >= nextMatch) {
                    nextMatch += matchEvery;
                    int partition = m % PARTITIONS;
                    byte[] value = pool.at(matches[m++ % matches.length], eventTime);
                    producer.send(new ProducerRecord<>(topic, partition, null, value), (meta, error) -> {
                        if (error != null) return;
                        String id = AlertIds.alertId(meta.topic(), EvaluatingDeserializer.position(meta.partition(), meta.offset()), SPACE, rule.ruleId());
                        appended.put(id, meta.timestamp());
                        pending.add(id);
                    });
                }
                for (int i = 0; i < backgroundRate / 1000; i++) {
                    producer.send(new ProducerRecord<>(topic, q % PARTITIONS, null, pool.at(quiet[q++ % quiet.length], eventTime)));
                }
                produced.addAndGet(backgroundRate / 1000);
                next += 1_000_000; // 1 ms per slice
                long sleep = next - System.nanoTime();
                if (sleep > 0) TimeUnit.NANOSECONDS.sleep(sleep);
            }
            producer.flush();
        }
        // keep the watermark moving (default mode) until every match is alerted, or give up
        long waitUntil = System.currentTimeMillis() + (early ? 60_000 : TimeUnit.MINUTES.toMillis(seconds / 60 + 6));
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            int q = 0;
            while (latencies.size() < appended.size() && System.currentTimeMillis() < waitUntil) {
                long eventTime = eventStart + (System.currentTimeMillis() - wallStart) * speed;
                for (int p = 0; p < PARTITIONS; p++) producer.send(new ProducerRecord<>(topic, p, null, pool.at(quiet[q++ % quiet.length], eventTime)));
                Thread.sleep(200);
            }
        }
        producing.set(false);
        poller.join();
        job.cancel().get(1, TimeUnit.MINUTES);
        long[] sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) throw new IllegalStateException(mode + ": no alert arrived");
        String line = String.format("alert latency, %s (%d matches, %s): p50 %s, p99 %s, max %s (%d of %d alerted)", mode,
                appended.size(), early ? "10/s among 20,000 events/s" : "1 every 4 s, real time", millis(percentile(sorted, 50)),
                millis(percentile(sorted, 99)), millis(sorted[sorted.length - 1]), sorted.length, appended.size());
        System.out.println(line);
        return line;
    }

    /** Every 10 ms, a real-time multi-get of the ids not seen yet; a found id's latency is now minus its append time. */
    private void poll(String index, ConcurrentLinkedQueue<String> pending, Map<String, Long> appended, List<Long> latencies,
                      AtomicBoolean producing) {
        EsRest rest = es.rest();
        List<String> waiting = new ArrayList<>();
        while (producing.get() || !waiting.isEmpty()) {
            for (String id; (id = pending.poll()) != null; ) waiting.add(id);
            if (!waiting.isEmpty()) {
                ArrayNode ids = JSON.createArrayNode();
                waiting.forEach(ids::add);
                EsRest.Response r = rest.post("/" + index + "/_mget?_source=false&realtime=true", JSON.createObjectNode().set("ids", ids).toString());
                long now = System.currentTimeMillis();
                if (r.status() == 200) {
                    for (JsonNode doc : r.json().path("docs")) {
                        if (doc.path("found").asBoolean()) {
                            String id = doc.path("_id").asText();
                            latencies.add(now - appended.get(id));
                            waiting.remove(id);
                        }
                    }
                }
            }
            if (!producing.get() && latencies.size() >= appended.size()) break;
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private JobClient start(String run, String topic, boolean early) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--kafka.bootstrap-servers", kafka.bootstrapServers(), "--kafka.topics", topic, "--kafka.group-id", run,
                "--kafka.starting-offsets", "earliest", "--dead-letter.topic", run + "-dead-letters",
                "--es.hosts", es.url(), "--es.alert-index", run + "-alerts", "--es.status-index", run + "-executions",
                "--early-alerts", Boolean.toString(early)));
        args.addAll(jobArgs);
        JobOptions options = JobOptions.fromArgs(args.toArray(new String[0]));
        JobSettings settings = new JobSettings(List.of(rule), options.text("timestamp-field"), options.duration("max-out-of-orderness"),
                options.duration("idleness"), options.bool("early-alerts"), options.text("space-id"));
        Configuration conf = new Configuration();
        conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("64m"));
        conf.setString("metrics.reporter.events-read.factory.class", EventsReadReporter.Factory.class.getName());
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
        env.enableCheckpointing(Duration.ofSeconds(30).toMillis());
        env.getConfig().getSerializerConfig().setGenericTypes(false);
        StreamingJob.define(env, settings, options);
        return env.executeAsync("SMTP to the Internet - end-to-end benchmark " + run);
    }

    private void createTopic(String topic) throws Exception {
        try (Admin admin = Admin.create(kafka.clientProperties())) {
            admin.createTopics(List.of(new NewTopic(topic, PARTITIONS, (short) 1)
                    .configs(Map.of("message.timestamp.type", "LogAppendTime")))).all().get(30, TimeUnit.SECONDS);
        }
    }

    private KafkaProducer<byte[], byte[]> producer() {
        Properties p = kafka.clientProperties();
        p.put(ProducerConfig.ACKS_CONFIG, "1");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, Integer.toString(256 * 1024));
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Long.toString(256L << 20));
        return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private long count(String index) {
        try {
            return es.rest().count(index);
        } catch (RuntimeException notYetCreated) {
            return 0;
        }
    }

    private static long percentile(long[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static String millis(long ms) {
        return ms >= 10_000 ? String.format("%.1f s", ms / 1000.0) : ms + " ms";
    }
}

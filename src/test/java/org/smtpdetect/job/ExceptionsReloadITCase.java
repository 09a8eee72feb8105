package org.smtpdetect.job;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Metric;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.exception.ExceptionSources;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.job.ExceptionFixtures.export;
import static org.smtpdetect.job.ExceptionFixtures.hostItem;
import static org.smtpdetect.job.StreamingFixtures.alertId;
import static org.smtpdetect.job.StreamingFixtures.allHits;
import static org.smtpdetect.job.StreamingFixtures.awaitStable;
import static org.smtpdetect.job.StreamingFixtures.awaitUntil;
import static org.smtpdetect.job.StreamingFixtures.committedOffsets;
import static org.smtpdetect.job.StreamingFixtures.count;
import static org.smtpdetect.job.StreamingFixtures.endOffsets;
import static org.smtpdetect.job.StreamingFixtures.noise;
import static org.smtpdetect.job.StreamingFixtures.send;

/**
 * Exceptions changed while the streaming job runs (real Kafka, real Elasticsearch, MiniCluster at parallelism 2):
 * an item added while matches wait for their execution removes them from it, and a job restored from a savepoint
 * keeps the changed version, though it was built with the start-up one and the file is broken when it restores.
 */
class ExceptionsReloadITCase {
    private static final Instant T0 = Instant.parse("2024-06-01T08:00:00Z");
    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(METRICS.addToConfiguration(noRestarts())).build());

    private static Configuration noRestarts() {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return c;
    }

    /** A matching flow from {@code host} at {@code t}. */
    private static String flow(Instant t, int i, String host) {
        return StreamingFixtures.smtpFlow(t, i).replace("\"host\":{\"name\":\"ws-" + i + "\"}", "\"host\":{\"name\":\"" + host + "\"}");
    }

    @Test
    void anExceptionAddedWhileTheJobStreamsAppliesToTheNextExecutionAndSurvivesARestore(@TempDir Path dir) throws Exception {
        ElasticsearchService es = ElasticsearchService.es8();
        KafkaService kafka = KafkaService.get();
        StreamingFixtures.Run streaming = StreamingFixtures.Run.create("reload", kafka);
        String run = streaming.id();
        String topic = streaming.topic();
        String alerts = streaming.alerts();
        String statuses = streaming.statuses();
        EsRest rest = es.rest();
        Path exceptions = export(dir.resolve("exceptions/relays.ndjson"), List.of(hostItem("relay-1", "relay-1", null)));
        ExceptionSources startUp = ExceptionSources.read(List.of(exceptions), null);

        Set<String> expected = new HashSet<>();
        Set<String> excepted = new HashSet<>();
        String[] hosts = {"relay-1", "relay-2", "ws-1"};
        // Before the change: matches in [08:00, 08:04), the watermark stops at 08:04:20, so execution 08:05 has not run.
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
            for (int i = 0; i < 24; i++) {
                String host = hosts[i % 3];
                String id = alertId(send(producer, topic, i % 2, flow(T0.plusSeconds(10L * i), i, host)));
                (host.equals("ws-1") ? expected : excepted).add(id);
            }
            for (int p = 0; p < 2; p++) send(producer, topic, p, noise(T0.plusSeconds(270), p));
        }
        String[] args = streaming.args(kafka, es, "--exceptions", exceptions.toString(), "--exceptions-poll-interval", "300ms");
        JobOptions options = JobOptions.fromArgs(args);
        JobSettings settings = DetectionJob.settings(options, DetectionJob.loadRules(options));

        JobClient first = start(settings, options, dir, null);
        Map<Integer, Long> produced = endOffsets(kafka, topic, 2);
        awaitUntil(() -> committedOffsets(kafka, run).equals(produced), Duration.ofSeconds(90), "the first events read and checkpointed");
        assertThat(count(rest, alerts)).as("no execution has run yet").isZero();

        // The analyst adds relay-2 while its matches wait for execution 08:05.
        export(exceptions, List.of(hostItem("relay-1", "relay-1", null), hostItem("relay-2", "relay-2", null)));
        awaitUntil(() -> versionInForce(first.getJobID()) == 1, Duration.ofSeconds(30), "exceptions version 1 in force");
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
            for (int p = 0; p < 2; p++) send(producer, topic, p, noise(T0.plus(Duration.ofMinutes(9)), p));
        }
        awaitUntil(() -> count(rest, alerts) >= expected.size(), Duration.ofSeconds(60), "the alerts of execution 08:05");
        awaitStable(() -> count(rest, alerts), Duration.ofSeconds(3), Duration.ofSeconds(30));
        assertThat(ids(rest, alerts)).isEqualTo(expected);
        JsonNode at0805 = status(rest, statuses, T0.plus(Duration.ofMinutes(5)));
        assertThat(at0805.get("excepted").asInt()).as("relay-1 on arrival, relay-2 when 08:05 ran").isEqualTo(16);
        assertThat(at0805.get("candidates").asInt()).isEqualTo(8);
        assertThat(at0805.get("capped").asInt()).isZero();

        String savepoint = first.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);

        // Restored from the savepoint into a graph built with the start-up version, the file broken meanwhile.
        Files.writeString(exceptions, "{\"list_id\":\"relays\"}\n{\"item_id\": half-saved\n");
        List<String> errors = captureErrors();
        JobSettings original = new JobSettings(settings.rules(), settings.timestampField(), settings.maxOutOfOrderness(),
                settings.idleness(), settings.earlyAlerts(), settings.spaceId(), settings.kibanaRuleUuids(), new JobSettings.Exceptions(List.of(exceptions.toString()),
                null, Duration.ofMillis(300), startUp));
        JobClient second = start(original, options, dir, savepoint);
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
            for (int i = 100; i < 112; i++) {
                String host = hosts[i % 3];
                String id = alertId(send(producer, topic, i % 2, flow(T0.plus(Duration.ofMinutes(10)).plusSeconds(10L * i), i, host)));
                (host.equals("ws-1") ? expected : excepted).add(id);
            }
            for (int p = 0; p < 2; p++) send(producer, topic, p, noise(T0.plus(Duration.ofHours(2)), p));
        }
        awaitUntil(() -> count(rest, alerts) >= expected.size(), Duration.ofSeconds(90), "the alerts after the restore");
        awaitStable(() -> count(rest, alerts), Duration.ofSeconds(3), Duration.ofSeconds(30));
        assertThat(versionInForce(second.getJobID())).isEqualTo(1);
        second.cancel().get(60, TimeUnit.SECONDS);

        assertThat(ids(rest, alerts)).as("relay-2 stays excepted after the restore").isEqualTo(expected);
        int exceptedInRecords = 0;
        int alertedInRecords = 0;
        for (JsonNode s : rest.search(statuses, "{\"size\":1000}")) {
            exceptedInRecords += s.get("_source").get("excepted").asInt();
            alertedInRecords += s.get("_source").get("alerted").asInt() + s.get("_source").get("late").asInt();
        }
        assertThat(exceptedInRecords).isEqualTo(excepted.size());
        assertThat(alertedInRecords).isEqualTo(expected.size());
        assertThat(errors).as("one error for the broken file, however many polls").hasSize(1)
                .first().asString().contains("version 1 stays in force").contains("not valid JSON");
        System.out.printf("Exceptions reload: %d alerts, %d excepted (16 by execution 08:05 after the change), restored at version 1%n",
                expected.size(), excepted.size());
    }

    private static JobClient start(JobSettings settings, JobOptions options, Path dir, String savepoint) throws Exception {
        StreamExecutionEnvironment env = StreamingFixtures.streamingEnvironment(dir, savepoint);
        StreamingJob.define(env, settings, options);
        return env.executeAsync("exceptions-reload-it");
    }

    /** The lowest exceptions version in force over the executions subtasks; -1 before they report. */
    @SuppressWarnings("unchecked")
    private static long versionInForce(JobID job) {
        Map<String, Metric> gauges = METRICS.findMetrics(job, "exceptionsVersion");
        if (gauges.isEmpty()) return -1;
        return gauges.values().stream().mapToLong(g -> ((Gauge<Long>) g).getValue()).min().orElse(-1);
    }

    private static Set<String> ids(EsRest rest, String index) {
        Set<String> ids = new HashSet<>();
        for (JsonNode h : allHits(rest, index)) ids.add(h.get("_id").asText());
        return ids;
    }

    private static JsonNode status(EsRest rest, String index, Instant execution) {
        for (JsonNode s : rest.search(index, "{\"size\":1000}")) {
            JsonNode src = s.get("_source");
            if (src.get("execution_time").asText().equals(execution.toString()) && src.get("late").asInt() == 0) return src;
        }
        throw new AssertionError("no status record for " + execution);
    }

    /** Errors the exceptions source logs from now on. */
    private static List<String> captureErrors() {
        List<String> errors = new CopyOnWriteArrayList<>();
        AbstractAppender appender = new AbstractAppender("exceptions-errors", null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                if (event.getLevel().isMoreSpecificThan(Level.ERROR)) errors.add(event.getMessage().getFormattedMessage());
            }
        };
        appender.start();
        String name = "org.smtpdetect.connectors.exceptions.ExceptionFilesReader";
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        LoggerConfig config = new LoggerConfig(name, Level.WARN, false);
        config.addAppender(appender, Level.ERROR, null);
        context.getConfiguration().addLogger(name, config);
        context.updateLoggers();
        return errors;
    }
}

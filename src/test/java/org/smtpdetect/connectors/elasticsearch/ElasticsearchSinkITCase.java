package org.smtpdetect.connectors.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.IntStream;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.JobID;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.connectors.SinkDocument;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;

/** The Elasticsearch sink on a Flink mini cluster against real Elasticsearch 7.17 and 8.19 nodes. */
class ElasticsearchSinkITCase {
    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .setConfiguration(METRICS.addToConfiguration(new Configuration()))
            .build());

    /** What the sinks' rejected-document handlers received (the mini cluster runs in this JVM). */
    private static final Queue<RejectedDocument> REJECTED = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void clearRejected() {
        REJECTED.clear();
    }

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void createWritesEachAlertOnceAndReplaysLeaveTriagedAlertsAlone(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        ElasticsearchSinkConfig cfg = config(es);
        assertThat(ElasticsearchTemplates.ensureTemplates(cfg)).containsExactly(cfg.alertsIndex, cfg.executionsIndex, cfg.deadLettersIndex);
        assertThat(ElasticsearchTemplates.ensureTemplates(cfg)).as("already installed").isEmpty();
        EsRest rest = es.rest();
        // Created at start-up, so that the first alert does not wait for the index to be created.
        assertThat(rest.count(cfg.alertsIndex)).as("the alert index exists, empty").isZero();
        assertThat(rest.count(cfg.executionsIndex)).as("the status index exists, empty").isZero();
        List<SinkDocument> alerts = IntStream.range(0, 200).mapToObj(i -> alert("alert-" + i, "10.0.0." + (i % 250))).toList();

        JobExecutionResult first = run(alerts, cfg, cfg.alertsIndex, WriteMode.CREATE);
        assertThat(rest.count(cfg.alertsIndex)).isEqualTo(200);
        assertThat(counter(first.getJobID(), "sinkDuplicates")).isZero();
        // An analyst acknowledges an alert; a replay must not reset it.
        rest.post("/" + cfg.alertsIndex + "/_update/alert-7",
                "{\"doc\":{\"kibana\":{\"alert\":{\"workflow_status\":\"acknowledged\"}}}}").ok();

        JobExecutionResult replay = run(alerts, cfg, cfg.alertsIndex, WriteMode.CREATE);

        assertThat(rest.count(cfg.alertsIndex)).isEqualTo(200);
        assertThat(counter(replay.getJobID(), "sinkDuplicates")).isEqualTo(200);
        assertThat(counter(replay.getJobID(), "sinkRejected")).isZero();
        assertThat(REJECTED).isEmpty();
        assertThat(rest.source(cfg.alertsIndex, "alert-7").path("kibana").path("alert").path("workflow_status").asText())
                .isEqualTo("acknowledged");
        assertThat(rest.source(cfg.alertsIndex, "alert-199").path("source").path("ip").asText()).isEqualTo("10.0.0.199");
        assertThat(rest.search(cfg.alertsIndex, "{\"query\":{\"term\":{\"source.ip\":\"10.0.0.0/24\"}}}")).isNotEmpty();

        assertThat(rest.fieldType(cfg.alertsIndex, "@timestamp")).isEqualTo("date");
        assertThat(rest.fieldType(cfg.alertsIndex, "source.ip")).isEqualTo("ip");
        assertThat(rest.fieldType(cfg.alertsIndex, "destination.ip")).isEqualTo("ip");
        assertThat(rest.fieldType(cfg.alertsIndex, "host.ip")).isEqualTo("ip");
        assertThat(rest.fieldType(cfg.alertsIndex, "destination.port")).isEqualTo("long");
        assertThat(rest.fieldType(cfg.alertsIndex, "event.category")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.alertsIndex, "network.transport")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.alert.uuid")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.alert.rule.rule_id")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.alert.original_time")).isEqualTo("date");
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.alert.risk_score")).isEqualTo("float");
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.alert.depth")).isEqualTo("long");
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.space_ids")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.alertsIndex, "kibana.alert.reason")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.alertsIndex, "custom.label")).as("dynamic: false, unknown fields stay unmapped").isNull();
        assertThat(rest.source(cfg.alertsIndex, "alert-199").path("custom").path("label").asText()).isEqualTo("x");
    }

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void documentsTheMappingRejectsGoToTheHandlerAndTheJobGoesOn(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        ElasticsearchSinkConfig cfg = config(es);
        ElasticsearchTemplates.ensureTemplates(cfg);
        List<SinkDocument> docs = new ArrayList<>();
        for (int i = 0; i < 20; i++) docs.add(alert("ok-" + i, "192.0.2." + i));
        // ignore_malformed takes a malformed ip; an object where a value belongs is rejected in any index.
        docs.add(new SinkDocument("bad-ip", alert("bad-ip", "192.0.2.99").json.replace("\"192.0.2.99\"", "{\"v\":\"not-an-ip\"}")));
        docs.add(new SinkDocument(null, alert("x", "192.0.2.1").json));

        JobExecutionResult result = run(docs, cfg, cfg.alertsIndex, WriteMode.CREATE);

        assertThat(es.rest().count(cfg.alertsIndex)).isEqualTo(20);
        assertThat(counter(result.getJobID(), "sinkRejected")).isEqualTo(2);
        assertThat(REJECTED).hasSize(2);
        RejectedDocument mapping = REJECTED.stream().filter(r -> "bad-ip".equals(r.id)).findFirst().orElseThrow();
        assertThat(mapping.status).isEqualTo(400);
        assertThat(mapping.index).isEqualTo(cfg.alertsIndex);
        assertThat(mapping.reason).contains("source.ip");
        assertThat(mapping.json).contains("not-an-ip");
        RejectedDocument noId = REJECTED.stream().filter(r -> r.id == null).findFirst().orElseThrow();
        assertThat(noId.reason).contains("id");
    }

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void indexModeLetsElasticsearchChooseIds(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        ElasticsearchSinkConfig cfg = config(es);
        ElasticsearchTemplates.ensureTemplates(cfg);
        List<SinkDocument> statuses = IntStream.range(0, 30).mapToObj(i -> new SinkDocument(null,
                "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"rule_id\":\"smtp\",\"execution_time\":" + (1714557600000L + i * 300_000L)
                        + ",\"candidates\":3,\"alerted\":2,\"capped\":1,\"late\":0}")).toList();

        run(statuses, cfg, cfg.executionsIndex, WriteMode.INDEX);
        run(statuses, cfg, cfg.executionsIndex, WriteMode.INDEX);

        EsRest rest = es.rest();
        assertThat(rest.count(cfg.executionsIndex)).isEqualTo(60);
        assertThat(rest.fieldType(cfg.executionsIndex, "rule_id")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.executionsIndex, "execution_time")).isEqualTo("date");
        assertThat(rest.fieldType(cfg.executionsIndex, "candidates")).isEqualTo("long");

        run(List.of(new SinkDocument(null, "{\"time\":\"2024-05-01T10:00:00Z\",\"raw\":\"{broken\",\"reason\":\"not JSON\","
                + "\"origin\":\"beats\",\"position\":\"0/17\"}")), cfg, cfg.deadLettersIndex, WriteMode.INDEX);
        assertThat(rest.count(cfg.deadLettersIndex)).isEqualTo(1);
        assertThat(rest.fieldType(cfg.deadLettersIndex, "reason.keyword")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.deadLettersIndex, "origin")).isEqualTo("keyword");
        assertThat(rest.fieldType(cfg.deadLettersIndex, "time")).isEqualTo("date");
    }

    private static ElasticsearchSinkConfig config(ElasticsearchService es) {
        String prefix = "it-" + es.majorVersion() + "-" + UUID.randomUUID().toString().substring(0, 8);
        return ElasticsearchSinkConfig.builder()
                .hosts(es.url())
                .bulkMaxActions(50)
                .bulkFlushIntervalMillis(200)
                .indices(prefix + "-alerts", prefix + "-executions", prefix + "-dead-letters")
                .build();
    }

    private static JobExecutionResult run(List<SinkDocument> docs, ElasticsearchSinkConfig cfg, String index, WriteMode mode)
            throws Exception {
        return SinkTestJobs.run(docs, ElasticsearchSinks.create(cfg, index, mode, ElasticsearchSinkITCase::collectRejected),
                "elasticsearch sink " + mode);
    }

    /** A static method reference: serializing the sink must not copy the queue. */
    private static void collectRejected(RejectedDocument rejected) {
        REJECTED.add(rejected);
    }

    private static long counter(JobID job, String name) {
        return METRICS.findMetrics(job, name).values().stream().mapToLong(m -> ((Counter) m).getCount()).sum();
    }

    private static SinkDocument alert(String id, String sourceIp) {
        return new SinkDocument(id, "{\"@timestamp\":\"2024-05-01T10:00:00.000Z\","
                + "\"source\":{\"ip\":\"" + sourceIp + "\",\"port\":40000},"
                + "\"destination\":{\"ip\":\"198.51.100.7\",\"port\":25},"
                + "\"host\":{\"name\":\"mail-gw\",\"ip\":[\"10.0.0.1\"]},"
                + "\"event\":{\"category\":[\"network\"],\"type\":[\"connection\"]},"
                + "\"network\":{\"transport\":\"tcp\"},"
                + "\"custom\":{\"label\":\"x\"},"
                + "\"kibana\":{\"space_ids\":[\"default\"],\"alert\":{\"uuid\":\"" + id + "\",\"status\":\"active\","
                + "\"workflow_status\":\"open\",\"original_time\":\"2024-05-01T09:59:58.000Z\",\"risk_score\":47,"
                + "\"severity\":\"medium\",\"depth\":1,\"reason\":\"network event on mail-gw\","
                + "\"rule\":{\"rule_id\":\"67a9beba-830d-4035-bfe8-40b7e28f8ac4\",\"name\":\"SMTP to the Internet\"}}}}");
    }
}

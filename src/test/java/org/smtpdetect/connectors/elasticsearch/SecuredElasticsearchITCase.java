package org.smtpdetect.connectors.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.connectors.SinkDocument;
import org.smtpdetect.job.StreamingJob;
import org.smtpdetect.testing.ElasticsearchService;

/**
 * The Elasticsearch sink against a secured 8.x node ({@link ElasticsearchService#es8Secured()}): https with a
 * private CA, basic auth, API keys, and the start-up failures an operator sees when one of them is wrong.
 */
class SecuredElasticsearchITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    private static ElasticsearchService es;

    @BeforeAll
    static void startNode() {
        es = ElasticsearchService.es8Secured();
        System.out.println(es + " ready in " + es.startupTime().toMillis() + " ms");
    }

    @Test
    void basicAuthWithCaFileInstallsTemplatesAndCreatesEachAlertOnce() throws Exception {
        ElasticsearchSinkConfig cfg = config().basicAuth(es.username(), es.password()).caCertificate(es.caFile()).build();
        assertThat(cfg.hosts).allMatch(h -> h.startsWith("https://"));
        assertThat(ElasticsearchTemplates.ensureTemplates(cfg)).containsExactly(cfg.alertsIndex, cfg.executionsIndex, cfg.deadLettersIndex);
        List<SinkDocument> alerts = alerts(100);

        run(alerts, cfg);
        assertThat(es.rest().count(cfg.alertsIndex)).isEqualTo(100);
        run(alerts, cfg);

        assertThat(es.rest().count(cfg.alertsIndex)).as("no second copy").isEqualTo(100);
        assertThat(es.rest().fieldType(cfg.alertsIndex, "source.ip")).as("template applied").isEqualTo("ip");
    }

    @Test
    void apiKeyLimitedToTheJobsIndicesWorks() throws Exception {
        ElasticsearchSinkConfig.Builder b = config();
        String prefix = b.build().alertsIndex.replace("-alerts", "");
        String encoded = es.rest().post("/_security/api_key", "{\"name\":\"" + prefix + "\",\"role_descriptors\":{\"smtp-detection\":{"
                + "\"cluster\":[\"monitor\",\"manage_index_templates\"],"
                + "\"indices\":[{\"names\":[\"" + prefix + "-*\"],\"privileges\":[\"create_doc\",\"index\",\"create_index\",\"auto_configure\",\"view_index_metadata\"]}]}}}")
                .ok().json().path("encoded").asText();
        ElasticsearchSinkConfig cfg = b.apiKey(encoded).caCertificate(es.caFile()).build();

        assertThat(ElasticsearchTemplates.ensureTemplates(cfg)).hasSize(3);
        run(alerts(50), cfg);

        assertThat(es.rest().count(cfg.alertsIndex)).isEqualTo(50);
    }

    @Test
    void wrongPasswordFailsTheStartUpWithAnAuthenticationMessage() {
        ElasticsearchSinkConfig cfg = config().basicAuth(es.username(), "wrong-password").caCertificate(es.caFile()).build();
        long t0 = System.nanoTime();

        assertThatThrownBy(() -> ElasticsearchTemplates.ensureTemplates(cfg))
                .hasMessageContaining("authentication failed")
                .hasMessageContaining("401")
                .hasMessageContaining(es.url())
                .hasMessageContaining("user '" + es.username() + "'")
                .hasMessageContaining("check the password")
                .hasMessageNotContaining("wrong-password");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void apiKeyWithoutTemplatePrivilegesFailsTheStartUpWithAnAuthorizationMessage() {
        ElasticsearchSinkConfig.Builder b = config();
        String prefix = b.build().alertsIndex.replace("-alerts", "");
        String encoded = es.rest().post("/_security/api_key", "{\"name\":\"" + prefix + "\",\"role_descriptors\":{\"writer\":{"
                + "\"indices\":[{\"names\":[\"" + prefix + "-*\"],\"privileges\":[\"create_doc\"]}]}}}")
                .ok().json().path("encoded").asText();
        ElasticsearchSinkConfig cfg = b.apiKey(encoded).caCertificate(es.caFile()).build();

        assertThatThrownBy(() -> ElasticsearchTemplates.ensureTemplates(cfg))
                .hasMessageContaining("authorization failed at " + es.url())
                .hasMessageContaining("403")
                .hasMessageContaining("the API key may not GET /_index_template/" + cfg.alertsIndex);
    }

    @Test
    void httpsWithoutTheCaFailsWithATlsMessage() {
        ElasticsearchSinkConfig cfg = config().basicAuth(es.username(), es.password()).build();

        assertThatThrownBy(() -> ElasticsearchTemplates.ensureTemplates(cfg))
                .hasMessageContaining("TLS connection to " + es.url() + " failed")
                .hasMessageContaining("certification path")
                .hasMessageContaining("no CA certificate is configured");
    }

    @Test
    void jobOptionsWithSecretsFromAFileAndTheEnvironment(@TempDir Path dir) throws Exception {
        Path passwordFile = Files.writeString(dir.resolve("es-password"), es.password() + "\n");
        String prefix = "it-secured-" + UUID.randomUUID().toString().substring(0, 8);
        JobOptions fromFile = JobOptions.fromArgs("--es.hosts", es.url(), "--es.username", es.username(),
                "--es.password", "file:" + passwordFile, "--es.ca-file", es.caFile().toString(),
                "--es.alert-index", prefix + "-alerts", "--es.status-index", prefix + "-executions");
        ElasticsearchSinkConfig cfg = StreamingJob.elasticsearch(fromFile);
        assertThat(ElasticsearchTemplates.ensureTemplates(cfg)).contains(prefix + "-alerts");
        run(alerts(20), cfg);
        assertThat(es.rest().count(prefix + "-alerts")).isEqualTo(20);

        String key = es.rest().post("/_security/api_key", "{\"name\":\"" + prefix + "\"}").ok().json().path("encoded").asText();
        JobOptions fromEnv = JobOptions.parse(new String[] {"--es.hosts", es.url(), "--es.api-key", "env:ES_API_KEY",
                "--es.ca-file", es.caFile().toString(), "--es.alert-index", prefix + "-alerts",
                "--es.status-index", prefix + "-executions"}, Map.of(), Map.of("ES_API_KEY", key)::get);
        ElasticsearchSinkConfig viaKey = StreamingJob.elasticsearch(fromEnv);
        assertThat(viaKey.apiKey).isEqualTo(key);
        assertThat(ElasticsearchTemplates.ensureTemplates(viaKey)).as("already installed").isEmpty();
        run(alerts(30), viaKey);
        assertThat(es.rest().count(prefix + "-alerts")).isEqualTo(30);
    }

    private static ElasticsearchSinkConfig.Builder config() {
        String prefix = "it-secured-" + UUID.randomUUID().toString().substring(0, 8);
        return ElasticsearchSinkConfig.builder()
                .hosts(es.url())
                .bulkMaxActions(20)
                .bulkFlushIntervalMillis(200)
                .indices(prefix + "-alerts", prefix + "-executions", prefix + "-dead-letters");
    }

    private static void run(List<SinkDocument> docs, ElasticsearchSinkConfig cfg) throws Exception {
        SinkTestJobs.run(docs, ElasticsearchSinks.create(cfg, cfg.alertsIndex, WriteMode.CREATE), "secured elasticsearch sink");
    }

    private static List<SinkDocument> alerts(int n) {
        return IntStream.range(0, n).mapToObj(i -> new SinkDocument("alert-" + i, "{\"@timestamp\":\"2024-05-01T10:00:00.000Z\","
                + "\"source\":{\"ip\":\"10.0.0." + (i % 250) + "\"},\"destination\":{\"ip\":\"198.51.100.7\",\"port\":25},"
                + "\"kibana\":{\"alert\":{\"uuid\":\"alert-" + i + "\",\"workflow_status\":\"open\"}}}")).toList();
    }
}

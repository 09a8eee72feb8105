package org.smtpdetect.connectors.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import org.apache.flink.util.InstantiationUtil;
import org.junit.jupiter.api.Test;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.job.StreamingJob;

class ElasticsearchSinkConfigTest {

    @Test
    void jobOptionsMapToTheSinkConfiguration() {
        ElasticsearchSinkConfig cfg = StreamingJob.elasticsearch(JobOptions.fromArgs(
                "--kafka.bootstrap-servers", "127.0.0.1:9092", "--es.hosts", "http://127.0.0.1:9200, https://es2:9243",
                "--es.api-key", "a2V5", "--es.bulk.flush-interval", "250ms", "--es.bulk.max-retries", "3",
                "--es.alert-index", "alerts-prod"));

        assertThat(cfg.hosts).containsExactly("http://127.0.0.1:9200", "https://es2:9243");
        assertThat(cfg.apiKey).isEqualTo("a2V5");
        assertThat(cfg.bulkFlushIntervalMillis).isEqualTo(250);
        assertThat(cfg.bulkMaxActions).isEqualTo(500);
        assertThat(cfg.backoffType).isEqualTo(ElasticsearchSinkConfig.BackoffType.EXPONENTIAL);
        assertThat(cfg.backoffRetries).isEqualTo(3);
        assertThat(cfg.alertsIndex).isEqualTo("alerts-prod");
        assertThat(cfg.executionsIndex).isEqualTo(ElasticsearchSinkConfig.DEFAULT_EXECUTIONS_INDEX);
        assertThat(ElasticsearchClients.httpHosts(cfg)[1].toURI()).isEqualTo("https://es2:9243");
    }

    @Test
    void rejectsAmbiguousOrInvalidSettings() {
        assertThatThrownBy(() -> ElasticsearchSinkConfig.builder().hosts("http://h:9200").basicAuth("u", "p").apiKey("k").build())
                .hasMessageContaining("not both");
        assertThatThrownBy(() -> ElasticsearchSinkConfig.builder().hosts("h:9200").build()).hasMessageContaining("http(s)://");
        assertThatThrownBy(() -> ElasticsearchSinkConfig.builder().hosts("http://h:9200").indices("Alerts", "e", "d").build())
                .hasMessageContaining("index name");
        assertThatThrownBy(() -> ElasticsearchClients.sslContext("not a certificate")).hasMessageContaining("CA certificate");
    }

    @Test
    void sinkAndTemplatesFollowTheConfiguredIndexNames() throws Exception {
        ElasticsearchSinkConfig cfg = ElasticsearchSinkConfig.builder().hosts("http://127.0.0.1:9200")
                .indices("a", "e", "d").build();

        Map<String, String> templates = ElasticsearchTemplates.templates(cfg);

        assertThat(templates).containsOnlyKeys("a", "e", "d");
        var alerts = new ObjectMapper().readTree(templates.get("a"));
        assertThat(alerts.path("index_patterns").toString()).isEqualTo("[\"a\",\"a-*\"]");
        assertThat(alerts.path("template").path("mappings").path("properties").path("source").path("properties")
                .path("ip").path("type").asText()).isEqualTo("ip");
        assertThat(InstantiationUtil.isSerializable(ElasticsearchSinks.create(cfg, cfg.alertsIndex, WriteMode.CREATE))).isTrue();
    }
}

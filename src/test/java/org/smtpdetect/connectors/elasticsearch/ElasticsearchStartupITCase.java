package org.smtpdetect.connectors.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;

/**
 * What the job checks and sets up on Elasticsearch before it starts, against real 7.17, 8.19 and 9.2.8 nodes and a
 * secured 8.19 node: the version (exact with the monitor privilege, the major alone without it), one-line errors for
 * what cannot work, and joining Kibana's alerts alias of a space.
 */
class ElasticsearchStartupITCase {
    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void readsTheExactVersionOfEverySupportedMajor(String version) {
        ElasticsearchService es = ElasticsearchService.get(version);
        ElasticsearchVersion v = ElasticsearchClients.checkCluster(config(es).build());
        assertThat(v.exact()).isTrue();
        assertThat(v.toString()).isEqualTo(version);
        assertThat(v.isSupported()).isTrue();
    }

    @Test
    void aKeyWithoutTheMonitorPrivilegeStillGetsTheMajorVersion() {
        ElasticsearchService es = ElasticsearchService.es8Secured();
        String prefix = "it-startup-" + UUID.randomUUID().toString().substring(0, 8);
        String encoded = es.rest().post("/_security/api_key", "{\"name\":\"" + prefix + "\",\"role_descriptors\":{\"writer\":{"
                + "\"cluster\":[\"manage_index_templates\"],"
                + "\"indices\":[{\"names\":[\"" + prefix + "-*\"],\"privileges\":[\"create_doc\",\"create_index\"]}]}}}")
                .ok().json().path("encoded").asText();
        ElasticsearchVersion v = ElasticsearchClients.checkCluster(config(es).apiKey(encoded).caCertificate(es.caFile()).build());
        assertThat(v.exact()).isFalse();
        assertThat(v.major()).isEqualTo(es.majorVersion());
        assertThat(v.isSupported()).isTrue();

        ElasticsearchVersion admin = ElasticsearchClients.checkCluster(
                config(es).basicAuth(es.username(), es.password()).caCertificate(es.caFile()).build());
        assertThat(admin.toString()).isEqualTo(es.version());
    }

    @Test
    void whatCannotWorkFailsWithOneLineNamingTheHostAndWhatToDo() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        ElasticsearchSinkConfig nobody = ElasticsearchSinkConfig.builder().hosts("http://127.0.0.1:" + closed).build();
        assertThatThrownBy(() -> ElasticsearchClients.checkCluster(nobody))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("cannot reach Elasticsearch http://127.0.0.1:" + closed + ": connection refused (check --es.hosts and that"
                        + " the nodes are up)");

        ElasticsearchService es = ElasticsearchService.es8Secured();
        ElasticsearchSinkConfig wrong = config(es).basicAuth(es.username(), "wrong-password").caCertificate(es.caFile()).build();
        assertThatThrownBy(() -> ElasticsearchClients.checkCluster(wrong))
                .hasMessageStartingWith("authentication failed at " + es.url() + " (HTTP 401 Unauthorized) with user '" + es.username() + "'")
                .hasMessageNotContaining("wrong-password")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));

        ElasticsearchSinkConfig plainToTls = ElasticsearchSinkConfig.builder().hosts(es.url().replace("https://", "http://")).build();
        assertThatThrownBy(() -> ElasticsearchClients.checkCluster(plainToTls))
                .hasMessageStartingWith("cannot reach Elasticsearch " + plainToTls.hosts.get(0) + ":")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void theAlertIndexJoinsKibanasAliasAsANonWriteIndexOnceKibanaHasCreatedIt(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        EsRest rest = es.rest();
        String space = "space-" + UUID.randomUUID().toString().substring(0, 8);
        String alias = KibanaAlertsAlias.aliasOf(space);
        ElasticsearchSinkConfig cfg = config(es).build();
        ElasticsearchTemplates.ensureTemplates(cfg);

        assertThat(KibanaAlertsAlias.join(cfg, space)).isEqualTo(KibanaAlertsAlias.Outcome.NO_KIBANA_ALIAS);
        assertThat(rest.get("/_alias/" + alias).status()).as("nothing of Kibana's is created").isEqualTo(404);
        assertThat(rest.count(cfg.alertsIndex)).as("our index is, at start-up, so that the first alert does not wait for it").isZero();

        // What Kibana creates for a space: a concrete index behind the write alias.
        String kibanaIndex = ".internal.alerts-security.alerts-" + space + "-000001";
        rest.put("/" + kibanaIndex, "{\"aliases\":{\"" + alias + "\":{\"is_write_index\":true}}}").ok();

        assertThat(KibanaAlertsAlias.join(cfg, space)).isEqualTo(KibanaAlertsAlias.Outcome.JOINED);
        JsonNode members = rest.get("/_alias/" + alias).ok().json();
        assertThat(members.path(kibanaIndex).path("aliases").path(alias).path("is_write_index").asBoolean()).isTrue();
        assertThat(members.path(cfg.alertsIndex).path("aliases").path(alias).path("is_write_index").asBoolean(true)).isFalse();
        assertThat(KibanaAlertsAlias.join(cfg, space)).as("again").isEqualTo(KibanaAlertsAlias.Outcome.ALREADY_JOINED);

        // Kibana still writes to its own index through the alias; reads through it see both.
        rest.put("/" + alias + "/_doc/kibana-1?refresh=true", "{\"kibana.alert.uuid\":\"kibana-1\"}").ok();
        rest.put("/" + cfg.alertsIndex + "/_doc/ours-1?refresh=true", "{\"kibana.alert.uuid\":\"ours-1\"}").ok();
        assertThat(rest.count(kibanaIndex)).isEqualTo(1);
        assertThat(rest.count(alias)).isEqualTo(2);
    }

    private static ElasticsearchSinkConfig.Builder config(ElasticsearchService es) {
        String prefix = "it-startup-" + es.majorVersion() + "-" + UUID.randomUUID().toString().substring(0, 8);
        return ElasticsearchSinkConfig.builder().hosts(es.url()).indices(prefix + "-alerts", prefix + "-executions", prefix + "-dead-letters");
    }
}

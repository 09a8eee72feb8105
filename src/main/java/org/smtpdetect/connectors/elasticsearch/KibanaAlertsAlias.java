package org.smtpdetect.connectors.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.apache.http.util.EntityUtils;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts the job's alert index behind Kibana's alerts alias for a space, {@code .alerts-security.alerts-<space>}, which
 * is what Kibana's Alerts page, a rule's Alerts tab and the detection engine's search API read. The index joins as a
 * non-write index ({@code is_write_index: false}), so Kibana keeps writing its own alerts to its own index and the job
 * keeps writing to its own; nothing of Kibana's is created or written: when Kibana has not created the alias yet (no
 * rule has run in that space), this says so and a later start joins it. Joining again is a no-op.
 */
public final class KibanaAlertsAlias {
    private static final Logger LOG = LoggerFactory.getLogger(KibanaAlertsAlias.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What {@link #join} found and did. */
    public enum Outcome { JOINED, ALREADY_JOINED, NO_KIBANA_ALIAS, NOT_PERMITTED }

    private KibanaAlertsAlias() {}

    /** Kibana's read alias of the security alerts of {@code spaceId}. */
    public static String aliasOf(String spaceId) {
        return ".alerts-security.alerts-" + spaceId;
    }

    /**
     * Joins {@code cfg.alertsIndex} to Kibana's alias of {@code spaceId}, creating the alert index first if needed (the
     * index templates must be installed, so it gets its mappings). A missing privilege is one WARN naming it, not a
     * failed start: alerts are still written, only not shown in Kibana.
     */
    public static Outcome join(ElasticsearchSinkConfig cfg, String spaceId) throws IOException {
        String alias = aliasOf(spaceId);
        try (RestClient client = ElasticsearchClients.restClient(cfg)) {
            JsonNode members;
            try {
                members = JSON.readTree(EntityUtils.toString(client.performRequest(new Request("GET", "/_alias/" + alias)).getEntity()));
            } catch (ResponseException e) {
                if (status(e) != 404) throw e;
                LOG.info("Kibana has not created its alerts alias {} yet (no detection rule has run in space {}): alerts go to {}"
                        + " only, and a later start adds it to the alias", alias, spaceId, cfg.alertsIndex);
                return Outcome.NO_KIBANA_ALIAS;
            }
            ElasticsearchTemplates.createIndex(client, cfg.alertsIndex);
            JsonNode ours = members.path(cfg.alertsIndex).path("aliases").path(alias);
            if (!ours.isMissingNode() && !ours.path("is_write_index").asBoolean(false)) {
                LOG.info("Alerts in {} show in Kibana's Alerts page of space {} (already in its alias {})", cfg.alertsIndex, spaceId, alias);
                return Outcome.ALREADY_JOINED;
            }
            ObjectNode body = JSON.createObjectNode();
            ObjectNode add = body.putArray("actions").addObject().putObject("add");
            add.put("index", cfg.alertsIndex);
            add.put("alias", alias);
            add.put("is_write_index", false);
            Request request = new Request("POST", "/_aliases");
            request.setEntity(new NStringEntity(body.toString(), ContentType.APPLICATION_JSON));
            client.performRequest(request);
            LOG.info("Alerts in {} show in Kibana's Alerts page of space {}: the index joined Kibana's alias {} (not for writing)",
                    cfg.alertsIndex, spaceId, alias);
            return Outcome.JOINED;
        } catch (ResponseException e) {
            if (status(e) != 403) throw ElasticsearchClients.explain(e, cfg);
            LOG.warn("Alerts in {} will not show in Kibana: the job may not add it to Kibana's alias {} (HTTP 403); grant the"
                    + " 'manage' index privilege on {} and {}, or set --es.kibana-alias false", cfg.alertsIndex, alias, cfg.alertsIndex, alias);
            return Outcome.NOT_PERMITTED;
        }
    }

    private static int status(ResponseException e) {
        return e.getResponse().getStatusLine().getStatusCode();
    }
}

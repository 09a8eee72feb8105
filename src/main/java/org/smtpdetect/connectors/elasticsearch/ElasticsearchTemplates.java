package org.smtpdetect.connectors.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.apache.http.util.EntityUtils;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Installs the composable index templates ({@code PUT _index_template/<index name>}) that give the alert,
 * execution and dead-letter indices their ECS / Kibana types, before the first document creates an index with
 * guessed types. Templates live in {@code src/main/resources/elasticsearch/}; each matches its configured index
 * name and {@code <name>-*}. Works on 7.8+ and 8.x.
 *
 * <p>A template is written when absent or older than ours (its {@code version}); one with the same or a newer
 * version (e.g. tuned by an operator who bumped it) is left alone.
 */
public final class ElasticsearchTemplates {
    private static final Logger LOG = LoggerFactory.getLogger(ElasticsearchTemplates.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private ElasticsearchTemplates() {}

    /**
     * Call once from the job's main() before execution. Returns the names of the templates it (re)wrote. This is
     * the job's first request to the cluster: rejected credentials, missing privileges and untrusted certificates
     * fail it with a message saying so ({@link ElasticsearchClients#explain}).
     */
    public static List<String> ensureTemplates(ElasticsearchSinkConfig cfg) throws IOException {
        try (RestClient client = ElasticsearchClients.restClient(cfg)) {
            List<String> written = new ArrayList<>();
            for (Map.Entry<String, String> t : templates(cfg).entrySet()) {
                if (ensureTemplate(client, t.getKey(), t.getValue())) written.add(t.getKey());
            }
            return written;
        } catch (IOException e) {
            throw ElasticsearchClients.explain(e, cfg);
        }
    }

    /** Template name (= index name) to template JSON, for the configured indices. */
    static Map<String, String> templates(ElasticsearchSinkConfig cfg) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put(cfg.alertsIndex, template("alerts-template.json", cfg.alertsIndex));
        t.put(cfg.executionsIndex, template("executions-template.json", cfg.executionsIndex));
        t.put(cfg.deadLettersIndex, template("dead-letters-template.json", cfg.deadLettersIndex));
        return t;
    }

    static String template(String resource, String index) {
        try (InputStream in = ElasticsearchTemplates.class.getResourceAsStream("/elasticsearch/" + resource)) {
            if (in == null) throw new IllegalStateException("missing resource elasticsearch/" + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("{{index}}", index);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean ensureTemplate(RestClient client, String name, String json) throws IOException {
        int ours = JSON.readTree(json).path("version").asInt();
        Integer installed = installedVersion(client, name);
        if (installed != null && installed >= ours) return false;
        Request put = new Request("PUT", "/_index_template/" + name);
        put.setEntity(new NStringEntity(json, ContentType.APPLICATION_JSON));
        client.performRequest(put);
        LOG.info("Installed index template {} version {} (was {})", name, ours, installed == null ? "absent" : installed);
        return true;
    }

    /** Version of the installed template, 0 if it has none, null if there is no such template. */
    private static Integer installedVersion(RestClient client, String name) throws IOException {
        Response r;
        try {
            r = client.performRequest(new Request("GET", "/_index_template/" + name));
        } catch (ResponseException e) {
            if (e.getResponse().getStatusLine().getStatusCode() == 404) return null;
            throw e;
        }
        JsonNode templates = JSON.readTree(EntityUtils.toString(r.getEntity())).path("index_templates");
        return templates.size() == 0 ? null : templates.get(0).path("index_template").path("version").asInt(0);
    }
}

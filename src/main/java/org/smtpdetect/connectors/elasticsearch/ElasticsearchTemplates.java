package org.smtpdetect.connectors.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.apache.http.util.EntityUtils;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.smtpdetect.alert.AlertFieldMap;

/**
 * Installs the composable index templates ({@code PUT _index_template/<index name>}) that give the alert,
 * execution and dead-letter indices their types, before the first document creates an index with guessed types.
 * Each matches its configured index name and {@code <name>-*}.
 *
 * <p>The alert template is Kibana's security alert index: the mappings of {@link AlertFieldMap} with
 * {@code dynamic: false}, {@code index.mapping.ignore_malformed: true} and {@code total_fields.limit: 2500}.
 * The node is asked which mapping types it has ({@code POST _index_template/_simulate}): a type it lacks (the
 * integ-test distributions have no {@code match_only_text}, {@code wildcard}, ...) is replaced by its stand-in
 * ({@link #STAND_INS}) and the substitutions are logged; a full distribution gets Kibana's own types.
 *
 * <p>A template is written when absent or older than ours (its {@code version}); one with the same or a newer
 * version (e.g. tuned by an operator who bumped it) is left alone. Existing alert indices then get what Kibana
 * gives its own at start-up: the template's mappings ({@code PUT _mapping}, fields whose existing mapping cannot
 * change keep it and are logged) and the field limit; static settings such as {@code ignore_malformed} apply from
 * the next index, so fields added to an older index get {@code ignore_malformed} one by one.
 */
public final class ElasticsearchTemplates {
    private static final Logger LOG = LoggerFactory.getLogger(ElasticsearchTemplates.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A mapping type a node may lack, and the documented type standing in for it. */
    static final Map<String, String> STAND_INS = Map.of(
            "match_only_text", "text", // same analysis; only scoring and positions differ
            "wildcard", "keyword",
            "version", "keyword",
            "constant_keyword", "keyword",
            "scaled_float", "float",
            "unsigned_long", "long",
            "flattened", "object");
    /** A stand-in keyword keeps every value under Lucene's 32,766-byte term limit (4 bytes per character at most). */
    static final int STAND_IN_KEYWORD_IGNORE_ABOVE = 8191;
    /** Types that accept a per-field {@code ignore_malformed} on every supported version. */
    private static final Set<String> IGNORE_MALFORMED_TYPES = Set.of("long", "integer", "short", "byte", "double",
            "float", "half_float", "scaled_float", "date", "date_nanos", "ip", "geo_point");
    private static final Pattern MISSING_TYPE = Pattern.compile(
            "(?i)(?:no handler for type|the mapper type) \\[([^\\]]+)\\] declared on field \\[([^\\]]*)\\]");
    static final int TOTAL_FIELDS_LIMIT = 2500;

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
                if (ensureTemplate(client, t.getKey(), t.getValue(), t.getKey().equals(cfg.alertsIndex))) written.add(t.getKey());
            }
            updateExistingIndices(client, cfg.alertsIndex);
            // Created now rather than by the first bulk, which would wait a second or two for it.
            createIndexIfPermitted(client, cfg.alertsIndex);
            createIndexIfPermitted(client, cfg.executionsIndex);
            return written;
        } catch (IOException e) {
            throw ElasticsearchClients.explain(e, cfg);
        }
    }

    /** Template name (= index name) to template JSON, for the configured indices, with Kibana's types. */
    static Map<String, String> templates(ElasticsearchSinkConfig cfg) {
        Map<String, String> t = new LinkedHashMap<>();
        t.put(cfg.alertsIndex, alertTemplate(cfg.alertsIndex));
        t.put(cfg.executionsIndex, template("executions-template.json", cfg.executionsIndex));
        t.put(cfg.deadLettersIndex, template("dead-letters-template.json", cfg.deadLettersIndex));
        return t;
    }

    /** The alert template: settings and metadata from {@code alerts-template.json}, mappings from {@link AlertFieldMap}. */
    static String alertTemplate(String index) {
        try {
            ObjectNode t = (ObjectNode) JSON.readTree(template("alerts-template.json", index));
            ObjectNode mappings = AlertFieldMap.alertIndex().mappings();
            mappings.set("_meta", t.path("_meta"));
            ((ObjectNode) t.get("template")).set("mappings", mappings);
            return JSON.writeValueAsString(t);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String template(String resource, String index) {
        try (InputStream in = ElasticsearchTemplates.class.getResourceAsStream("/elasticsearch/" + resource)) {
            if (in == null) throw new IllegalStateException("missing resource elasticsearch/" + resource);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("{{index}}", index);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * {@code template} as this node can install it: simulated until the node accepts it, each mapping type it
     * reports missing replaced by its stand-in. Logs one line naming the substitutions, if any.
     */
    static String withSupportedTypes(RestClient client, String name, String template) throws IOException {
        ObjectNode t = (ObjectNode) JSON.readTree(template);
        Map<String, String> substituted = new LinkedHashMap<>();
        while (true) {
            String missing;
            try {
                // Simulated under its own name, so an installed older version is replaced rather than overlapping.
                Request simulate = new Request("POST", "/_index_template/_simulate/" + name);
                simulate.setEntity(new NStringEntity(JSON.writeValueAsString(t), ContentType.APPLICATION_JSON));
                client.performRequest(simulate);
                break;
            } catch (ResponseException e) {
                missing = missingType(body(e.getResponse()));
                if (missing == null) throw e;
            }
            String standIn = STAND_INS.get(missing);
            if (standIn == null || substituted.containsKey(missing)) {
                throw new IOException("Elasticsearch has no mapping type [" + missing + "] and the alert index has no stand-in"
                        + " for it; use a distribution with the " + missing + " type");
            }
            substitute(t.path("template").path("mappings"), missing, standIn);
            substituted.put(missing, standIn);
        }
        if (!substituted.isEmpty()) {
            StringBuilder s = new StringBuilder();
            substituted.forEach((k, v) -> s.append(s.length() == 0 ? "" : ", ").append(k).append(" -> ").append(v));
            LOG.info("Elasticsearch lacks mapping types {}: the alert index maps them as stand-ins ({}); a full"
                    + " distribution gets Kibana's types", substituted.keySet(), s);
        }
        return JSON.writeValueAsString(t);
    }

    /** The mapping type an Elasticsearch error says it has no handler for (7.x and 8.x/9.x wording), or null. */
    static String missingType(String errorBody) {
        Matcher m = MISSING_TYPE.matcher(errorBody);
        return m.find() ? m.group(1) : null;
    }

    /** Replaces {@code "type": from} everywhere in a mapping (multi-fields included) by its stand-in. */
    static void substitute(JsonNode node, String from, String to) {
        if (node.isObject()) {
            ObjectNode o = (ObjectNode) node;
            if (from.equals(o.path("type").asText(null)) && !o.path("type").isObject()) {
                o.put("type", to);
                o.remove("scaling_factor");
                if (to.equals("keyword") && !o.has("ignore_above")) o.put("ignore_above", STAND_IN_KEYWORD_IGNORE_ABOVE);
                if (to.equals("object")) {
                    o.removeAll();
                    o.put("type", "object");
                    o.put("enabled", false);
                }
            }
            for (Iterator<JsonNode> it = o.elements(); it.hasNext(); ) substitute(it.next(), from, to);
        }
    }

    private static boolean ensureTemplate(RestClient client, String name, String json, boolean detectTypes) throws IOException {
        int ours = JSON.readTree(json).path("version").asInt();
        Integer installed = installedVersion(client, name);
        if (installed != null && installed >= ours) return false;
        if (detectTypes) json = withSupportedTypes(client, name, json);
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

    /** Creates {@code index} unless it exists (its template gives it its mappings). */
    static void createIndex(RestClient client, String index) throws IOException {
        try {
            client.performRequest(new Request("PUT", "/" + index));
        } catch (ResponseException e) {
            String body = e.getResponse().getEntity() == null ? "" : EntityUtils.toString(e.getResponse().getEntity());
            if (e.getResponse().getStatusLine().getStatusCode() != 400 || !body.contains("resource_already_exists_exception")) throw e;
        }
    }

    /** {@link #createIndex}, leaving it to the first write when the credentials may write but not create indices. */
    private static void createIndexIfPermitted(RestClient client, String index) throws IOException {
        try {
            createIndex(client, index);
        } catch (ResponseException e) {
            if (e.getResponse().getStatusLine().getStatusCode() != 403) throw e;
            LOG.debug("may not create index {} ahead of the first write: {}", index, reason(e));
        }
    }

    /**
     * What Kibana does for its existing alert indices at start-up: raises {@code total_fields.limit} (never
     * lowers it) and puts the installed template's mappings on each concrete index behind {@code alertsIndex}.
     */
    static void updateExistingIndices(RestClient client, String alertsIndex) throws IOException {
        JsonNode indices;
        try {
            indices = json(client.performRequest(new Request("GET", "/" + alertsIndex + "/_settings")));
        } catch (ResponseException e) {
            if (e.getResponse().getStatusLine().getStatusCode() == 404) return;
            throw e;
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = indices.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> index = it.next();
            try {
                updateIndex(client, index.getKey(), index.getValue().path("settings").path("index"));
            } catch (ResponseException e) {
                if (e.getResponse().getStatusLine().getStatusCode() != 403) throw e;
                LOG.warn("Cannot update the mappings of existing alert index {}: the credentials lack the manage privilege"
                        + " on it ({}); new alerts still go to it with its present mappings", index.getKey(), reason(e));
            }
        }
    }

    private static void updateIndex(RestClient client, String index, JsonNode settings) throws IOException {
        JsonNode simulated = json(client.performRequest(new Request("POST", "/_index_template/_simulate_index/" + index)))
                .path("template").path("mappings");
        if (!simulated.path("properties").isObject()) {
            LOG.warn("No index template matches alert index {}; its mappings are left as they are", index);
            return;
        }
        JsonNode existing = json(client.performRequest(new Request("GET", "/" + index + "/_mapping"))).path(index).path("mappings");
        ObjectNode update = simulated.deepCopy();
        Set<String> kept = new TreeSet<>();
        dropConflicts((ObjectNode) update.path("properties"), existing.path("properties"), "", kept);
        boolean strictIndex = !"true".equals(settings.path("mapping").path("ignore_malformed").asText());
        if (strictIndex) {
            keepWithIgnoreMalformed((ObjectNode) update.path("properties"), existing.path("properties"));
            addIgnoreMalformed(update.path("properties"));
        }

        int limit = Math.max(TOTAL_FIELDS_LIMIT, Math.max(settings.path("mapping").path("total_fields").path("limit").asInt(1000),
                countFields(existing.path("properties"), update.path("properties"))));
        Request settingsUpdate = new Request("PUT", "/" + index + "/_settings");
        settingsUpdate.setEntity(new NStringEntity("{\"index.mapping.total_fields.limit\":" + limit + "}", ContentType.APPLICATION_JSON));
        client.performRequest(settingsUpdate);

        Request put = new Request("PUT", "/" + index + "/_mapping");
        put.setEntity(new NStringEntity(JSON.writeValueAsString(update), ContentType.APPLICATION_JSON));
        try {
            client.performRequest(put);
        } catch (ResponseException e) {
            LOG.warn("Could not update the mappings of existing alert index {} ({}); it keeps its mappings, new alerts"
                    + " still go to it, and a new index (rollover or reindex) gets the template's", index, reason(e));
            return;
        }
        if (kept.isEmpty() && !strictIndex) {
            LOG.info("Updated the mappings of existing alert index {} to the template's", index);
        } else {
            LOG.warn("Updated the mappings of existing alert index {}; {} field(s) keep an older, incompatible mapping {}{}."
                    + " A new index (rollover to a new backing index, or a reindex) gets the template's mappings and settings",
                    index, kept.size(), kept, strictIndex ? " and the index lacks index.mapping.ignore_malformed (set per field instead)" : "");
        }
    }

    /**
     * Removes from {@code update} every field whose existing mapping cannot change into it: another type, a leaf
     * where an object is (or the reverse), an object's {@code enabled}, a multi-field of another type.
     */
    static void dropConflicts(ObjectNode update, JsonNode existing, String prefix, Set<String> kept) {
        for (Iterator<Map.Entry<String, JsonNode>> it = update.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode old = existing.path(e.getKey());
            if (old.isMissingNode()) continue;
            JsonNode now = e.getValue();
            String path = prefix + e.getKey();
            if (!kind(old).equals(kind(now)) || old.path("enabled").asBoolean(true) != now.path("enabled").asBoolean(true)
                    || multiFieldConflict(old.path("fields"), now.path("fields"))) {
                it.remove();
                kept.add(path);
            } else if (now.has("properties")) {
                dropConflicts((ObjectNode) now.get("properties"), old.path("properties"), path + ".", kept);
            }
        }
    }

    private static String kind(JsonNode mapping) {
        return mapping.path("type").asText(mapping.has("properties") || !mapping.has("type") ? "object" : "");
    }

    private static boolean multiFieldConflict(JsonNode old, JsonNode now) {
        for (Iterator<Map.Entry<String, JsonNode>> it = now.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (old.has(e.getKey()) && !kind(old.get(e.getKey())).equals(kind(e.getValue()))) return true;
        }
        return false;
    }

    /**
     * Adds to {@code update} the existing value fields it does not mention (e.g. typed by an older index's
     * dynamic mapping), so that they too get {@code ignore_malformed}: a later alert whose value does not fit
     * such a field then loses that value instead of being rejected.
     */
    private static void keepWithIgnoreMalformed(ObjectNode update, JsonNode existing) {
        for (Iterator<Map.Entry<String, JsonNode>> it = existing.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode old = e.getValue();
            JsonNode now = update.get(e.getKey());
            if (old.has("properties")) {
                if (now == null) now = update.putObject(e.getKey());
                if (now.isObject() && !now.has("type") || "object".equals(now.path("type").asText())) {
                    ObjectNode props = now.has("properties") ? (ObjectNode) now.get("properties") : ((ObjectNode) now).putObject("properties");
                    keepWithIgnoreMalformed(props, old.get("properties"));
                }
            } else if (now == null && IGNORE_MALFORMED_TYPES.contains(old.path("type").asText())) {
                update.set(e.getKey(), old.deepCopy());
            }
        }
    }

    private static void addIgnoreMalformed(JsonNode properties) {
        for (JsonNode f : properties) {
            if (IGNORE_MALFORMED_TYPES.contains(f.path("type").asText()) && !f.has("ignore_malformed")) {
                ((ObjectNode) f).put("ignore_malformed", true);
            }
            if (f.has("properties")) addIgnoreMalformed(f.get("properties"));
        }
    }

    /** Fields (objects, leaves, multi-fields) of the union of two mappings, as total_fields.limit counts them. */
    static int countFields(JsonNode a, JsonNode b) {
        Set<String> names = new TreeSet<>();
        collect(a, "", names);
        collect(b, "", names);
        return names.size();
    }

    private static void collect(JsonNode properties, String prefix, Set<String> out) {
        for (Iterator<Map.Entry<String, JsonNode>> it = properties.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String path = prefix + e.getKey();
            out.add(path);
            e.getValue().path("fields").fieldNames().forEachRemaining(mf -> out.add(path + "." + mf));
            collect(e.getValue().path("properties"), path + ".", out);
        }
    }

    private static JsonNode json(Response r) throws IOException {
        return JSON.readTree(EntityUtils.toString(r.getEntity()));
    }

    private static String body(Response r) throws IOException {
        return r.getEntity() == null ? "" : EntityUtils.toString(r.getEntity());
    }

    private static String reason(ResponseException e) {
        try {
            JsonNode error = JSON.readTree(body(e.getResponse())).path("error");
            return error.path("reason").asText(e.getMessage());
        } catch (IOException | RuntimeException notJson) {
            return e.getMessage();
        }
    }
}

package org.smtpdetect.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;

/** A minimal Elasticsearch REST client for tests: plain JSON over {@link HttpClient}, optionally over TLS with authentication. */
public final class EsRest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final String url;
    private final HttpClient http;
    private final String authorization;

    /** A client without authentication. */
    public EsRest(String url) {
        this.url = url;
        this.http = HTTP;
        this.authorization = null;
    }

    /**
     * A client that trusts the CAs of {@code ssl} for https (hostnames are verified) and sends {@code authorization}
     * (an {@code Authorization} header value such as {@code Basic ...} or {@code ApiKey ...}) with every request.
     */
    public EsRest(String url, SSLContext ssl, String authorization) {
        this.url = url;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).sslContext(ssl).build();
        this.authorization = authorization;
    }

    /** A response: status and body. */
    public record Response(int status, String body) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException("not JSON (" + status + "): " + body, e);
            }
        }

        /** This response, or an exception with its body unless the status is 2xx. */
        public Response ok() {
            if (status / 100 != 2) throw new IllegalStateException("HTTP " + status + ": " + body);
            return this;
        }
    }

    public Response get(String path) {
        return send("GET", path, null);
    }

    public Response put(String path, String json) {
        return send("PUT", path, json);
    }

    public Response post(String path, String json) {
        return send("POST", path, json);
    }

    public Response delete(String path) {
        return send("DELETE", path, null);
    }

    /** Makes recent writes to {@code index} searchable. */
    public void refresh(String index) {
        post("/" + index + "/_refresh", null).ok();
    }

    /** Refreshes {@code index}, then counts its documents. */
    public long count(String index) {
        refresh(index);
        return get("/" + index + "/_count").ok().json().path("count").asLong();
    }

    /** Refreshes {@code index}, then runs a search ({@code body} is the request JSON) and returns {@code hits.hits}. */
    public JsonNode search(String index, String body) {
        refresh(index);
        return post("/" + index + "/_search", body).ok().json().path("hits").path("hits");
    }

    /** {@code _source} of a document, or null when absent. */
    public JsonNode source(String index, String id) {
        Response r = get("/" + index + "/_doc/" + id);
        return r.status() == 404 ? null : r.ok().json().path("_source");
    }

    /** The mapped type of a (dotted) field in {@code index}, e.g. {@code "ip"}; null when unmapped. */
    public String fieldType(String index, String field) {
        JsonNode mappings = get("/" + index + "/_mapping/field/" + field).ok().json();
        for (JsonNode idx : mappings) {
            JsonNode f = idx.path("mappings").path(field).path("mapping");
            if (f.size() > 0) return f.elements().next().path("type").asText(null);
        }
        return null;
    }

    /**
     * Indexes {@code events} (id to JSON source) into {@code index} in bulks of 1,000, refreshing; returns the ids the
     * node accepted and puts the reason for each one it rejected into {@code rejections}.
     */
    public Set<String> bulkIndex(String index, Map<String, String> events, Map<String, String> rejections) {
        Set<String> accepted = new LinkedHashSet<>();
        List<String> ids = new ArrayList<>(events.keySet());
        for (int from = 0; from < ids.size(); from += 1000) {
            StringBuilder body = new StringBuilder();
            for (String id : ids.subList(from, Math.min(ids.size(), from + 1000))) {
                body.append("{\"index\":{\"_id\":\"").append(id).append("\"}}\n").append(events.get(id)).append('\n');
            }
            JsonNode r = post("/" + index + "/_bulk?refresh=true", body.toString()).ok().json();
            for (JsonNode i : r.get("items")) {
                JsonNode result = i.get("index");
                if (result.get("status").asInt() / 100 == 2) accepted.add(result.get("_id").asText());
                else rejections.put(result.get("_id").asText(), result.path("error").path("reason").asText());
            }
        }
        return accepted;
    }

    private Response send(String method, String path, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + (path.startsWith("/") ? path : "/" + path)))
                .timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) b.header("Content-Type", "application/json");
        if (authorization != null) b.header("Authorization", authorization);
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + url + path, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

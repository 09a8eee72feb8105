package org.smtpdetect.connectors.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Iterator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.http.util.EntityUtils;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RequestOptions;
import org.elasticsearch.client.Response;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;

/**
 * The version of the Elasticsearch cluster the sink writes to, read at start-up so that an unsupported server fails
 * the start-up with one line instead of failing bulks later.
 *
 * <p>Three ways, the first that answers wins: {@code GET /} (full distributions; needs the {@code monitor}
 * privilege), the local node's info ({@code monitor} too), and, for a least-privilege key or a build without the
 * root endpoint, the major version alone from how the node answers an unsupported REST compatibility version: 8.x
 * and 9.x name the two majors they accept ("Accept version must be either version 9 or 8"), 7.x accepts any.
 */
public record ElasticsearchVersion(int major, int minor, int patch, boolean exact) {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern NUMBER = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+).*");
    private static final Pattern ACCEPTED_MAJORS = Pattern.compile("must be either version (\\d+) or (\\d+)");

    /** What this sink supports; everything else fails the start-up. */
    public static final String SUPPORTED = "7.17, 8.x and 9.x";

    public static ElasticsearchVersion parse(String number) {
        Matcher m = NUMBER.matcher(number);
        if (!m.matches()) throw new IllegalArgumentException("not an Elasticsearch version number: " + number);
        return new ElasticsearchVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)), true);
    }

    /** An inexact 7.x (the minor could not be read) is given the benefit of the doubt. */
    public boolean isSupported() {
        return major == 8 || major == 9 || (major == 7 && (!exact || minor >= 17));
    }

    @Override
    public String toString() {
        return exact ? major + "." + minor + "." + patch : major + ".x";
    }

    /**
     * Asks the node. Connection and TLS failures and rejected credentials are thrown as they are (the caller words
     * them); a server that is not Elasticsearch, or answers none of the three, fails with what it answered.
     */
    public static ElasticsearchVersion detect(RestClient client) throws IOException {
        String rootAnswer;
        try {
            JsonNode root = json(client.performRequest(new Request("GET", "/")));
            String distribution = root.path("version").path("distribution").asText("");
            if (!distribution.isEmpty() && !distribution.equals("elasticsearch")) {
                throw new UnsupportedServerException("the server is " + distribution + " " + root.path("version").path("number").asText()
                        + ", not Elasticsearch");
            }
            if (root.path("version").path("number").isTextual()) return parse(root.path("version").path("number").asText());
            rootAnswer = "GET / answered without a version";
        } catch (ResponseException e) {
            rethrowIfAuthentication(e);
            rootAnswer = "GET / answered " + e.getResponse().getStatusLine().getStatusCode();
        }
        try {
            JsonNode nodes = json(client.performRequest(new Request("GET", "/_nodes/_local?filter_path=nodes.*.version"))).path("nodes");
            Iterator<JsonNode> it = nodes.elements();
            if (it.hasNext() && it.next().path("version").isTextual()) return parse(nodes.elements().next().path("version").asText());
        } catch (ResponseException e) {
            rethrowIfAuthentication(e);
        }
        return majorFromCompatibilityAnswer(client, rootAnswer);
    }

    private static ElasticsearchVersion majorFromCompatibilityAnswer(RestClient client, String rootAnswer) throws IOException {
        Request probe = new Request("GET", "/_cluster/health");
        RequestOptions.Builder options = RequestOptions.DEFAULT.toBuilder();
        options.addHeader("Accept", "application/vnd.elasticsearch+json;compatible-with=6");
        probe.setOptions(options);
        String answer;
        try {
            client.performRequest(probe);
            // Only 7.x takes any compatibility version without complaint.
            return new ElasticsearchVersion(7, 0, 0, false);
        } catch (ResponseException e) {
            rethrowIfAuthentication(e);
            answer = e.getResponse().getEntity() == null ? "" : EntityUtils.toString(e.getResponse().getEntity());
            Matcher m = ACCEPTED_MAJORS.matcher(answer);
            if (m.find()) return new ElasticsearchVersion(Math.max(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))), 0, 0, false);
            // The header passed (only 7.x lets it) and the health request itself was refused.
            if (e.getResponse().getStatusLine().getStatusCode() == 403) return new ElasticsearchVersion(7, 0, 0, false);
        }
        throw new UnsupportedServerException("cannot tell the server's version (" + rootAnswer + "; a REST compatibility probe answered "
                + abbreviate(answer) + ")");
    }

    private static void rethrowIfAuthentication(ResponseException e) throws ResponseException {
        if (e.getResponse().getStatusLine().getStatusCode() == 401) throw e;
    }

    private static JsonNode json(Response r) throws IOException {
        return JSON.readTree(EntityUtils.toString(r.getEntity()));
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    /** The server is not an Elasticsearch this sink can write to. */
    public static final class UnsupportedServerException extends IOException {
        private static final long serialVersionUID = 1L;

        public UnsupportedServerException(String message) {
            super(message);
        }
    }
}

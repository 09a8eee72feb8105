package org.smtpdetect.connectors.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManagerFactory;
import org.apache.http.Header;
import org.apache.http.HttpHeaders;
import org.apache.http.HttpHost;
import org.apache.http.message.BasicHeader;
import org.apache.http.util.EntityUtils;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.elasticsearch.client.RestClientBuilder;

/**
 * Low-level REST clients configured from an {@link ElasticsearchSinkConfig}: hosts, basic auth or API key, TLS
 * trust. Requests are plain JSON: the bulk call ({@link RestBulkCall}), the templates and the start-up checks use
 * nothing whose wire format differs between 7.17, 8.x and 9.x, so no REST compatibility headers are sent (9.x
 * refuses the {@code compatible-with=7} ones the 7.x client needs elsewhere).
 */
public final class ElasticsearchClients {
    private ElasticsearchClients() {}

    /** A low-level client for the configured hosts; close it when done. */
    public static RestClient restClient(ElasticsearchSinkConfig cfg) {
        return restClientBuilder(cfg).build();
    }

    static HttpHost[] httpHosts(ElasticsearchSinkConfig cfg) {
        return cfg.hosts.stream().map(URI::create).map(u -> new HttpHost(u.getHost(), u.getPort(), u.getScheme()))
                .toArray(HttpHost[]::new);
    }

    /** Applies the configuration to a builder (also used for the sink's high-level client). */
    static RestClientBuilder restClientBuilder(ElasticsearchSinkConfig cfg) {
        RestClientBuilder builder = RestClient.builder(httpHosts(cfg));
        List<Header> headers = new ArrayList<>();
        if (cfg.apiKey != null) {
            headers.add(new BasicHeader(HttpHeaders.AUTHORIZATION, "ApiKey " + cfg.apiKey));
        } else if (cfg.username != null) {
            String basic = Base64.getEncoder().encodeToString((cfg.username + ":" + cfg.password).getBytes(StandardCharsets.UTF_8));
            headers.add(new BasicHeader(HttpHeaders.AUTHORIZATION, "Basic " + basic));
        }
        builder.setDefaultHeaders(headers.toArray(Header[]::new));
        SSLContext ssl = cfg.caCertificatePem == null ? null : sslContext(cfg.caCertificatePem);
        if (ssl != null) builder.setHttpClientConfigCallback(http -> http.setSSLContext(ssl));
        return builder;
    }

    /**
     * The start-up check: reads the cluster's version ({@link ElasticsearchVersion#detect}) and fails with one line
     * naming the hosts and what to do when they cannot be reached, refuse the credentials, do not trust the
     * certificate or run a version this sink does not support.
     */
    public static ElasticsearchVersion checkCluster(ElasticsearchSinkConfig cfg) {
        String hosts = String.join(",", cfg.hosts);
        ElasticsearchVersion version;
        try (RestClient client = restClient(cfg)) {
            version = ElasticsearchVersion.detect(client);
        } catch (ElasticsearchVersion.UnsupportedServerException e) {
            throw new IllegalArgumentException("Elasticsearch " + hosts + ": " + e.getMessage() + "; this job supports "
                    + ElasticsearchVersion.SUPPORTED, e);
        } catch (IOException e) {
            IOException explained = explain(e, cfg);
            if (explained != e) throw new IllegalArgumentException(explained.getMessage(), e);
            throw new IllegalArgumentException("cannot reach Elasticsearch " + hosts + ": " + rootMessage(e)
                    + " (check --es.hosts and that the nodes are up)", e);
        }
        if (!version.isSupported()) {
            throw new IllegalArgumentException("Elasticsearch " + hosts + " runs " + version + ", which this job does not support;"
                    + " it supports " + ElasticsearchVersion.SUPPORTED);
        }
        return version;
    }

    /** The innermost cause's message, named by its class when it has none (connection refused has one). */
    static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        if (root instanceof java.net.ConnectException) return "connection refused";
        return root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
    }

    /**
     * {@code e} from a request made with {@code cfg}, reworded when the cause is the set-up: credentials rejected
     * (401), privileges missing (403) or a server certificate not trusted. The message names the host, the
     * authentication used and what to check; other failures are returned as they are.
     */
    public static IOException explain(IOException e, ElasticsearchSinkConfig cfg) {
        String auth = cfg.apiKey != null ? "the API key" : cfg.username != null ? "user '" + cfg.username + "'" : "no credentials";
        if (e instanceof ResponseException) {
            ResponseException re = (ResponseException) e;
            int status = re.getResponse().getStatusLine().getStatusCode();
            String host = re.getResponse().getHost().toURI();
            String request = re.getResponse().getRequestLine().getMethod() + " " + re.getResponse().getRequestLine().getUri();
            if (status == 401) {
                String hint = cfg.apiKey != null ? "check that the key is the encoded form and has not expired or been invalidated"
                        : cfg.username != null ? "check the password and that the user exists"
                        : "the cluster requires basic auth or an API key";
                return new IOException("authentication failed at " + host + " (HTTP 401 Unauthorized) with " + auth + ": " + hint
                        + ": " + errorReason(re), e);
            }
            if (status == 403) {
                return new IOException("authorization failed at " + host + " (HTTP 403 Forbidden): " + auth + " may not " + request
                        + ": " + errorReason(re), e);
            }
            return e;
        }
        if (e instanceof SSLException) {
            String hint = cfg.caCertificatePem == null
                    ? "no CA certificate is configured, so only the JVM's default CAs are trusted: configure the CA that signed"
                            + " Elasticsearch's certificate"
                    : "check that the configured CA signed Elasticsearch's certificate and that the certificate names the host";
            return new IOException("TLS connection to " + String.join(",", cfg.hosts) + " failed: " + e.getMessage() + " (" + hint + ")", e);
        }
        return e;
    }

    /** {@code error.reason} of an Elasticsearch error response, or its body. */
    private static String errorReason(ResponseException e) {
        try {
            String body = e.getResponse().getEntity() == null ? "" : EntityUtils.toString(e.getResponse().getEntity());
            JsonNode reason = new ObjectMapper().readTree(body)
                    .path("error").path("reason");
            return reason.isTextual() ? reason.asText() : body;
        } catch (IOException | RuntimeException notJson) {
            return e.getResponse().getStatusLine().toString();
        }
    }

    /** Trusts exactly the certificates in {@code pem} (hostnames are still verified). */
    public static SSLContext sslContext(String pem) {
        try {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) throw new IllegalArgumentException("no certificate in the CA PEM");
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new IllegalArgumentException("invalid CA certificate: " + e.getMessage(), e);
        }
    }
}

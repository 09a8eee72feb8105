package org.smtpdetect.connectors.elasticsearch;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Where and how the job writes to Elasticsearch. Immutable and serializable (it travels with the sink).
 *
 * <pre>{@code
 * ElasticsearchSinkConfig cfg = ElasticsearchSinkConfig.builder()
 *         .hosts("https://es1:9200,https://es2:9200")
 *         .apiKey(encodedKey)                        // or .basicAuth(user, password)
 *         .caCertificate(Path.of("/etc/es/ca.pem"))  // read now: task managers need not have the file
 *         .build();
 * }</pre>
 *
 * The job builds it from its options ({@code StreamingJob.elasticsearch}).
 */
public final class ElasticsearchSinkConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String DEFAULT_ALERTS_INDEX = "smtp-to-internet-alerts";
    public static final String DEFAULT_EXECUTIONS_INDEX = "smtp-to-internet-executions";
    public static final String DEFAULT_DEAD_LETTERS_INDEX = "smtp-to-internet-dead-letters";

    /** Delay between retries of a bulk or document that failed transiently (429, 5xx, connection). */
    public enum BackoffType { NONE, CONSTANT, EXPONENTIAL }

    /** {@link #backoffRetries} value: retry until Elasticsearch accepts the document. */
    public static final int UNLIMITED_RETRIES = -1;

    public final List<String> hosts;
    public final String username;
    public final String password;
    /** Encoded API key (base64 of {@code id:api_key}, as Kibana shows it). */
    public final String apiKey;
    /** PEM text of the CA certificate(s) trusted for https hosts; null trusts the JVM's default CAs. */
    public final String caCertificatePem;
    public final int bulkMaxActions;
    public final long bulkFlushIntervalMillis;
    public final BackoffType backoffType;
    /** Retries of one document before the sink fails, or {@link #UNLIMITED_RETRIES}. */
    public final int backoffRetries;
    public final long backoffDelayMillis;
    /** Longest delay between two retries of one document, however many failed before. */
    public final long maxBackoffMillis;
    public final String alertsIndex;
    public final String executionsIndex;
    public final String deadLettersIndex;

    private ElasticsearchSinkConfig(Builder b) {
        if (b.hosts.isEmpty()) throw new IllegalArgumentException("no Elasticsearch hosts");
        for (String h : b.hosts) {
            URI u = URI.create(h);
            if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme()) || u.getHost() == null || u.getPort() < 0) {
                throw new IllegalArgumentException("host must look like http(s)://host:port, got " + h);
            }
        }
        if (b.apiKey != null && b.username != null) throw new IllegalArgumentException("set basic auth or an API key, not both");
        if ((b.username == null) != (b.password == null)) throw new IllegalArgumentException("basic auth needs username and password");
        if (b.bulkMaxActions < 1) throw new IllegalArgumentException("bulk max actions must be positive");
        if (b.bulkFlushIntervalMillis < 1) throw new IllegalArgumentException("bulk flush interval must be positive");
        if (b.backoffRetries < UNLIMITED_RETRIES || b.backoffDelayMillis < 0) throw new IllegalArgumentException("negative backoff");
        if (b.maxBackoffMillis < b.backoffDelayMillis) throw new IllegalArgumentException("max backoff below the backoff delay");
        this.hosts = List.copyOf(b.hosts);
        this.username = b.username;
        this.password = b.password;
        this.apiKey = b.apiKey;
        this.caCertificatePem = b.caCertificatePem;
        this.bulkMaxActions = b.bulkMaxActions;
        this.bulkFlushIntervalMillis = b.bulkFlushIntervalMillis;
        this.backoffType = Objects.requireNonNull(b.backoffType);
        this.backoffRetries = b.backoffRetries;
        this.backoffDelayMillis = b.backoffDelayMillis;
        this.maxBackoffMillis = b.maxBackoffMillis;
        this.alertsIndex = requireIndexName(b.alertsIndex);
        this.executionsIndex = requireIndexName(b.executionsIndex);
        this.deadLettersIndex = requireIndexName(b.deadLettersIndex);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String toString() {
        return "ElasticsearchSinkConfig{hosts=" + hosts + ", auth=" + (apiKey != null ? "api-key" : username != null ? "basic:" + username : "none")
                + ", ca=" + (caCertificatePem != null) + ", bulk=" + bulkMaxActions + "/" + bulkFlushIntervalMillis + "ms, backoff="
                + backoffType + "x" + (backoffRetries == UNLIMITED_RETRIES ? "unlimited" : backoffRetries) + "/" + backoffDelayMillis + "-"
                + maxBackoffMillis + "ms, indices=" + alertsIndex + "," + executionsIndex
                + "," + deadLettersIndex + "}";
    }

    private static String requireIndexName(String name) {
        if (name == null || name.isEmpty() || !name.equals(name.toLowerCase(java.util.Locale.ROOT))
                || name.startsWith("_") || name.startsWith("-") || name.matches(".*[\\\\/*?\"<>| ,#:].*")) {
            throw new IllegalArgumentException("invalid index name: " + name);
        }
        return name;
    }

    /**
     * Builder with the defaults: bulk of 1000 actions flushed at least every second; retries without limit,
     * exponential from 100 ms, at most 30 s apart.
     */
    public static final class Builder {
        private List<String> hosts = List.of();
        private String username;
        private String password;
        private String apiKey;
        private String caCertificatePem;
        private int bulkMaxActions = 1000;
        private long bulkFlushIntervalMillis = 1000;
        private BackoffType backoffType = BackoffType.EXPONENTIAL;
        private int backoffRetries = UNLIMITED_RETRIES;
        private long backoffDelayMillis = 100;
        private long maxBackoffMillis = 30_000;
        private String alertsIndex = DEFAULT_ALERTS_INDEX;
        private String executionsIndex = DEFAULT_EXECUTIONS_INDEX;
        private String deadLettersIndex = DEFAULT_DEAD_LETTERS_INDEX;

        private Builder() {}

        /** Comma-separated {@code http(s)://host:port} list. */
        public Builder hosts(String commaSeparated) {
            this.hosts = Arrays.stream(commaSeparated.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
            return this;
        }

        public Builder basicAuth(String username, String password) {
            this.username = username;
            this.password = password;
            return this;
        }

        public Builder apiKey(String encodedApiKey) {
            this.apiKey = encodedApiKey;
            return this;
        }

        /** Trust the CA certificate(s) in this PEM file for https hosts. Read now, so only the client needs it. */
        public Builder caCertificate(Path pemFile) {
            try {
                return caCertificatePem(Files.readString(pemFile));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read CA certificate " + pemFile, e);
            }
        }

        public Builder caCertificatePem(String pem) {
            this.caCertificatePem = pem;
            return this;
        }

        public Builder bulkMaxActions(int actions) {
            this.bulkMaxActions = actions;
            return this;
        }

        /** Upper bound on how long a written document waits in the sink's buffer (default 1 s). */
        public Builder bulkFlushIntervalMillis(long millis) {
            this.bulkFlushIntervalMillis = millis;
            return this;
        }

        /** {@code retries} may be {@link #UNLIMITED_RETRIES}. */
        public Builder backoff(BackoffType type, int retries, long delayMillis) {
            this.backoffType = type;
            this.backoffRetries = retries;
            this.backoffDelayMillis = delayMillis;
            return this;
        }

        /** Caps the exponential backoff (default 30 s), so that recovery after a long outage takes seconds. */
        public Builder maxBackoffMillis(long millis) {
            this.maxBackoffMillis = millis;
            return this;
        }

        public Builder indices(String alerts, String executions, String deadLetters) {
            this.alertsIndex = alerts;
            this.executionsIndex = executions;
            this.deadLettersIndex = deadLetters;
            return this;
        }

        public ElasticsearchSinkConfig build() {
            return new ElasticsearchSinkConfig(this);
        }
    }
}

package org.smtpdetect.deploy;

import java.util.Set;

/**
 * The job's option names, as agreed for the command line ({@code --name value}) and the Flink
 * configuration ({@code smtp.<name>}). The deployment files may only use these.
 *
 * <p>This list is the contract the manifests are checked against while the job's own option
 * parser is written. Once the job's options class exists it is the single source of the names:
 * replace {@link #NAMES} by the names read from it, and these tests then follow it.
 */
final class JobOptionContract {

    /** Prefix of the options that pass a property straight to the Kafka clients. */
    static final String KAFKA_PROPERTY_PREFIX = "kafka.property.";

    /** Prefix of the job options inside the Flink configuration. */
    static final String FLINK_CONFIG_PREFIX = "smtp.";

    /** Prefixes of option values that are read from elsewhere instead of given inline. */
    static final String ENV_VALUE_PREFIX = "env:";
    static final String FILE_VALUE_PREFIX = "file:";

    static final Set<String> NAMES = Set.of(
            "rules",
            "timestamp-field",
            "max-out-of-orderness",
            "idleness",
            "early-alerts",
            "kafka.bootstrap-servers",
            "kafka.topics",
            "kafka.topic-pattern",
            "kafka.group-id",
            "kafka.starting-offsets",
            "es.hosts",
            "es.username",
            "es.password",
            "es.api-key",
            "es.ca-file",
            "es.alert-index",
            "es.status-index",
            "es.dead-letter-index",
            "dead-letter.topic",
            "es.bulk.max-actions",
            "es.bulk.flush-interval");

    private JobOptionContract() {
    }

    static boolean isOption(String name) {
        return NAMES.contains(name)
                || (name.startsWith(KAFKA_PROPERTY_PREFIX) && name.length() > KAFKA_PROPERTY_PREFIX.length());
    }
}

package org.smtpdetect.deploy;

import java.util.Set;

import org.smtpdetect.config.JobOptions;

/**
 * The job's option names, as agreed for the command line ({@code --name value}) and the Flink
 * configuration ({@code smtp.<name>}). The deployment files may only use these.
 *
 * <p>The names come from the job's own option parser, {@link JobOptions}: it is the contract, and
 * the deployment tests follow it.
 */
final class JobOptionContract {

    /** Prefix of the options that pass a property straight to the Kafka clients. */
    static final String KAFKA_PROPERTY_PREFIX = JobOptions.KAFKA_PROPERTY_PREFIX;

    /** Prefix of the job options inside the Flink configuration. */
    static final String FLINK_CONFIG_PREFIX = JobOptions.FLINK_CONFIG_PREFIX;

    /** Prefixes of option values that are read from elsewhere instead of given inline. */
    static final String ENV_VALUE_PREFIX = "env:";
    static final String FILE_VALUE_PREFIX = "file:";

    static final Set<String> NAMES = Set.copyOf(JobOptions.names());

    private JobOptionContract() {
    }

    static boolean isOption(String name) {
        return NAMES.contains(name)
                || (name.startsWith(KAFKA_PROPERTY_PREFIX) && name.length() > KAFKA_PROPERTY_PREFIX.length());
    }
}

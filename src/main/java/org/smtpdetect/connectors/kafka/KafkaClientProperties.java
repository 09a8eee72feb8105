package org.smtpdetect.connectors.kafka;

import org.apache.flink.connector.kafka.source.KafkaSourceOptions;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.smtpdetect.config.JobOptions;

import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The {@code kafka.property.*} options, split by client: the consumer, the producers and the admin client each
 * get only the properties they know, so none of them warns about properties "supplied but not used". A name no
 * client knows is a typo and fails the start-up.
 */
public final class KafkaClientProperties {
    private static final Set<String> CONSUMER = ConsumerConfig.configNames();
    private static final Set<String> PRODUCER = ProducerConfig.configNames();
    private static final Set<String> ADMIN = AdminClientConfig.configNames();
    /** The Kafka source's own settings, which it reads from the same properties. */
    private static final Set<String> SOURCE = Set.of(KafkaSourceOptions.CLIENT_ID_PREFIX.key(),
            KafkaSourceOptions.PARTITION_DISCOVERY_INTERVAL_MS.key(), KafkaSourceOptions.REGISTER_KAFKA_CONSUMER_METRICS.key(),
            KafkaSourceOptions.COMMIT_OFFSETS_ON_CHECKPOINT.key());

    private KafkaClientProperties() {}

    /** For the source's consumers (and the source's own settings). */
    public static Properties consumer(JobOptions o) {
        return select(o, CONSUMER, SOURCE);
    }

    /** For the dead-letter producers. */
    public static Properties producer(JobOptions o) {
        return select(o, PRODUCER, Set.of());
    }

    /** For admin clients (start-up check, broker and topic watch), with bootstrap servers set. */
    public static Properties admin(JobOptions o) {
        Properties p = select(o, ADMIN, Set.of());
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, o.text("kafka.bootstrap-servers"));
        return p;
    }

    /** Fails on a property that no Kafka client knows, suggesting the closest known name. */
    public static void validate(JobOptions o) {
        for (String name : o.kafkaProperties().keySet()) {
            if (CONSUMER.contains(name) || PRODUCER.contains(name) || ADMIN.contains(name) || SOURCE.contains(name)) continue;
            Set<String> known = new TreeSet<>(CONSUMER);
            known.addAll(PRODUCER);
            known.addAll(ADMIN);
            known.addAll(SOURCE);
            String best = JobOptions.closest(name, known);
            throw new IllegalArgumentException("option --" + JobOptions.KAFKA_PROPERTY_PREFIX + name + ": no Kafka client has a property "
                    + name + (best == null ? " (see the Kafka client configuration reference)" : " (did you mean " + best + "?)"));
        }
    }

    private static Properties select(JobOptions o, Set<String> names, Set<String> extra) {
        Properties p = new Properties();
        for (Map.Entry<String, String> e : o.kafkaProperties().entrySet()) {
            if (names.contains(e.getKey()) || extra.contains(e.getKey())) p.setProperty(e.getKey(), e.getValue());
        }
        return p;
    }
}

package org.smtpdetect.connectors.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Watches the Kafka cluster for the whole job, once (it runs beside the source's split enumerator): a broker
 * outage is one WARN when it starts and one INFO when it ends, in place of the clients' repeated connection
 * warnings (which the log configurations keep at ERROR); topics of the subscription that do not exist are
 * named once, and while no topic matches at all it says so every minute.
 */
final class KafkaWatch implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaWatch.class);
    static final int PROBE_TIMEOUT_MS = 3_000;

    private final Properties adminProperties;
    private final String servers;
    private final TopicSubscription subscription;
    private final Duration discoveryInterval;
    private final long probeEveryMs;
    private final long topicsEveryMs;
    private ScheduledExecutorService scheduler;
    private Admin admin;

    // Touched only on the scheduler's one thread.
    private long unreachableSince = -1;
    private Set<String> knownTopics;

    KafkaWatch(Properties adminProperties, TopicSubscription subscription, Duration discoveryInterval, long probeEveryMs, long topicsEveryMs) {
        this.adminProperties = new Properties();
        this.adminProperties.putAll(adminProperties);
        this.adminProperties.setProperty(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(PROBE_TIMEOUT_MS));
        this.adminProperties.setProperty(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(PROBE_TIMEOUT_MS));
        this.adminProperties.putIfAbsent(AdminClientConfig.CLIENT_ID_CONFIG, "smtp-to-internet-watch");
        this.servers = adminProperties.getProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
        this.subscription = subscription;
        this.discoveryInterval = discoveryInterval;
        this.probeEveryMs = probeEveryMs;
        this.topicsEveryMs = topicsEveryMs;
    }

    void start() {
        admin = Admin.create(adminProperties);
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "kafka-watch");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::probeBrokers, probeEveryMs, probeEveryMs, TimeUnit.MILLISECONDS);
        // With each partition discovery, at most every minute: a new topic is read from the next discovery on.
        scheduler.scheduleWithFixedDelay(this::checkTopics, 0, Math.min(topicsEveryMs, discoveryInterval.toMillis()), TimeUnit.MILLISECONDS);
    }

    private void probeBrokers() {
        try {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(PROBE_TIMEOUT_MS)).nodes().get(PROBE_TIMEOUT_MS + 1000L, TimeUnit.MILLISECONDS);
            reachable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            unreachable(e);
        }
    }

    private void reachable() {
        if (unreachableSince < 0) return;
        LOG.info("Kafka brokers {} reachable again after {} s", servers, Math.max(1, (System.nanoTime() - unreachableSince + 500_000_000L) / 1_000_000_000L));
        unreachableSince = -1;
    }

    private void unreachable(Exception e) {
        if (unreachableSince >= 0) return;
        unreachableSince = System.nanoTime();
        LOG.warn("Kafka brokers {} unreachable: {}; reading and dead letters resume where they stopped once they are back",
                servers, KafkaStartupCheck.reason(e, PROBE_TIMEOUT_MS));
    }

    private void checkTopics() {
        Set<String> matching;
        try {
            matching = subscription.matching(admin.listTopics(new ListTopicsOptions().timeoutMs(PROBE_TIMEOUT_MS)).names()
                    .get(PROBE_TIMEOUT_MS + 1000L, TimeUnit.MILLISECONDS));
            reachable();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (Exception e) {
            unreachable(e);
            return;
        }
        Set<String> missing = new TreeSet<>(subscription.namedTopics());
        missing.removeAll(matching);
        if (matching.isEmpty()) {
            LOG.warn("No Kafka topic on {} matches the subscription ({}) yet; waiting, and reading each one from its earliest offset within {} of its creation",
                    servers, subscription.describe(), words(discoveryInterval));
        } else if (knownTopics == null) {
            if (subscription.namedTopics().isEmpty()) LOG.info("Reading Kafka {}: {}", subscription.describe(), matching);
            else LOG.info("Reading Kafka topics {}", matching);
            if (!missing.isEmpty()) {
                LOG.warn("Kafka topics {} do not exist on {}; reading {} now and each missing one from its earliest offset within {} of its creation",
                        missing, servers, matching, words(discoveryInterval));
            }
        } else {
            Set<String> appeared = new TreeSet<>(matching);
            appeared.removeAll(knownTopics);
            if (!appeared.isEmpty()) {
                LOG.info("New Kafka topics {} match the subscription; reading them from their earliest offset within {}", appeared,
                        words(discoveryInterval));
            }
        }
        if (!matching.isEmpty()) knownTopics = matching;
    }

    static String words(Duration d) {
        long s = d.toSeconds();
        return s % 60 == 0 ? s / 60 + " min" : s + " s";
    }

    @Override
    public void close() {
        if (scheduler != null) scheduler.shutdownNow();
        if (admin != null) admin.close(Duration.ofSeconds(2));
    }
}

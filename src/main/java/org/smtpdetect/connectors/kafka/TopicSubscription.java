package org.smtpdetect.connectors.kafka;

import org.apache.flink.connector.kafka.source.enumerator.subscriber.KafkaSubscriber;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.smtpdetect.config.JobOptions;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Which topics the job reads, always as a pattern so that topics that do not exist yet are not an error: the
 * Kafka source fails on a fixed topic list with a missing topic, and discovers new topics only for a pattern.
 *
 * <ul>
 *   <li>{@code kafka.topic-pattern}: that regex;</li>
 *   <li>{@code kafka.topics}: exactly those names (the missing ones are read once created);</li>
 *   <li>neither: the rules' index patterns as topic patterns ({@link #topicRegex(String)}).</li>
 * </ul>
 *
 * The dead-letter topic is never read. As the source's subscriber, a failed discovery after a successful one
 * keeps the partitions it knows (a broker outage is reported by {@link KafkaWatch}), instead of failing the job.
 */
public final class TopicSubscription implements KafkaSubscriber {
    private static final long serialVersionUID = 1L;
    private static final long DISCOVERY_TIMEOUT_MS = 30_000;

    private final Pattern pattern;
    private final List<String> namedTopics;
    private final String excludedTopic;
    private transient Set<TopicPartition> lastDiscovered;

    private TopicSubscription(Pattern pattern, List<String> namedTopics, String excludedTopic) {
        this.pattern = pattern;
        this.namedTopics = List.copyOf(namedTopics);
        this.excludedTopic = excludedTopic;
    }

    /** The subscription the options ask for; {@code indexPatterns} are the rules' index patterns. */
    public static TopicSubscription of(JobOptions o, Collection<String> indexPatterns) {
        String deadLetters = o.text("es.dead-letter-index").isEmpty() ? o.text("dead-letter.topic") : "";
        if (!o.text("kafka.topic-pattern").isEmpty()) {
            return new TopicSubscription(Pattern.compile(o.text("kafka.topic-pattern")), List.of(), deadLetters);
        }
        if (!o.list("kafka.topics").isEmpty()) {
            List<String> quoted = new ArrayList<>();
            for (String t : o.list("kafka.topics")) quoted.add(literal(t));
            return new TopicSubscription(Pattern.compile(String.join("|", quoted)), o.list("kafka.topics"), deadLetters);
        }
        return new TopicSubscription(Pattern.compile(regexFor(indexPatterns)), List.of(), deadLetters);
    }

    /** One regex for all the index patterns, e.g. {@code filebeat.*|packetbeat.*|logs-endpoint\.events\..*}. */
    static String regexFor(Collection<String> indexPatterns) {
        Set<String> parts = new LinkedHashSet<>();
        for (String p : indexPatterns) {
            String regex = topicRegex(p);
            if (regex != null) parts.add(regex);
        }
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("the rules name no index pattern to derive Kafka topics from; set option --kafka.topics or --kafka.topic-pattern");
        }
        return String.join("|", parts);
    }

    /**
     * The topics an index pattern stands for. {@code *} matches anything; a trailing {@code -*} also matches the
     * bare name, because a beat's Kafka output writes to a topic named after the beat ({@code packetbeat}) unless
     * told otherwise, and sites often suffix it ({@code packetbeat-8.15}, {@code packetbeat_dmz}):
     * {@code packetbeat-*} becomes {@code packetbeat.*}. Other separators stay: {@code logs-endpoint.events.*}
     * (Elastic Defend's data streams, which reach Kafka under their data stream names such as
     * {@code logs-endpoint.events.network-default}) becomes {@code logs-endpoint\.events\..*}. Exclusions
     * ({@code -pattern}) and remote-cluster patterns ({@code cluster:pattern}) name no local topics: null.
     */
    static String topicRegex(String indexPattern) {
        String p = indexPattern.strip();
        if (p.isEmpty() || p.startsWith("-") || p.contains(":")) return null;
        if (p.endsWith("-*")) p = p.substring(0, p.length() - 2) + "*";
        StringBuilder b = new StringBuilder();
        for (char c : p.toCharArray()) {
            if (c == '*') b.append(".*");
            else b.append(literal(String.valueOf(c)));
        }
        return b.toString();
    }

    private static String literal(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if ("\\.[]{}()*+?^$|".indexOf(c) >= 0) b.append('\\');
            b.append(c);
        }
        return b.toString();
    }

    public boolean matches(String topic) {
        return !topic.equals(excludedTopic) && pattern.matcher(topic).matches();
    }

    /** The topics named by {@code kafka.topics}; empty for a pattern. */
    public List<String> namedTopics() {
        return namedTopics;
    }

    /** For log lines: the named topics or the pattern. */
    public String describe() {
        return namedTopics.isEmpty() ? "topics matching " + pattern.pattern() : "topics " + namedTopics;
    }

    /** The existing topics this subscription reads, sorted. */
    public Set<String> matching(Collection<String> existingTopics) {
        Set<String> out = new TreeSet<>();
        for (String t : existingTopics) if (matches(t)) out.add(t);
        return out;
    }

    @Override
    public Set<TopicPartition> getSubscribedTopicPartitions(AdminClient admin) {
        try {
            Set<String> topics = matching(admin.listTopics(new ListTopicsOptions().timeoutMs((int) DISCOVERY_TIMEOUT_MS))
                    .names().get(DISCOVERY_TIMEOUT_MS, TimeUnit.MILLISECONDS));
            Map<String, TopicDescription> described = admin.describeTopics(topics, new DescribeTopicsOptions().timeoutMs((int) DISCOVERY_TIMEOUT_MS))
                    .allTopicNames().get(DISCOVERY_TIMEOUT_MS, TimeUnit.MILLISECONDS);
            Set<TopicPartition> partitions = new HashSet<>();
            for (TopicDescription d : described.values()) {
                for (TopicPartitionInfo p : d.partitions()) partitions.add(new TopicPartition(d.name(), p.partition()));
            }
            lastDiscovered = partitions;
            return partitions;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted discovering " + describe(), e);
        } catch (Exception e) {
            // The first discovery decides the starting offsets of the initial partitions: it must not guess.
            if (lastDiscovered == null) throw new IllegalStateException("cannot discover " + describe() + ": " + e.getMessage(), e);
            return lastDiscovered;
        }
    }
}

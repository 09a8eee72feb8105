package org.smtpdetect.connectors.kafka;

import org.junit.jupiter.api.Test;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.rule.RuleLoader;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TopicSubscriptionTest {
    private static final List<String> SEED_INDICES = RuleLoader.loadDefault().index();

    private static TopicSubscription defaults(String... args) {
        return TopicSubscription.of(JobOptions.fromArgs(args), SEED_INDICES);
    }

    @Test
    void indexPatternsBecomeTopicPatterns() {
        assertThat(SEED_INDICES).containsExactly("filebeat-*", "packetbeat-*", "logs-endpoint.events.*");
        assertThat(TopicSubscription.topicRegex("filebeat-*")).isEqualTo("filebeat.*");
        assertThat(TopicSubscription.topicRegex("packetbeat-*")).isEqualTo("packetbeat.*");
        assertThat(TopicSubscription.topicRegex("logs-endpoint.events.*")).isEqualTo("logs-endpoint\\.events\\..*");
        assertThat(TopicSubscription.topicRegex("logs-*-default")).isEqualTo("logs-.*-default");
        assertThat(TopicSubscription.topicRegex("-logs-test*")).as("an exclusion").isNull();
        assertThat(TopicSubscription.topicRegex("remote:filebeat-*")).as("another cluster's").isNull();
        assertThat(TopicSubscription.regexFor(SEED_INDICES)).isEqualTo("filebeat.*|packetbeat.*|logs-endpoint\\.events\\..*");
    }

    @Test
    void theDefaultsReadTheTopicsBeatsAndDefendWrite() {
        TopicSubscription s = defaults();
        // A beat's Kafka output defaults to the beat's name; sites suffix it.
        assertThat(s.matches("packetbeat")).isTrue();
        assertThat(s.matches("filebeat")).isTrue();
        assertThat(s.matches("packetbeat-8.15.0")).isTrue();
        assertThat(s.matches("filebeat_dmz")).isTrue();
        // Elastic Defend through Logstash or Kafka Connect: the data stream's name.
        assertThat(s.matches("logs-endpoint.events.network-default")).isTrue();
        assertThat(s.matches("logs-endpoint.events")).isFalse();
        assertThat(s.matches("mypacketbeat")).isFalse();
        assertThat(s.matches("logs-endpointXevents.network")).isFalse();
        assertThat(s.matching(List.of("winlogbeat", "packetbeat", "filebeat-7", "__consumer_offsets"))).containsExactly("filebeat-7", "packetbeat");
        assertThat(s.namedTopics()).isEmpty();
        assertThat(s.describe()).isEqualTo("topics matching filebeat.*|packetbeat.*|logs-endpoint\\.events\\..*");
    }

    @Test
    void namedTopicsMatchExactlyThemselves() {
        TopicSubscription s = defaults("--kafka.topics", "packetbeat,logs-endpoint.events");
        assertThat(s.matches("packetbeat")).isTrue();
        assertThat(s.matches("logs-endpoint.events")).isTrue();
        assertThat(s.matches("logs-endpointXevents")).as("dots are literal").isFalse();
        assertThat(s.matches("packetbeat-8")).isFalse();
        assertThat(s.namedTopics()).containsExactly("packetbeat", "logs-endpoint.events");
        assertThat(s.describe()).isEqualTo("topics [packetbeat, logs-endpoint.events]");
    }

    @Test
    void aPatternIsTakenAsItIsButNeverReadsTheDeadLetterTopic() {
        TopicSubscription s = defaults("--kafka.topic-pattern", "beats-.*", "--dead-letter.topic", "beats-dead-letters");
        assertThat(s.matches("beats-packetbeat")).isTrue();
        assertThat(s.matches("beats-dead-letters")).isFalse();
        assertThat(s.matches("xbeats-packetbeat")).isFalse();
    }

    @Test
    void rulesWithoutIndexPatternsNeedTopics() {
        assertThatThrownBy(() -> TopicSubscription.of(JobOptions.fromArgs(), List.of("-excluded*")))
                .hasMessageContaining("set option --kafka.topics or --kafka.topic-pattern");
    }
}

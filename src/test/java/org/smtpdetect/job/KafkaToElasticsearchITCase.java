package org.smtpdetect.job;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.job.StreamingFixtures.RULE_ID;
import static org.smtpdetect.job.StreamingFixtures.alertId;
import static org.smtpdetect.job.StreamingFixtures.alertedInStatusRecords;
import static org.smtpdetect.job.StreamingFixtures.allHits;
import static org.smtpdetect.job.StreamingFixtures.awaitUntil;
import static org.smtpdetect.job.StreamingFixtures.badEvent;
import static org.smtpdetect.job.StreamingFixtures.count;
import static org.smtpdetect.job.StreamingFixtures.deadLetterKey;
import static org.smtpdetect.job.StreamingFixtures.deadLetters;
import static org.smtpdetect.job.StreamingFixtures.noise;
import static org.smtpdetect.job.StreamingFixtures.send;
import static org.smtpdetect.job.StreamingFixtures.smtpFlow;

/**
 * Beat events produced to a real Kafka broker become alert documents in a real Elasticsearch (7.17 and 8.19),
 * exactly once each, through the job on a MiniCluster at parallelism 2 with checkpoints.
 */
class KafkaToElasticsearchITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = StreamingFixtures.miniCluster(4);

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void eventsBecomeAlertsExactlyOnceAndAReplayWritesNoSecondCopy(String version) throws Exception {
        ElasticsearchService es = ElasticsearchService.get(version);
        KafkaService kafka = KafkaService.get();
        String run = "k2es-" + version.replace('.', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "-packetbeat";
        String deadLetterTopic = run + "-dead-letters";
        kafka.createTopic(topic, 2);
        kafka.createTopic(deadLetterTopic, 1);

        // 60 matches and 60 non-matches over 20 minutes, two bad records, then a clock tick far ahead on
        // both partitions so every execution fires.
        Set<String> expectedIds = new HashSet<>();
        Set<String> expectedDead = new HashSet<>();
        Instant t0 = Instant.parse("2024-06-01T08:00:00Z");
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
            for (int i = 0; i < 60; i++) {
                Instant t = t0.plusSeconds(20L * i);
                expectedIds.add(alertId(send(producer, topic, i % 2, smtpFlow(t, i))));
                send(producer, topic, (i + 1) % 2, noise(t, i));
            }
            expectedDead.add(deadLetterKey(send(producer, topic, 0, badEvent(Instant.parse("2024-06-01T08:05:00Z")))));
            expectedDead.add(deadLetterKey(send(producer, topic, 1, "not json at all")));
            for (int p = 0; p < 2; p++) send(producer, topic, p, noise(t0.plus(Duration.ofHours(2)), p));
        }

        String[] args = {
            "--kafka.bootstrap-servers", kafka.bootstrapServers(), "--kafka.topics", topic, "--kafka.group-id", run,
            "--kafka.starting-offsets", "earliest", "--dead-letter.topic", deadLetterTopic,
            "--es.hosts", es.url(), "--es.alert-index", run + "-alerts", "--es.status-index", run + "-executions",
            "--max-out-of-orderness", "10s", "--idleness", "2s",
        };
        EsRest rest = es.rest();
        String alerts = run + "-alerts";

        JobClient job = StreamingFixtures.startStreaming(args);
        awaitUntil(() -> count(rest, alerts) >= expectedIds.size(), Duration.ofSeconds(90), "alerts in " + alerts);
        Thread.sleep(2000); // anything extra would show up now
        job.cancel().get();

        List<JsonNode> hits = allHits(rest, alerts);
        Set<String> ids = new HashSet<>();
        for (JsonNode h : hits) ids.add(h.get("_id").asText());
        assertThat(hits).hasSize(expectedIds.size());
        assertThat(ids).isEqualTo(expectedIds);
        JsonNode one = hits.get(0).get("_source");
        assertThat(one.get("kibana.alert.uuid").asText()).isEqualTo(hits.get(0).get("_id").asText());
        assertThat(one.get("kibana.alert.rule.rule_id").asText()).isEqualTo(RULE_ID);
        assertThat(one.get("kibana.alert.rule.consumer").asText()).isEqualTo("siem");
        assertThat(one.get("event").get("kind").asText()).isEqualTo("signal");
        assertThat(one.get("kibana.alert.ancestors").get(0).get("index").asText()).isEqualTo(topic);
        assertThat(rest.fieldType(alerts, "source.ip")).isEqualTo("ip");
        assertThat(rest.fieldType(alerts, "destination.port")).isEqualTo("long");
        assertThat(rest.fieldType(alerts, "kibana.alert.rule.rule_id")).isEqualTo("keyword");
        assertThat(rest.fieldType(alerts, "kibana.alert.original_time")).isEqualTo("date");

        // A Kibana-style search finds them: the rule id and the source range.
        JsonNode found = rest.post("/" + alerts + "/_count", "{\"query\":{\"bool\":{\"filter\":[{\"term\":{\"kibana.alert.rule.rule_id\":\""
                + RULE_ID + "\"}},{\"term\":{\"source.ip\":\"10.0.0.0/8\"}}]}}}").ok().json();
        assertThat(found.path("count").asInt()).isEqualTo(expectedIds.size());

        String statusIndex = run + "-executions";
        assertThat(alertedInStatusRecords(rest, statusIndex)).isEqualTo(expectedIds.size());

        assertThat(deadLetters(kafka, deadLetterTopic)).containsExactlyInAnyOrderElementsOf(expectedDead);

        // Replay the same offsets from the start with a new consumer group: no second copy, no overwrite.
        Map<String, String> createdAt = new java.util.HashMap<>();
        for (JsonNode h : hits) createdAt.put(h.get("_id").asText(), h.get("_source").get("@timestamp").asText());
        args[5] = run + "-replay";
        JobClient replay = StreamingFixtures.startStreaming(args);
        awaitUntil(() -> count(rest, statusIndex) > 0 && deadLetters(kafka, deadLetterTopic).size() >= 2 * expectedDead.size(),
                Duration.ofSeconds(90), "the replay to reach its end");
        Thread.sleep(3000);
        replay.cancel().get();
        List<JsonNode> after = allHits(rest, alerts);
        assertThat(after).hasSize(expectedIds.size());
        for (JsonNode h : after) assertThat(h.get("_source").get("@timestamp").asText()).isEqualTo(createdAt.get(h.get("_id").asText()));
    }
}

package org.smtpdetect.job;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.OperatorIDPair;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.CompletedCheckpointStorageLocation;
import org.apache.flink.runtime.state.filesystem.AbstractFsCheckpointStorageAccess;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.shaded.guava31.com.google.common.hash.Hashing;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.graph.StreamGraph;
import org.apache.flink.streaming.api.graph.StreamNode;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.job.StreamingFixtures.alertId;
import static org.smtpdetect.job.StreamingFixtures.allHits;
import static org.smtpdetect.job.StreamingFixtures.alertedInStatusRecords;
import static org.smtpdetect.job.StreamingFixtures.awaitStable;
import static org.smtpdetect.job.StreamingFixtures.awaitUntil;
import static org.smtpdetect.job.StreamingFixtures.committedOffsets;
import static org.smtpdetect.job.StreamingFixtures.count;
import static org.smtpdetect.job.StreamingFixtures.endOffsets;
import static org.smtpdetect.job.StreamingFixtures.noise;
import static org.smtpdetect.job.StreamingFixtures.send;
import static org.smtpdetect.job.StreamingFixtures.smtpFlow;

/**
 * An upgrade by stop-with-savepoint and restore keeps the job's state: Kafka offsets, candidates waiting in
 * state for an execution that had not fired at the savepoint, the alert ids already settled, and the
 * checkpointed watermark. Every matching event is alerted exactly once across the upgrade, and every piece of
 * state in the savepoint belongs to an operator uid of the topology (restored with unclaimed state refused).
 */
class SavepointUpgradeITCase {
    private static final Instant T0 = Instant.parse("2024-06-01T08:00:00Z");
    /** The execution that has not fired at the savepoint: the watermark stops just before it. */
    private static final Instant PENDING_EXECUTION = T0.plus(Duration.ofMinutes(20));

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(noRestarts()).build());

    private static Configuration noRestarts() {
        Configuration c = new Configuration();
        c.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        return c;
    }

    @Test
    void pendingCandidatesSettledIdsAndTheWatermarkSurviveAnUpgradeBySavepoint(@TempDir Path dir) throws Exception {
        long started = System.nanoTime();
        ElasticsearchService es = ElasticsearchService.es8();
        KafkaService kafka = KafkaService.get();
        StreamingFixtures.Run streaming = StreamingFixtures.Run.create("upgrade", kafka);
        String run = streaming.id();
        String topic = streaming.topic();
        String alerts = streaming.alerts();
        String statuses = streaming.statuses();
        EsRest rest = es.rest();

        // Before the upgrade: 40 matches from 08:00 to 08:19:30, one every 30 s on alternating partitions, and a
        // tick at 08:20 on both. The watermark ends at 08:19:49.999: executions 08:05, 08:10 and 08:15 fire,
        // 08:20 does not, so the matches of [08:15, 08:20) wait in state.
        Map<String, Instant> expected = new LinkedHashMap<>();
        Set<String> mustBePending = new HashSet<>();
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
            for (int i = 0; i < 40; i++) {
                Instant t = T0.plusSeconds(30L * i);
                String id = alertId(send(producer, topic, i % 2, smtpFlow(t, i)));
                expected.put(id, t);
                if (!t.isBefore(PENDING_EXECUTION.minus(Duration.ofMinutes(5)))) mustBePending.add(id);
                send(producer, topic, (i + 1) % 2, noise(t, i));
            }
            for (int p = 0; p < 2; p++) send(producer, topic, p, noise(PENDING_EXECUTION, p));
        }
        Map<Integer, Long> beforeUpgrade = endOffsets(kafka, topic, 2);
        String[] args = streaming.args(kafka, es);

        JobClient first = start(args, dir, null).client;
        // Everything produced is read and checkpointed, and the alerts of the fired executions are written.
        awaitUntil(() -> committedOffsets(kafka, run).equals(beforeUpgrade), Duration.ofSeconds(90),
                "offsets " + beforeUpgrade + " committed by a checkpoint");
        awaitUntil(() -> count(rest, alerts) > 0, Duration.ofSeconds(60), "the first alerts");
        awaitStable(() -> count(rest, alerts), Duration.ofSeconds(3), Duration.ofSeconds(60));
        String savepoint = first.stopWithSavepoint(false, dir.resolve("savepoints").toUri().toString(),
                SavepointFormatType.CANONICAL).get(120, TimeUnit.SECONDS);
        long stoppedAt = System.nanoTime();

        Set<String> alertedBefore = ids(rest, alerts);
        Set<String> pendingAtSavepoint = new HashSet<>(expected.keySet());
        pendingAtSavepoint.removeAll(alertedBefore);
        assertThat(committedOffsets(kafka, run)).isEqualTo(beforeUpgrade);
        assertThat(expected.keySet()).containsAll(alertedBefore);
        assertThat(pendingAtSavepoint).containsAll(mustBePending);
        System.out.printf("Savepoint upgrade: %d alerts before the savepoint, %d candidates pending in it (%s)%n",
                alertedBefore.size(), pendingAtSavepoint.size(), savepoint);

        // While the job is down: a match at 08:05 (whose last execution, 08:10, fired before the savepoint),
        // 20 more matches from 08:20, and ticks far ahead so every execution fires.
        String lateId;
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
            RecordMetadata late = send(producer, topic, 0, smtpFlow(T0.plus(Duration.ofMinutes(5)), 999));
            lateId = alertId(late);
            expected.put(lateId, T0.plus(Duration.ofMinutes(5)));
            for (int i = 40; i < 60; i++) {
                Instant t = T0.plusSeconds(30L * i);
                expected.put(alertId(send(producer, topic, i % 2, smtpFlow(t, i))), t);
                send(producer, topic, (i + 1) % 2, noise(t, i));
            }
            for (int p = 0; p < 2; p++) send(producer, topic, p, noise(T0.plus(Duration.ofHours(3)), p));
        }

        // The upgrade: a new job graph from the same code, restored from the savepoint, unclaimed state refused.
        Started second = start(args, dir, savepoint);
        assertThat(second.graph.getSavepointRestoreSettings().restoreSavepoint()).isTrue();
        assertThat(second.graph.getSavepointRestoreSettings().allowNonRestoredState()).isFalse();
        assertSavepointStateBelongsToTopologyUids(savepoint, second.graph);
        awaitUntil(() -> count(rest, alerts) >= expected.size(), Duration.ofSeconds(90), "all alerts after the restore");
        awaitStable(() -> count(rest, alerts), Duration.ofSeconds(3), Duration.ofSeconds(30));
        second.client.cancel().get(60, TimeUnit.SECONDS);

        Map<String, JsonNode> hits = new HashMap<>();
        for (JsonNode h : allHits(rest, alerts)) hits.put(h.get("_id").asText(), h.get("_source"));
        assertThat(hits.keySet()).isEqualTo(expected.keySet());
        assertThat(count(rest, alerts)).isEqualTo(expected.size());
        // Each alerted once: the executions' status records add up to the number of alerts.
        assertThat(alertedInStatusRecords(rest, statuses)).as("status records %s", rest.search(statuses, "{\"size\":100}"))
                .isEqualTo(expected.size());
        // The candidates pending at the savepoint were alerted by the restored job's 08:20 execution.
        for (String id : pendingAtSavepoint) {
            assertThat(hits.get(id).get("detection.late").asBoolean()).as("late flag of pending %s", id).isFalse();
            assertThat(hits.get(id).get("detection.execution_time").asText()).isEqualTo(PENDING_EXECUTION.toString());
        }
        // The restored watermark makes the 08:05 match late, attributed to the execution 08:10 that had fired.
        assertThat(hits.get(lateId).get("detection.late").asBoolean()).isTrue();
        assertThat(hits.get(lateId).get("detection.execution_time").asText()).isEqualTo(T0.plus(Duration.ofMinutes(10)).toString());
        System.out.printf("Savepoint upgrade: %d alerts in all, %.1f s after the stop, test took %.1f s%n",
                hits.size(), (System.nanoTime() - stoppedAt) / 1e9, (System.nanoTime() - started) / 1e9);
    }

    private record Started(JobClient client, StreamGraph graph) {}

    /** Starts the streaming job as DetectionJob would, optionally restored from {@code savepoint}. */
    private static Started start(String[] args, Path dir, String savepoint) throws Exception {
        StreamExecutionEnvironment env = StreamingFixtures.streamingEnvironment(dir, savepoint);
        JobOptions options = JobOptions.fromArgs(args);
        StreamingJob.define(env, DetectionJob.settings(options, DetectionJob.loadRules(options)), options);
        StreamGraph graph = env.getStreamGraph();
        return new Started(env.executeAsync(graph), graph);
    }

    /**
     * Every operator in the savepoint has the id Flink derives from one of the topology's uids (none from an
     * auto-generated hash that a code change would move), the job graph has those ids, and the stateful
     * operators (source offsets, executions) hold state.
     */
    private static void assertSavepointStateBelongsToTopologyUids(String savepoint, StreamGraph graph) throws Exception {
        Map<OperatorID, String> uidsById = new HashMap<>();
        for (StreamNode node : graph.getStreamNodes()) {
            assertThat(node.getTransformationUID()).as("uid of %s", node.getOperatorName()).isNotNull();
            uidsById.put(operatorId(node.getTransformationUID()), node.getTransformationUID());
        }
        Set<OperatorID> inJobGraph = new HashSet<>();
        for (JobVertex vertex : graph.getJobGraph().getVertices()) {
            for (OperatorIDPair pair : vertex.getOperatorIDs()) inJobGraph.add(pair.getGeneratedOperatorID());
        }
        assertThat(inJobGraph).containsExactlyInAnyOrderElementsOf(uidsById.keySet());

        Map<String, Long> stateByUid = new TreeMap<>();
        for (OperatorState state : loadSavepoint(savepoint).getOperatorStates()) {
            String uid = uidsById.get(state.getOperatorID());
            assertThat(uid).as("uid of savepoint operator %s", state.getOperatorID()).isNotNull();
            stateByUid.put(uid, state.getStateSize());
        }
        assertThat(stateByUid.keySet()).containsExactlyInAnyOrderElementsOf(uidsById.values());
        assertThat(stateByUid.get(DetectionTopology.SOURCE_UID)).isPositive();
        assertThat(stateByUid.get(DetectionTopology.EXECUTIONS_UID)).isPositive();
        System.out.println("Savepoint upgrade: state bytes by operator uid " + stateByUid);
    }

    /** The operator id Flink's StreamGraphHasherV2 gives an operator with this uid. */
    private static OperatorID operatorId(String uid) {
        return new OperatorID(Hashing.murmur3_128(0).newHasher().putString(uid, StandardCharsets.UTF_8).hash().asBytes());
    }

    private static CheckpointMetadata loadSavepoint(String pointer) throws Exception {
        CompletedCheckpointStorageLocation location = AbstractFsCheckpointStorageAccess.resolveCheckpointPointer(pointer);
        try (InputStream in = location.getMetadataHandle().openInputStream()) {
            return Checkpoints.loadCheckpointMetadata(new DataInputStream(in), SavepointUpgradeITCase.class.getClassLoader(), pointer);
        }
    }

    private static Set<String> ids(EsRest rest, String index) {
        Set<String> ids = new HashSet<>();
        for (JsonNode h : allHits(rest, index)) ids.add(h.get("_id").asText());
        return ids;
    }
}

package org.smtpdetect.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smtpdetect.config.JobOptions;

class CheckpointingTest {
    @TempDir
    Path dir;

    private static final String[] STREAMING = {"--kafka.bootstrap-servers", "127.0.0.1:9092", "--es.hosts", "http://127.0.0.1:9200",
        "--kafka.group-id", "g1"};

    private JobOptions options(String... more) {
        String[] all = new String[STREAMING.length + more.length + 2];
        System.arraycopy(STREAMING, 0, all, 0, STREAMING.length);
        all[STREAMING.length] = "--checkpoint-dir";
        all[STREAMING.length + 1] = dir.toString();
        System.arraycopy(more, 0, all, STREAMING.length + 2, more.length);
        return JobOptions.fromArgs(all);
    }

    private Path checkpoint(String job, int n, Instant modified, boolean complete) throws Exception {
        Path chk = Files.createDirectories(dir.resolve("g1").resolve(job).resolve("chk-" + n));
        if (complete) Files.setLastModifiedTime(Files.writeString(chk.resolve("_metadata"), "x"), FileTime.from(modified));
        return chk;
    }

    @Test
    void aLocalRunCheckpointsByDefaultIntoItsGroupsDirectoryAndResumesFromTheNewestCompleteCheckpoint() throws Exception {
        checkpoint("job-a", 7, Instant.parse("2026-12-01T10:00:00Z"), true);
        Path newest = checkpoint("job-b", 3, Instant.parse("2026-12-01T11:00:00Z"), true);
        checkpoint("job-b", 4, Instant.parse("2026-12-01T12:00:00Z"), false);
        LocalStreamEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(new Configuration());

        Checkpointing.configure(env, options());

        assertThat(env.getCheckpointConfig().getCheckpointInterval()).isEqualTo(30_000);
        Configuration c = (Configuration) env.getConfiguration();
        assertThat(c.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo(dir.resolve("g1").toUri().toString());
        assertThat(c.get(StateRecoveryOptions.SAVEPOINT_PATH)).isEqualTo(newest.toUri().toString());
    }

    @Test
    void resumingCanBeTurnedOffAndAnEmptyDirectoryStartsFresh() throws Exception {
        LocalStreamEnvironment fresh = StreamExecutionEnvironment.createLocalEnvironment(new Configuration());
        Checkpointing.configure(fresh, options());
        assertThat(((Configuration) fresh.getConfiguration()).getOptional(StateRecoveryOptions.SAVEPOINT_PATH)).isEmpty();

        checkpoint("job-a", 1, Instant.now(), true);
        LocalStreamEnvironment off = StreamExecutionEnvironment.createLocalEnvironment(new Configuration());
        Checkpointing.configure(off, options("--resume-from-checkpoint", "false", "--checkpoint-interval", "5s"));
        assertThat(((Configuration) off.getConfiguration()).getOptional(StateRecoveryOptions.SAVEPOINT_PATH)).isEmpty();
        assertThat(off.getCheckpointConfig().getCheckpointInterval()).isEqualTo(5_000);
    }

    @Test
    void theClustersOwnIntervalWinsUnlessTheOptionIsGivenAndZeroDisables() {
        Configuration cluster = new Configuration();
        cluster.setString("execution.checkpointing.interval", "45s");
        StreamExecutionEnvironment configured = StreamExecutionEnvironment.getExecutionEnvironment(cluster);
        Checkpointing.configure(configured, options());
        assertThat(configured.getCheckpointConfig().getCheckpointInterval()).isEqualTo(45_000);

        StreamExecutionEnvironment overridden = StreamExecutionEnvironment.getExecutionEnvironment(cluster);
        Checkpointing.configure(overridden, options("--checkpoint-interval", "10s"));
        assertThat(overridden.getCheckpointConfig().getCheckpointInterval()).isEqualTo(10_000);

        LocalStreamEnvironment disabled = StreamExecutionEnvironment.createLocalEnvironment(new Configuration());
        Checkpointing.configure(disabled, options("--checkpoint-interval", "0"));
        assertThat(disabled.getCheckpointConfig().isCheckpointingEnabled()).isFalse();
    }

    @Test
    void theHomeDirectoryShorthandIsExpanded() {
        Path expanded = Checkpointing.localDirectory(JobOptions.fromArgs(STREAMING));
        assertThat(expanded).isEqualTo(Path.of(System.getProperty("user.home"), ".smtp-to-internet", "checkpoints", "g1"));
    }
}

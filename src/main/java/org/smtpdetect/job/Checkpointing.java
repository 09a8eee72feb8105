package org.smtpdetect.job;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.core.execution.RestoreMode;
import org.apache.flink.streaming.api.CheckpointingMode;
import org.apache.flink.streaming.api.environment.CheckpointConfig;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.smtpdetect.config.JobOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Comparator;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Checkpointing of the streaming job, in every way it is started.
 *
 * <p>Kafka offsets are committed when a checkpoint completes, and a checkpoint completes only once the sinks have
 * every alert it covers acknowledged, so the committed offsets never run ahead of Elasticsearch. They are not enough
 * to resume, though: a match read before the checkpoint whose execution had not fired yet lives in the checkpoint's
 * state, not in Kafka. So a restart must restore the newest checkpoint. On a cluster that is Flink's job (the
 * Kubernetes operator's last-state or savepoint upgrades, {@code flink run -s}); a local run ({@code mvn exec:java})
 * keeps its checkpoints in {@code checkpoint-dir} per consumer group and restores the newest one itself.
 */
final class Checkpointing {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointing.class);
    private static final String METADATA = "_metadata";

    private Checkpointing() {}

    /** Configures {@code env} for a streaming run from the options; see the class comment. */
    static void configure(StreamExecutionEnvironment env, JobOptions options) {
        boolean local = env instanceof LocalStreamEnvironment;
        CheckpointConfig checkpoints = env.getCheckpointConfig();
        Duration interval = options.duration("checkpoint-interval");
        if (!options.isSet("checkpoint-interval") && checkpoints.isCheckpointingEnabled()) {
            LOG.info("Checkpoints every {}, as the cluster configures them", human(Duration.ofMillis(checkpoints.getCheckpointInterval())));
            return;
        }
        if (interval.isZero()) {
            LOG.warn("Checkpointing is disabled (--checkpoint-interval 0): Kafka offsets are never committed and a restart"
                    + " re-reads from --kafka.starting-offsets");
            return;
        }
        env.enableCheckpointing(interval.toMillis(), CheckpointingMode.EXACTLY_ONCE);
        if (!local) {
            LOG.info("Checkpoints every {}", human(interval));
            return;
        }
        Path dir = localDirectory(options);
        Configuration c = new Configuration();
        c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, dir.toUri().toString());
        c.set(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION, ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        c.set(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS, 1);
        Optional<Path> newest = options.bool("resume-from-checkpoint") ? newestCheckpoint(dir) : Optional.empty();
        if (newest.isPresent()) {
            c.set(StateRecoveryOptions.SAVEPOINT_PATH, newest.get().toUri().toString());
            c.set(StateRecoveryOptions.RESTORE_MODE, RestoreMode.CLAIM);
            LOG.info("Resuming from checkpoint {} (taken {}); --resume-from-checkpoint false starts from the committed offsets"
                    + " instead", newest.get(), modified(newest.get().resolve(METADATA)));
        } else {
            LOG.info("Checkpoints every {} into {}", human(interval), dir);
        }
        env.configure(c);
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** {@code checkpoint-dir} ({@code ~} is the user's home) with the consumer group below it. */
    static Path localDirectory(JobOptions options) {
        String configured = options.text("checkpoint-dir");
        Path base = configured.equals("~") || configured.startsWith("~/")
                ? Path.of(System.getProperty("user.home"), configured.substring(1).replaceFirst("^/", ""))
                : Path.of(configured);
        return base.toAbsolutePath().resolve(options.text("kafka.group-id"));
    }

    /** The newest complete checkpoint ({@code <job id>/chk-<n>/_metadata}) below {@code dir}. */
    static Optional<Path> newestCheckpoint(Path dir) {
        if (!Files.isDirectory(dir)) return Optional.empty();
        try (Stream<Path> files = Files.find(dir, 3, (p, attrs) -> attrs.isRegularFile() && p.getFileName().toString().equals(METADATA)
                && p.getParent().getFileName().toString().startsWith("chk-"))) {
            return files.max(Comparator.comparing(Checkpointing::modified)).map(Path::getParent);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read --checkpoint-dir " + dir, e);
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package org.smtpdetect.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** flink-conf/: Flink's own loader reads it, and it holds only real, current Flink keys. */
class FlinkConfigFileTest {

    private static final String CONF_DIR = "flink-conf";

    private static Configuration load() {
        return GlobalConfiguration.loadConfiguration(ProjectFiles.path(CONF_DIR).toString());
    }

    @Test
    void everyKeyIsACurrentFlinkOptionWithAValidValue() {
        Configuration configuration = load();

        assertThat(configuration.keySet()).hasSizeGreaterThan(20);
        assertThat(FlinkConfigKeys.get().problems(configuration, false)).isEmpty();
    }

    @Test
    void aMisspeltKeyIsReported(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.yaml"), String.join("\n",
                "execution:",
                "  checkpointing:",
                "    intervall: 30s",
                "taskmanager.numberOfTaskSlots: 2",
                "state.backend.typ: hashmap",
                ""));

        Configuration configuration = GlobalConfiguration.loadConfiguration(dir.toString());

        assertThat(FlinkConfigKeys.get().problems(configuration, false)).containsExactly(
                "unknown Flink key: execution.checkpointing.intervall",
                "unknown Flink key: state.backend.typ");
    }

    @Test
    void deprecatedKeysAndBadValuesAreReported(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("config.yaml"), String.join("\n",
                "state.checkpoints.dir: file:///tmp/cp",
                "execution.checkpointing.interval: every-now-and-then",
                "metrics.reporter.prom.port: 9249",
                ""));

        List<String> problems = FlinkConfigKeys.get().problems(
                GlobalConfiguration.loadConfiguration(dir.toString()), false);

        assertThat(problems).hasSize(2);
        assertThat(problems.get(0)).startsWith("invalid value for execution.checkpointing.interval");
        assertThat(problems.get(1))
                .isEqualTo("deprecated Flink key: state.checkpoints.dir (now execution.checkpointing.dir)");
    }

    @Test
    void checkpointingIsExactlyOnceAndRetained() {
        Configuration configuration = load();

        assertThat(configuration.get(CheckpointingOptions.CHECKPOINTING_INTERVAL)).isEqualTo(Duration.ofSeconds(30));
        assertThat(configuration.get(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE))
                .isEqualTo(CheckpointingMode.EXACTLY_ONCE);
        assertThat(configuration.get(CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION).name())
                .isEqualTo("RETAIN_ON_CANCELLATION");
        assertThat(configuration.get(CheckpointingOptions.MIN_PAUSE_BETWEEN_CHECKPOINTS)).isPositive();
        assertThat(configuration.get(CheckpointingOptions.CHECKPOINTING_TIMEOUT)).isGreaterThan(Duration.ofMinutes(1));
        assertThat(configuration.get(CheckpointingOptions.TOLERABLE_FAILURE_NUMBER)).isPositive();
        assertThat(configuration.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).startsWith("file:///");
        assertThat(configuration.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).startsWith("file:///");
        assertThat(configuration.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("hashmap");
    }

    @Test
    void restartsBackOffExponentiallyAndKryoIsNotASilentFallback() {
        Configuration configuration = load();

        assertThat(configuration.get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("exponential-delay");
        assertThat(configuration.get(PipelineOptions.GENERIC_TYPES)).isFalse();
        assertThat(configuration.get(TaskManagerOptions.NUM_TASK_SLOTS)).isEqualTo(2);
    }

    @Test
    void javaOptionsOpenWhatFlinkNeedsOnJava17() {
        String options = load().get(CoreOptions.FLINK_JVM_OPTIONS);

        for (String opened : List.of("java.base/java.util", "java.base/java.lang", "java.base/java.net",
                "java.base/java.io", "java.base/java.nio", "java.base/sun.nio.ch", "java.base/java.lang.reflect",
                "java.base/java.text", "java.base/java.time", "java.base/java.util.concurrent",
                "java.base/java.util.concurrent.atomic", "java.base/java.util.concurrent.locks",
                "java.base/java.lang.invoke", "java.base/java.math", "java.sql/java.sql")) {
            assertThat(options).contains("--add-opens=" + opened + "=ALL-UNNAMED");
        }
        assertThat(options).contains("--add-exports=java.base/sun.net.util=ALL-UNNAMED");
    }

    @Test
    void prometheusReporterIsEnabled() {
        Configuration configuration = load();

        assertThat(configuration.toMap())
                .containsEntry("metrics.reporters", "prom")
                .containsEntry("metrics.reporter.prom.factory.class",
                        "org.apache.flink.metrics.prometheus.PrometheusReporterFactory")
                .containsEntry("metrics.reporter.prom.port", "9249");
    }

    @Test
    void logConfigurationsAreQuietButKeepTheJobAtInfo() throws IOException {
        for (String file : List.of("log4j.properties", "log4j-console.properties")) {
            Properties properties = ProjectFiles.properties(ProjectFiles.read(CONF_DIR + "/" + file));

            assertThat(properties.getProperty("rootLogger.level")).as(file).isEqualTo("INFO");
            assertThat(levelOf(properties, "org.smtpdetect")).as(file).isEqualTo("INFO");
            for (String chatty : List.of("org.apache.kafka", "org.apache.pekko", "org.apache.zookeeper",
                    "org.apache.flink.shaded.zookeeper3", "org.apache.flink.shaded.netty4")) {
                assertThat(levelOf(properties, chatty)).as(file + " " + chatty).isEqualTo("WARN");
            }
            assertThat(properties.stringPropertyNames())
                    .as(file + ": Flink's scripts name the log file with -Dlog.file")
                    .anyMatch(key -> properties.getProperty(key).equals("${sys:log.file}"));
        }
    }

    /** The level of the logger configured for exactly {@code loggerName}. */
    private static String levelOf(Properties properties, String loggerName) {
        return properties.stringPropertyNames().stream()
                .filter(key -> key.startsWith("logger.") && key.endsWith(".name"))
                .filter(key -> properties.getProperty(key).equals(loggerName))
                .map(key -> properties.getProperty(key.substring(0, key.length() - ".name".length()) + ".level"))
                .findFirst()
                .orElse(null);
    }
}

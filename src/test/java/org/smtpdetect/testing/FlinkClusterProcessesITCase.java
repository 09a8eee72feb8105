package org.smtpdetect.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.smtpdetect.testing.FlinkClusterProcesses.FlinkProcess;

/**
 * The test cluster launcher against real processes: a TaskManager lost to SIGKILL is replaced
 * by a new one and the cluster has its slots again.
 */
class FlinkClusterProcessesITCase {

    private static final Duration STARTUP = Duration.ofSeconds(120);

    @Test
    void aKilledTaskManagerIsReplacedByANewOne() throws Exception {
        try (FlinkClusterProcesses cluster = FlinkClusterProcesses.builder().name("smoke").build()) {
            long start = System.nanoTime();
            FlinkProcess jobManager = cluster.startJobManager(STARTUP);
            long jobManagerUp = System.nanoTime();
            FlinkProcess first = cluster.startTaskManager();
            cluster.awaitOverview("one TaskManager with 2 free slots", STARTUP,
                    o -> o.taskManagers() == 1 && o.slotsTotal() == 2 && o.slotsAvailable() == 2);
            long slotsUp = System.nanoTime();
            System.out.printf("Flink test cluster: JobManager REST up after %d ms, 2 slots after %d ms more%n",
                    millis(start, jobManagerUp), millis(jobManagerUp, slotsUp));
            assertThat(cluster.registeredTaskManagers()).containsExactly(first.name());

            cluster.kill(first);
            assertThat(first.isAlive()).isFalse();
            cluster.awaitOverview("the killed TaskManager to be gone", Duration.ofSeconds(60),
                    o -> o.taskManagers() == 0 && o.slotsTotal() == 0);
            long lost = System.nanoTime();

            FlinkProcess second = cluster.startTaskManager();
            cluster.awaitOverview("the new TaskManager's 2 slots", STARTUP,
                    o -> o.taskManagers() == 1 && o.slotsTotal() == 2 && o.slotsAvailable() == 2);
            System.out.printf("Flink test cluster: SIGKILLed TaskManager dropped after %d ms, replacement"
                    + " registered after %d ms more%n", millis(slotsUp, lost), millis(lost, System.nanoTime()));
            assertThat(cluster.registeredTaskManagers()).containsExactly(second.name());
            assertThat(cluster.taskManagers()).containsExactly(second);
            assertThat(jobManager.isAlive()).isTrue();

            assertJarUploadWorks(cluster);
            assertPrometheusReporterServes(jobManager);
            assertPrometheusReporterServes(second);
        }
    }

    /** The job jar can be uploaded over REST (running it is the job's own integration tests' part). */
    private static void assertJarUploadWorks(FlinkClusterProcesses cluster) throws Exception {
        Path jar = Path.of(System.getProperty("project.jar", "target/smtp-to-internet.jar"));
        assertThat(jar).isRegularFile();

        String jarId = cluster.uploadJar(jar);

        assertThat(jarId).endsWith("_" + jar.getFileName());
        assertThat(cluster.uploadedJars()).contains(jarId);
        assertThat(Files.list(cluster.workDir().resolve("web-upload")).findAny()).isPresent();
    }

    /** config.yaml's reporter settings load the Prometheus reporter in every process. */
    private static void assertPrometheusReporterServes(FlinkProcess process) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + process.metricsPort() + "/metrics"))
                        .timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains(process.name().startsWith("taskmanager")
                ? "flink_taskmanager_Status_JVM" : "flink_jobmanager_Status_JVM");
    }

    private static long millis(long fromNanos, long toNanos) {
        return (toNanos - fromNanos) / 1_000_000;
    }
}

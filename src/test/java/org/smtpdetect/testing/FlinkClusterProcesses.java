package org.smtpdetect.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.function.Supplier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.runtime.clusterframework.BootstrapTools;

/**
 * A real Flink session cluster for tests: a JobManager and any number of TaskManagers, each its
 * own JVM, started the way Flink's {@code jobmanager.sh}/{@code taskmanager.sh} start them, on the
 * plain Flink runtime classpath (target/flink-cluster.classpath, written by the build) so that a
 * job jar has to bring all of its own dependencies.
 *
 * <p>The configuration is the project's {@code flink-conf/config.yaml} with test overrides:
 * 127.0.0.1 only, free ports, small memory, 2 slots, 2 s checkpoints under the work directory
 * and a bounded fixed-delay restart strategy. Every process logs to {@code <name>.log} and
 * {@code <name>.out} in the work directory; failures of the {@code await*} methods carry the tail
 * of each log. {@link #close()} (and a JVM shutdown hook) kills whatever is still running.
 *
 * <pre>{@code
 * try (FlinkClusterProcesses cluster = FlinkClusterProcesses.builder().name("failover").build()) {
 *     cluster.startJobManager();
 *     FlinkProcess tm = cluster.startTaskManager();
 *     cluster.awaitSlots(2, Duration.ofSeconds(60));
 *     String jobId = cluster.submitJar(jar, "org.smtpdetect.job.DetectionJob", List.of("--kafka.bootstrap-servers", ...));
 *     cluster.awaitJobStatus(jobId, "RUNNING", timeout);
 *     cluster.awaitCompletedCheckpoints(jobId, 1, timeout);
 *     cluster.kill(tm);                       // SIGKILL
 *     cluster.startTaskManager();
 *     cluster.awaitJobStatus(jobId, "RUNNING", timeout);
 * }
 * }</pre>
 */
public final class FlinkClusterProcesses implements AutoCloseable {

    /** Flink's scripts and BashJavaUtils mark their machine-readable output lines with this. */
    static final String BASH_JAVA_UTILS_PREFIX = "BASH_JAVA_UTILS_EXEC_RESULT:";

    private static final String JOB_MANAGER_MAIN = "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
    private static final String TASK_MANAGER_MAIN = "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
    private static final String BASH_JAVA_UTILS_MAIN = "org.apache.flink.runtime.util.bash.BashJavaUtils";
    private static final String LOCALHOST = "127.0.0.1";
    private static final Duration POLL = Duration.ofMillis(250);
    private static final int LOG_TAIL_LINES = 40;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path workDir;
    private final Path configDir;
    private final String classpath;
    private final Configuration configuration;
    private final int restPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<FlinkProcess> processes = new ArrayList<>();
    private final Thread shutdownHook = new Thread(this::killAll, "flink-cluster-processes-shutdown");
    private FlinkProcess jobManager;
    private int taskManagerCount;
    private ResourceParams taskManagerResourceParams;

    private FlinkClusterProcesses(Builder builder) throws IOException {
        this.workDir = Files.createDirectories(builder.workDir != null ? builder.workDir
                : builder.projectDir.resolve("target/flink-cluster/" + builder.name + "-"
                        + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS"))));
        Path classpathFile = builder.classpathFile != null ? builder.classpathFile
                : builder.projectDir.resolve("target/flink-cluster.classpath");
        if (!Files.isRegularFile(classpathFile)) {
            throw new IllegalStateException(classpathFile + " is missing: it is written by `mvn verify` (phase"
                    + " pre-integration-test, execution flink-cluster-classpath) before the integration tests");
        }
        this.classpath = Files.readString(classpathFile).trim();
        this.restPort = freePort();

        Configuration conf = GlobalConfiguration.loadConfiguration(builder.confTemplateDir.toString());
        testOverrides(workDir, restPort).forEach(conf::setString);
        builder.overrides.forEach(conf::setString);
        this.configuration = conf;
        this.configDir = Files.createDirectories(workDir.resolve("conf"));
        BootstrapTools.writeConfiguration(conf, configDir.resolve(GlobalConfiguration.FLINK_CONF_FILENAME).toFile());
        for (String log4j : List.of("log4j.properties", "log4j-console.properties")) {
            Files.copy(builder.confTemplateDir.resolve(log4j), configDir.resolve(log4j));
        }
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The settings that make the project's configuration a small single-machine test cluster. */
    private static Map<String, String> testOverrides(Path workDir, int restPort) {
        Map<String, String> overrides = new LinkedHashMap<>();
        overrides.put("jobmanager.rpc.address", LOCALHOST);
        overrides.put("jobmanager.rpc.port", Integer.toString(freePort()));
        overrides.put("jobmanager.bind-host", LOCALHOST);
        overrides.put("taskmanager.host", LOCALHOST);
        overrides.put("taskmanager.bind-host", LOCALHOST);
        overrides.put("rest.address", LOCALHOST);
        overrides.put("rest.bind-address", LOCALHOST);
        overrides.put("rest.port", Integer.toString(restPort));
        overrides.put("jobmanager.memory.process.size", "1g");
        overrides.put("taskmanager.memory.process.size", "1200m");
        overrides.put("taskmanager.numberOfTaskSlots", "2");
        overrides.put("parallelism.default", "2");
        overrides.put("execution.checkpointing.interval", "2s");
        overrides.put("execution.checkpointing.min-pause", "500ms");
        overrides.put("execution.checkpointing.dir", workDir.resolve("checkpoints").toUri().toString());
        overrides.put("execution.checkpointing.savepoint-dir", workDir.resolve("savepoints").toUri().toString());
        overrides.put("restart-strategy.type", "fixed-delay");
        overrides.put("restart-strategy.fixed-delay.attempts", "20");
        overrides.put("restart-strategy.fixed-delay.delay", "1s");
        // A killed TaskManager is noticed within seconds rather than the default 50 s.
        overrides.put("heartbeat.interval", "2000");
        overrides.put("heartbeat.timeout", "15000");
        overrides.put("web.tmpdir", workDir.resolve("web").toString());
        overrides.put("web.upload.dir", workDir.resolve("web-upload").toString());
        return overrides;
    }

    // ---------------------------------------------------------------- processes

    /** Starts the JobManager (standalone session entrypoint) and waits until its REST API answers. */
    public FlinkProcess startJobManager(Duration timeout) throws IOException {
        if (jobManager != null && jobManager.isAlive()) {
            throw new IllegalStateException("the JobManager is already running");
        }
        jobManager = launch("jobmanager", JOB_MANAGER_MAIN, resourceParams("GET_JM_RESOURCE_PARAMS"),
                List.of(), CoreOptions.FLINK_JM_JVM_OPTIONS.key());
        await("REST API of the JobManager", timeout, () -> {
            try {
                return getJson("/overview").has("slots-total");
            } catch (IOException e) {
                return false;
            }
        });
        return jobManager;
    }

    public FlinkProcess startJobManager() throws IOException {
        return startJobManager(Duration.ofSeconds(120));
    }

    /**
     * Starts a new TaskManager process with the JVM and memory settings that {@code taskmanager.sh}
     * would compute. It registers with the JobManager on its own: see {@link #awaitSlots}.
     */
    public FlinkProcess startTaskManager() throws IOException {
        if (taskManagerResourceParams == null) {
            taskManagerResourceParams = resourceParams("GET_TM_RESOURCE_PARAMS");
        }
        String name = "taskmanager-" + (++taskManagerCount);
        return launch(name, TASK_MANAGER_MAIN, taskManagerResourceParams,
                List.of("-Dtaskmanager.resource-id=" + name), CoreOptions.FLINK_TM_JVM_OPTIONS.key());
    }

    /** SIGKILL: the process gets no chance to deregister or clean up, as in a machine loss. */
    public void kill(FlinkProcess process) throws InterruptedException {
        process.process.destroyForcibly();
        if (!process.process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException(process.name + " did not die after SIGKILL");
        }
    }

    /** SIGTERM, then SIGKILL if it has not exited within {@code grace}. */
    public void stop(FlinkProcess process, Duration grace) throws InterruptedException {
        process.process.destroy();
        if (!process.process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
            kill(process);
        }
    }

    public FlinkProcess jobManager() {
        return jobManager;
    }

    /** The TaskManager processes still alive. */
    public List<FlinkProcess> taskManagers() {
        return processes.stream().filter(p -> p.name.startsWith("taskmanager-") && p.isAlive()).toList();
    }

    private FlinkProcess launch(String name, String mainClass, ResourceParams resources, List<String> extraProperties,
            String roleJvmOptionsKey) throws IOException {
        int metricsPort = freePort();
        List<String> command = new ArrayList<>();
        command.add(javaExecutable());
        command.addAll(resources.jvmArgs());
        command.addAll(split(configuration.get(CoreOptions.FLINK_JVM_OPTIONS)));
        command.addAll(split(configuration.getString(roleJvmOptionsKey, "")));
        command.add("-Dlog.file=" + workDir.resolve(name + ".log"));
        command.add("-Dlog4j.configuration=file:" + configDir.resolve("log4j.properties"));
        command.add("-Dlog4j.configurationFile=file:" + configDir.resolve("log4j.properties"));
        command.add("-classpath");
        command.add(classpath);
        command.add(mainClass);
        command.add("--configDir");
        command.add(configDir.toString());
        command.addAll(resources.dynamicProperties());
        command.addAll(extraProperties);
        command.add("-Dmetrics.reporter.prom.port=" + metricsPort);
        command.add("-Dio.tmp.dirs=" + Files.createDirectories(workDir.resolve("tmp-" + name)));

        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(workDir.resolve(name + ".out").toFile());
        builder.environment().put("FLINK_CONF_DIR", configDir.toString());
        Files.writeString(workDir.resolve(name + ".command"), String.join(" ", command) + "\n");
        FlinkProcess process = new FlinkProcess(name, builder.start(), workDir.resolve(name + ".log"),
                workDir.resolve(name + ".out"), metricsPort);
        processes.add(process);
        return process;
    }

    /**
     * What {@code taskmanager.sh}/{@code jobmanager.sh} get from {@code BashJavaUtils}: the JVM
     * memory arguments and the derived memory settings as {@code -D} properties.
     */
    private ResourceParams resourceParams(String command) throws IOException {
        List<String> cmd = List.of(javaExecutable(), "-classpath", classpath, BASH_JAVA_UTILS_MAIN, command,
                "--configDir", configDir.toString());
        Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        process.getInputStream().transferTo(output);
        String text = output.toString(StandardCharsets.UTF_8);
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("BashJavaUtils " + command + " failed:\n" + text);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        List<String> results = parseBashJavaUtilsOutput(text);
        if (results.isEmpty()) {
            throw new IllegalStateException("BashJavaUtils " + command + " printed no result:\n" + text);
        }
        // Line 1: JVM arguments (-Xmx, -Xms, -XX:Max...); line 2, if any: -D derived memory settings.
        return new ResourceParams(split(results.get(0)),
                results.size() > 1 ? joinDynamicProperties(split(results.get(results.size() - 1))) : List.of());
    }

    private record ResourceParams(List<String> jvmArgs, List<String> dynamicProperties) {
    }

    /** The result lines of BashJavaUtils, without their prefix. */
    static List<String> parseBashJavaUtilsOutput(String output) {
        return output.lines()
                .filter(line -> line.startsWith(BASH_JAVA_UTILS_PREFIX))
                .map(line -> line.substring(BASH_JAVA_UTILS_PREFIX.length()).trim())
                .toList();
    }

    /** Turns {@code -D key=value} pairs into single {@code -Dkey=value} arguments. */
    static List<String> joinDynamicProperties(List<String> words) {
        List<String> joined = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            if (words.get(i).equals("-D") && i + 1 < words.size()) {
                joined.add("-D" + words.get(++i));
            } else {
                joined.add(words.get(i));
            }
        }
        return joined;
    }

    private static List<String> split(String options) {
        return options == null || options.isBlank() ? List.of() : Arrays.asList(options.trim().split("\\s+"));
    }

    private static String javaExecutable() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOCALHOST))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- REST

    public URI restUri() {
        return URI.create("http://" + LOCALHOST + ":" + restPort);
    }

    public JsonNode getJson(String path) throws IOException {
        return send(HttpRequest.newBuilder(restUri().resolve(path)).GET());
    }

    public JsonNode postJson(String path, Object body) throws IOException {
        return send(HttpRequest.newBuilder(restUri().resolve(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))));
    }

    private JsonNode send(HttpRequest.Builder request) throws IOException {
        try {
            HttpResponse<String> response = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() / 100 != 2) {
                throw new IOException(response.request().method() + " " + response.request().uri() + " -> "
                        + response.statusCode() + ": " + response.body());
            }
            return response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
    }

    /** {@code /overview}: TaskManagers, slots and jobs as the JobManager sees them. */
    public Overview overview() throws IOException {
        JsonNode node = getJson("/overview");
        return new Overview(node.path("taskmanagers").asInt(), node.path("slots-total").asInt(),
                node.path("slots-available").asInt(), node.path("jobs-running").asInt());
    }

    /** The resource ids of the registered TaskManagers ({@code taskmanager-N}). */
    public List<String> registeredTaskManagers() throws IOException {
        List<String> ids = new ArrayList<>();
        getJson("/taskmanagers").path("taskmanagers").forEach(tm -> ids.add(tm.path("id").asText()));
        return ids;
    }

    /** Waits until exactly {@code slots} slots are registered in total. */
    public Overview awaitSlots(int slots, Duration timeout) {
        return awaitOverview("slots-total == " + slots, timeout, o -> o.slotsTotal() == slots);
    }

    public Overview awaitOverview(String description, Duration timeout, Predicate<Overview> condition) {
        Overview[] last = new Overview[1];
        await(() -> description + " (last seen: " + last[0] + ")", timeout, () -> {
            try {
                last[0] = overview();
                return condition.test(last[0]);
            } catch (IOException e) {
                return false;
            }
        });
        return last[0];
    }

    /** Uploads a jar through {@code /jars/upload} and returns its id for {@link #runJar}. */
    public String uploadJar(Path jar) throws IOException {
        String boundary = "----flink-cluster-processes-" + UUID.randomUUID();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName() + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
                .getBytes(StandardCharsets.UTF_8));
        body.writeBytes(Files.readAllBytes(jar));
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        JsonNode response = send(HttpRequest.newBuilder(restUri().resolve("/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())));
        if (!"success".equals(response.path("status").asText())) {
            throw new IOException("jar upload failed: " + response);
        }
        return Path.of(response.path("filename").asText()).getFileName().toString();
    }

    /** Runs an uploaded jar through {@code /jars/:id/run}; returns the job id. */
    public String runJar(String jarId, String entryClass, List<String> programArgs, RunOptions options)
            throws IOException {
        ObjectNode request = JSON.createObjectNode();
        request.put("entryClass", entryClass);
        request.putPOJO("programArgsList", programArgs);
        if (options.parallelism != null) {
            request.put("parallelism", options.parallelism);
        }
        if (options.savepointPath != null) {
            request.put("savepointPath", options.savepointPath);
            request.put("allowNonRestoredState", options.allowNonRestoredState);
        }
        return postJson("/jars/" + jarId + "/run", request).path("jobid").asText();
    }

    public String runJar(String jarId, String entryClass, List<String> programArgs) throws IOException {
        return runJar(jarId, entryClass, programArgs, RunOptions.defaults());
    }

    /** Uploads and runs a jar; returns the job id. */
    public String submitJar(Path jar, String entryClass, List<String> programArgs) throws IOException {
        return runJar(uploadJar(jar), entryClass, programArgs);
    }

    public List<String> uploadedJars() throws IOException {
        List<String> ids = new ArrayList<>();
        getJson("/jars").path("files").forEach(file -> ids.add(file.path("id").asText()));
        return ids;
    }

    /** {@code /jobs/:id} state: CREATED, RUNNING, RESTARTING, FAILED, FINISHED, CANCELED, ... */
    public String jobStatus(String jobId) throws IOException {
        return getJson("/jobs/" + jobId).path("state").asText();
    }

    public void awaitJobStatus(String jobId, String status, Duration timeout) {
        await("job " + jobId + " " + status, timeout, () -> {
            try {
                String current = jobStatus(jobId);
                if (!current.equals(status) && List.of("FAILED", "CANCELED", "FINISHED").contains(current)) {
                    throw new AssertionError("job " + jobId + " is " + current + " while waiting for " + status
                            + "\n" + getJson("/jobs/" + jobId + "/exceptions") + diagnostics());
                }
                return current.equals(status);
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** {@code /jobs/:id/checkpoints}: counts, latest completed/restored checkpoint, history. */
    public JsonNode checkpoints(String jobId) throws IOException {
        return getJson("/jobs/" + jobId + "/checkpoints");
    }

    public long completedCheckpoints(String jobId) throws IOException {
        return checkpoints(jobId).path("counts").path("completed").asLong();
    }

    /** Waits for at least {@code count} completed checkpoints; returns the count reached. */
    public long awaitCompletedCheckpoints(String jobId, long count, Duration timeout) {
        long[] last = new long[1];
        await("job " + jobId + " with " + count + " completed checkpoints", timeout, () -> {
            try {
                last[0] = completedCheckpoints(jobId);
                return last[0] >= count;
            } catch (IOException e) {
                return false;
            }
        });
        return last[0];
    }

    /** The job's {@code numRestarts} metric. */
    public long numRestarts(String jobId) throws IOException {
        JsonNode metrics = getJson("/jobs/" + jobId + "/metrics?get=numRestarts");
        return metrics.size() == 0 ? 0 : metrics.get(0).path("value").asLong();
    }

    /** Stops the job with a savepoint ({@code /jobs/:id/stop}); returns the savepoint's location. */
    public String stopWithSavepoint(String jobId, Duration timeout) throws IOException {
        ObjectNode request = JSON.createObjectNode();
        request.put("drain", false);
        String triggerId = postJson("/jobs/" + jobId + "/stop", request).path("request-id").asText();
        JsonNode[] result = new JsonNode[1];
        await("savepoint of job " + jobId, timeout, () -> {
            try {
                result[0] = getJson("/jobs/" + jobId + "/savepoints/" + triggerId);
                return "COMPLETED".equals(result[0].path("status").path("id").asText());
            } catch (IOException e) {
                return false;
            }
        });
        JsonNode operation = result[0].path("operation");
        if (operation.has("failure-cause")) {
            throw new IOException("savepoint failed: " + operation.path("failure-cause"));
        }
        return operation.path("location").asText();
    }

    public void cancelJob(String jobId) throws IOException {
        send(HttpRequest.newBuilder(restUri().resolve("/jobs/" + jobId + "?mode=cancel"))
                .method("PATCH", HttpRequest.BodyPublishers.noBody()));
    }

    // ---------------------------------------------------------------- waiting and diagnostics

    /**
     * Polls {@code condition} until it holds; fails with the processes' log tails on timeout or
     * when the JobManager has died.
     */
    public void await(String description, Duration timeout, Supplier<Boolean> condition) {
        await(() -> description, timeout, condition);
    }

    private void await(Supplier<String> description, Duration timeout, Supplier<Boolean> condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            if (Boolean.TRUE.equals(condition.get())) {
                return;
            }
            if (jobManager != null && !jobManager.isAlive()) {
                throw new AssertionError("the JobManager exited (" + jobManager.process.exitValue()
                        + ") while waiting for " + description.get() + diagnostics());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + description.get() + diagnostics());
            }
            try {
                Thread.sleep(POLL.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting for " + description.get(), e);
            }
        }
    }

    /** The last lines of every process's log and console output. */
    public String diagnostics() {
        StringBuilder text = new StringBuilder("\n--- Flink processes in ").append(workDir).append(" ---");
        for (FlinkProcess process : processes) {
            text.append("\n=== ").append(process.name).append(process.isAlive() ? " (alive)" : " (exited)");
            for (Path file : List.of(process.logFile, process.outFile)) {
                text.append("\n--- ").append(file.getFileName()).append('\n').append(tail(file, LOG_TAIL_LINES));
            }
        }
        return text.toString();
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    public Path workDir() {
        return workDir;
    }

    public Path configDir() {
        return configDir;
    }

    /** The configuration the processes run with (the project's plus the test overrides). */
    public Configuration configuration() {
        return new Configuration(configuration);
    }

    public Path checkpointDir() {
        return workDir.resolve("checkpoints");
    }

    public Path savepointDir() {
        return workDir.resolve("savepoints");
    }

    /** Kills every process still running. */
    @Override
    public void close() {
        killAll();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run
        }
    }

    private void killAll() {
        for (FlinkProcess process : processes) {
            process.process.destroyForcibly();
        }
        for (FlinkProcess process : processes) {
            try {
                process.process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    // ---------------------------------------------------------------- types

    /** One Flink JVM. */
    public static final class FlinkProcess {
        private final String name;
        private final Process process;
        private final Path logFile;
        private final Path outFile;
        private final int metricsPort;

        FlinkProcess(String name, Process process, Path logFile, Path outFile, int metricsPort) {
            this.name = name;
            this.process = process;
            this.logFile = logFile;
            this.outFile = outFile;
            this.metricsPort = metricsPort;
        }

        /** {@code jobmanager} or {@code taskmanager-N} (also the TaskManager's resource id). */
        public String name() {
            return name;
        }

        public long pid() {
            return process.pid();
        }

        public boolean isAlive() {
            return process.isAlive();
        }

        public Path logFile() {
            return logFile;
        }

        /** The port of this process's Prometheus reporter. */
        public int metricsPort() {
            return metricsPort;
        }

        @Override
        public String toString() {
            return name + "(pid " + process.pid() + (process.isAlive() ? ")" : ", exited)");
        }
    }

    /** {@code /overview} of the cluster. */
    public record Overview(int taskManagers, int slotsTotal, int slotsAvailable, int jobsRunning) {
    }

    /** Optional settings of {@link #runJar(String, String, List, RunOptions)}. */
    public static final class RunOptions {
        private Integer parallelism;
        private String savepointPath;
        private boolean allowNonRestoredState;

        public static RunOptions defaults() {
            return new RunOptions();
        }

        public RunOptions parallelism(int value) {
            this.parallelism = value;
            return this;
        }

        /** Restore from this savepoint or retained checkpoint. */
        public RunOptions fromSavepoint(String path, boolean allowNonRestored) {
            this.savepointPath = path;
            this.allowNonRestoredState = allowNonRestored;
            return this;
        }
    }

    /** Where the cluster's files come from and go, and extra configuration. */
    public static final class Builder {
        private Path projectDir = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
        private Path confTemplateDir = projectDir.resolve("flink-conf");
        private Path classpathFile;
        private Path workDir;
        private String name = "cluster";
        private final Map<String, String> overrides = new LinkedHashMap<>();

        /** Names the work directory target/flink-cluster/NAME-TIMESTAMP. */
        public Builder name(String value) {
            this.name = value;
            return this;
        }

        public Builder workDir(Path value) {
            this.workDir = value;
            return this;
        }

        public Builder classpathFile(Path value) {
            this.classpathFile = value;
            return this;
        }

        /** The directory with config.yaml and the log4j files (default: the project's flink-conf). */
        public Builder confTemplateDir(Path value) {
            this.confTemplateDir = value;
            return this;
        }

        /** A Flink setting on top of the project's configuration and the test overrides. */
        public Builder config(String key, String value) {
            overrides.put(key, value);
            return this;
        }

        /** Writes the configuration; no process is started yet. */
        public FlinkClusterProcesses build() throws IOException {
            return new FlinkClusterProcesses(this);
        }
    }

}

package org.smtpdetect.testing;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchClients;

/**
 * A single-node Elasticsearch on 127.0.0.1 from the integ-test distribution unpacked by pom.xml (execution
 * {@code unpack-elasticsearch}), one per version per test JVM: started on first use, stopped when the JVM exits.
 *
 * <pre>{@code
 * ElasticsearchService es = ElasticsearchService.es8();
 * es.url();                        // http://127.0.0.1:<port>
 * es.rest().put("/idx/_doc/1", "{\"a\":1}");
 * }</pre>
 *
 * <p>Elasticsearch refuses to run as root: when the tests run as root, a system user {@value #USER} is created
 * once and the node runs under it ({@code setpriv}), with its config, data and logs in a per-run directory it
 * owns. The distribution itself only needs to be readable.
 *
 * <p>{@link #es8Secured()} is a second 8.x node with security on, as production runs it: https only (a CA and a
 * node certificate for {@code 127.0.0.1}/{@code localhost} made with {@code elasticsearch-certutil}, the CA in
 * {@link #caFile()}), a file-realm superuser {@link #username()}/{@link #password()} made with
 * {@code elasticsearch-users}, and API keys. Its {@link #rest()} client trusts the CA and authenticates as that
 * user. Transport TLS stays off: a single-node cluster bound to loopback only warns about it.
 */
public final class ElasticsearchService {
    static final String USER = "smtpdetect-es";
    /** The secured node's file-realm superuser. */
    static final String SUPERUSER = "smtpdetect-admin";
    private static final Map<String, ElasticsearchService> RUNNING = new ConcurrentHashMap<>();

    private final String version;
    private volatile ServiceProcess process;
    private final String url;
    private final EsRest rest;
    private final Duration startup;
    private final Security security;
    /** How to start the node again on the same port, data and config ({@link #restart()}). */
    private final Launch launch;

    private record Launch(String name, Path runDir, List<String> command, Map<String, String> env) {}

    /** What a client of the secured node needs: the CA certificate file and the superuser's password. */
    private record Security(Path caFile, String password) {}

    private ElasticsearchService(String version, ServiceProcess process, String url, EsRest rest, Duration startup,
            Security security, Launch launch) {
        this.version = version;
        this.process = process;
        this.url = url;
        this.rest = rest;
        this.startup = startup;
        this.security = security;
        this.launch = launch;
    }

    /** The 7.x node (version from pom property {@code service.es7.version}). */
    public static ElasticsearchService es7() {
        return get(ServiceProcess.requiredProperty("service.es7.version"));
    }

    /** The 8.x node (version from pom property {@code service.es8.version}). */
    public static ElasticsearchService es8() {
        return get(ServiceProcess.requiredProperty("service.es8.version"));
    }

    /** The 9.x node (version from pom property {@code service.es9.version}); runs on a Java 21+ (see {@link #javaHomeFor}). */
    public static ElasticsearchService es9() {
        return get(ServiceProcess.requiredProperty("service.es9.version"));
    }

    /** The secured 8.x node: https with its own CA, basic auth and API keys (see the class comment). */
    public static ElasticsearchService es8Secured() {
        return get(ServiceProcess.requiredProperty("service.es8.version"), true);
    }

    /** Every supported major, for parameterised tests: {@code @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")}. */
    public static Stream<String> versions() {
        return Stream.of(ServiceProcess.requiredProperty("service.es7.version"),
                ServiceProcess.requiredProperty("service.es8.version"),
                ServiceProcess.requiredProperty("service.es9.version"));
    }

    /** The newest version the tests run. */
    public static String newestVersion() {
        return ServiceProcess.requiredProperty("service.es9.version");
    }

    /**
     * A node of its own for one test, which may {@link #kill()} and {@link #restart()} it: not shared, not reused.
     * Stop it with {@link #stop()} (or leave it to the JVM's exit).
     */
    public static ElasticsearchService dedicated(String version) {
        return start(version, false, "esd-" + DEDICATED.incrementAndGet() + "-");
    }

    private static final java.util.concurrent.atomic.AtomicInteger DEDICATED = new java.util.concurrent.atomic.AtomicInteger();

    /** The node of the given version (one of {@link #versions()}), started on first call. */
    public static ElasticsearchService get(String version) {
        return get(version, false);
    }

    private static synchronized ElasticsearchService get(String version, boolean secured) {
        String key = (secured ? "secured-" : "") + version;
        ElasticsearchService es = RUNNING.get(key);
        if (es == null || !es.process.isAlive()) {
            es = start(version, secured, secured ? "es-secured-" : "es-");
            RUNNING.put(key, es);
        }
        return es;
    }

    /** {@code http://127.0.0.1:<port>}, or {@code https://...} for the secured node. */
    public String url() {
        return url;
    }

    public boolean isSecured() {
        return security != null;
    }

    /** PEM file of the CA that signed the secured node's certificate. */
    public Path caFile() {
        return requireSecured().caFile();
    }

    /** The secured node's superuser. */
    public String username() {
        requireSecured();
        return SUPERUSER;
    }

    public String password() {
        return requireSecured().password();
    }

    private Security requireSecured() {
        if (security == null) throw new IllegalStateException(this + " runs without security");
        return security;
    }

    public String version() {
        return version;
    }

    public int majorVersion() {
        return Integer.parseInt(version.substring(0, version.indexOf('.')));
    }

    /** A REST client for this node; the secured node's trusts its CA and authenticates as the superuser. */
    public EsRest rest() {
        return rest;
    }

    /** How long the node took to become ready. */
    public Duration startupTime() {
        return startup;
    }

    /** SIGKILL to the node and its children, as a crash or an OOM kill would end it; returns when it is gone. */
    public void kill() {
        process.kill();
    }

    /** Starts the node again on the same port, data and config after {@link #kill()}; returns once it is ready. */
    public Duration restart() {
        if (process.isAlive()) throw new IllegalStateException(this + " is still running");
        long t0 = System.nanoTime();
        process = ServiceProcess.start(launch.name(), launch.runDir(), launch.command(), launch.env());
        process.awaitReady(Duration.ofSeconds(120), this::healthy);
        return Duration.ofNanos(System.nanoTime() - t0);
    }

    /** Stops the node (TERM, then KILL). */
    public void stop() {
        RUNNING.values().remove(this);
        process.stop();
    }

    public boolean isRunning() {
        return process.isAlive();
    }

    // The 8.x+ integ-test distributions have no handler for GET / (405): readiness is the cluster health.
    private boolean healthy() {
        return rest.get("/_cluster/health?wait_for_status=yellow&timeout=1s").status() == 200;
    }

    @Override
    public String toString() {
        return "Elasticsearch " + version + (security != null ? " (secured)" : "");
    }

    /** {@code runDirPrefix}: run directories of earlier JVMs with the same prefix are reaped, so each kind has its own. */
    private static ElasticsearchService start(String version, boolean secured, String runDirPrefix) {
        long t0 = System.nanoTime();
        Path home = Path.of(ServiceProcess.requiredProperty("service.es.dir"), "elasticsearch-" + version);
        if (!Files.isExecutable(home.resolve("bin/elasticsearch"))) {
            throw new IllegalStateException("no Elasticsearch distribution at " + home + ": run `mvn pre-integration-test`");
        }
        Path workDir = Path.of(ServiceProcess.requiredProperty("service.work.dir"));
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            ensureUser();
            if (!readableByUser(home) || !readableByUser(workDir.getParent())) {
                // The checkout lies below a directory the node's user cannot enter (e.g. /root): run from a copy.
                workDir = Path.of(System.getProperty("java.io.tmpdir"), "smtpdetect-services");
                Path copy = workDir.resolve("elasticsearch-" + version);
                if (!Files.exists(copy)) {
                    ServiceProcess.run(List.of("mkdir", "-p", workDir.toString()), home, Duration.ofSeconds(10));
                    ServiceProcess.run(List.of("cp", "-a", home.toString(), copy.toString()), home, Duration.ofMinutes(2));
                }
                home = copy;
            }
        }
        // Not "es-<version>-secured": starting the plain node would take that for an earlier run's leftover.
        Path runDir = ServiceProcess.newRunDir(workDir, runDirPrefix + version);
        int port = ServiceProcess.freePort();
        try {
            Path config = prepareConfig(home, runDir);
            Map<String, String> env = new HashMap<>(Map.of(
                    "ES_JAVA_HOME", javaHomeFor(version),
                    "ES_PATH_CONF", config.toString()));
            Security security = null;
            Path esHome = home;
            List<String> settings = new ArrayList<>(List.of("-Ediscovery.type=single-node", "-Enetwork.host=127.0.0.1",
                    "-Ehttp.port=" + port, "-Etransport.port=0", "-Ecluster.routing.allocation.disk.threshold_enabled=false",
                    "-Epath.data=" + runDir.resolve("data"), "-Epath.logs=" + runDir.resolve("logs"),
                    "-Eaction.destructive_requires_name=false"));
            if (secured) {
                security = new Security(config.resolve("certs/ca/ca.crt"), "it-" + UUID.randomUUID());
                esHome = secure(home, version, runDir, config, env, security.password());
                settings.addAll(List.of("-Expack.security.enabled=true", "-Expack.security.http.ssl.enabled=true", "-Expack.security.http.ssl.key=certs/node/node.key",
                        "-Expack.security.http.ssl.certificate=certs/node/node.crt",
                        "-Expack.security.transport.ssl.enabled=false"));
            } else {
                settings.add("-Expack.security.enabled=false");
            }
            List<String> cmd = new ArrayList<>();
            if (root) {
                cmd.addAll(List.of("setpriv", "--reuid", USER, "--regid", USER, "--init-groups"));
            }
            cmd.add(esHome.resolve("bin/elasticsearch").toString());
            cmd.addAll(settings);
            if (root) {
                ServiceProcess.run(List.of("chown", "-R", USER + ":" + USER, runDir.toString()), runDir,
                        Duration.ofSeconds(30));
            }
            env.put("ES_JAVA_OPTS", "-Xms512m -Xmx512m");
            env.put("ES_TMPDIR", runDir.resolve("tmp").toString());
            Launch launch = new Launch("elasticsearch " + version + (secured ? " secured" : ""), runDir, List.copyOf(cmd), Map.copyOf(env));
            ServiceProcess process = ServiceProcess.start(launch.name(), runDir, launch.command(), launch.env());
            String url = (secured ? "https" : "http") + "://127.0.0.1:" + port;
            EsRest rest = secured
                    ? new EsRest(url, ElasticsearchClients.sslContext(Files.readString(security.caFile())),
                            "Basic " + Base64.getEncoder().encodeToString((SUPERUSER + ":" + security.password())
                                    .getBytes(StandardCharsets.UTF_8)))
                    : new EsRest(url);
            ElasticsearchService es = new ElasticsearchService(version, process, url, rest, null, security, launch);
            process.awaitReady(Duration.ofSeconds(120), es::healthy);
            return new ElasticsearchService(version, process, url, rest, Duration.ofNanos(System.nanoTime() - t0), security, launch);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The JDK to run {@code version} on: this JVM's for 7.x and 8.x; for 9.x (which needs Java 21+) {@code ES_JAVA_HOME}
     * if set, else the newest JDK of 21 or later under {@code /usr/lib/jvm}. No such JDK fails with what to install:
     * the 9.x tests are never skipped.
     */
    static String javaHomeFor(String version) {
        int major = Integer.parseInt(version.substring(0, version.indexOf('.')));
        if (major < 9) return System.getProperty("java.home");
        String configured = System.getenv("ES_JAVA_HOME");
        if (configured != null && !configured.isBlank()) return configured;
        if (Runtime.version().feature() >= 21) return System.getProperty("java.home");
        Path best = null;
        int bestFeature = 0;
        try (Stream<Path> jdks = Files.list(Path.of("/usr/lib/jvm"))) {
            for (Path jdk : (Iterable<Path>) jdks::iterator) {
                int feature = javaFeatureVersion(jdk);
                if (feature >= 21 && feature > bestFeature && Files.isExecutable(jdk.resolve("bin/java"))) {
                    best = jdk;
                    bestFeature = feature;
                }
            }
        } catch (IOException noJvmDirectory) {
            // fall through to the error below
        }
        if (best == null) {
            throw new IllegalStateException("Elasticsearch " + version + " needs Java 21 or later: set ES_JAVA_HOME to such"
                    + " a JDK or install one under /usr/lib/jvm (this JVM is Java " + Runtime.version().feature() + ")");
        }
        return best.toString();
    }

    /** {@code JAVA_VERSION} of a JDK's {@code release} file, 0 when unreadable. */
    private static int javaFeatureVersion(Path jdk) {
        try {
            for (String line : Files.readAllLines(jdk.resolve("release"))) {
                if (line.startsWith("JAVA_VERSION=")) {
                    String v = line.substring("JAVA_VERSION=".length()).replace("\"", "");
                    return Integer.parseInt(v.split("[.+-]")[0]);
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            // not a JDK we can use
        }
        return 0;
    }

    /**
     * Copies the distribution's config into the run directory, with the JVM's relative log and dump paths
     * (resolved against a working directory the node may not own) made absolute.
     */
    private static Path prepareConfig(Path home, Path runDir) throws IOException {
        Path config = runDir.resolve("config");
        try (Stream<Path> files = Files.walk(home.resolve("config"))) {
            for (Path src : (Iterable<Path>) files::iterator) {
                Path dst = config.resolve(home.resolve("config").relativize(src).toString());
                if (Files.isDirectory(src)) Files.createDirectories(dst);
                else Files.copy(src, dst);
            }
        }
        Path jvmOptions = config.resolve("jvm.options");
        Files.writeString(jvmOptions, Files.readString(jvmOptions)
                .replace("file=logs/", "file=" + runDir.resolve("logs") + "/")
                .replace("ErrorFile=logs/", "ErrorFile=" + runDir.resolve("logs") + "/")
                .replace("HeapDumpPath=data", "HeapDumpPath=" + runDir.resolve("data")));
        for (String dir : List.of("data", "logs", "tmp")) Files.createDirectories(runDir.resolve(dir));
        return config;
    }

    /**
     * Sets up security in the run directory's config: a CA and a node certificate (PEM, under {@code certs/}) and
     * the file-realm superuser. Returns the Elasticsearch home to start from: the distribution's {@code bin},
     * {@code lib} and {@code modules} linked beside a {@code plugins} directory with the analysis components the
     * {@code .security} index needs (see {@code src/test/services/elasticsearch-plugin}).
     */
    private static Path secure(Path home, String version, Path runDir, Path config, Map<String, String> env, String password)
            throws IOException {
        Path certs = config.resolve("certs");
        esTool(home, runDir, env, "elasticsearch-certutil", "ca", "--silent", "--pem", "--out", runDir.resolve("ca.zip").toString());
        unzip(runDir.resolve("ca.zip"), certs);
        esTool(home, runDir, env, "elasticsearch-certutil", "cert", "--silent", "--pem",
                "--ca-cert", certs.resolve("ca/ca.crt").toString(), "--ca-key", certs.resolve("ca/ca.key").toString(),
                "--ip", "127.0.0.1", "--dns", "localhost", "--name", "node", "--out", runDir.resolve("node.zip").toString());
        unzip(runDir.resolve("node.zip"), certs);
        esTool(home, runDir, env, "elasticsearch-users", "useradd", SUPERUSER, "-p", password, "-r", "superuser");

        Path esHome = runDir.resolve("home");
        Files.createDirectories(esHome);
        for (String dir : List.of("bin", "lib", "modules")) {
            Files.createSymbolicLink(esHome.resolve(dir), home.resolve(dir).toAbsolutePath());
        }
        installAnalysisPlugin(home, version, runDir, esHome.resolve("plugins/security-index-analysis"));
        return esHome;
    }

    private static void esTool(Path home, Path runDir, Map<String, String> env, String tool, String... args) {
        List<String> cmd = new ArrayList<>(List.of(home.resolve("bin").resolve(tool).toString()));
        cmd.addAll(List.of(args));
        ServiceProcess.run(cmd, runDir, env, Duration.ofMinutes(1));
    }

    /** Compiles the plugin in {@code service.es.plugin.src} against the distribution's jars into {@code pluginDir}. */
    private static void installAnalysisPlugin(Path home, String version, Path runDir, Path pluginDir) throws IOException {
        Path src = Path.of(ServiceProcess.requiredProperty("service.es.plugin.src"));
        Path classes = runDir.resolve("plugin-classes");
        List<String> javac = new ArrayList<>(List.of("--release", "17", "-proc:none", "-d", classes.toString(), "-cp"));
        try (Stream<Path> jars = Files.list(home.resolve("lib")); Stream<Path> sources = Files.walk(src)) {
            javac.add(jars.filter(p -> p.toString().endsWith(".jar")).map(Path::toString)
                    .collect(Collectors.joining(File.pathSeparator)));
            sources.filter(p -> p.toString().endsWith(".java")).map(Path::toString).forEach(javac::add);
        }
        jdkTool("javac", javac);
        Files.createDirectories(pluginDir);
        jdkTool("jar", List.of("--create", "--file", pluginDir.resolve("security-index-analysis.jar").toString(),
                "-C", classes.toString(), "."));
        Files.writeString(pluginDir.resolve("plugin-descriptor.properties"), String.join("\n",
                "description=Analysis components of the .security index, for tests",
                "version=1.0",
                "name=security-index-analysis",
                "classname=org.smtpdetect.testing.esplugin.SecurityIndexAnalysisPlugin",
                "java.version=17",
                "elasticsearch.version=" + version,
                ""));
    }

    private static void jdkTool(String name, List<String> args) {
        java.util.spi.ToolProvider tool = java.util.spi.ToolProvider.findFirst(name)
                .orElseThrow(() -> new IllegalStateException("no " + name + " in " + System.getProperty("java.home") + ": run the tests on a JDK"));
        StringWriter out = new StringWriter();
        int rc = tool.run(new PrintWriter(out, true), new PrintWriter(out, true), args.toArray(String[]::new));
        if (rc != 0) throw new IllegalStateException(name + " " + args + " exited with " + rc + ":\n" + out);
    }

    private static void unzip(Path zip, Path dir) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
                Path out = dir.resolve(e.getName()).normalize();
                if (!out.startsWith(dir)) throw new IOException("entry outside the target directory in " + zip + ": " + e.getName());
                if (e.isDirectory()) {
                    Files.createDirectories(out);
                } else {
                    Files.createDirectories(out.getParent());
                    Files.copy(in, out);
                }
            }
        }
    }

    private static synchronized void ensureUser() {
        if (ServiceProcess.succeeds(List.of("id", "-u", USER))) return;
        ServiceProcess.run(List.of("useradd", "--system", "--user-group", "--no-create-home", "--shell",
                "/usr/sbin/nologin", USER), Path.of("/"), Duration.ofSeconds(30));
    }

    private static boolean readableByUser(Path dir) {
        return ServiceProcess.succeeds(List.of("setpriv", "--reuid", USER, "--regid", USER, "--init-groups",
                "test", "-r", dir.toString(), "-a", "-x", dir.toString()));
    }
}

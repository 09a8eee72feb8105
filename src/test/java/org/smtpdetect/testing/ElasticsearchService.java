package org.smtpdetect.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

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
 */
public final class ElasticsearchService {
    static final String USER = "smtpdetect-es";
    private static final Map<String, ElasticsearchService> RUNNING = new ConcurrentHashMap<>();

    private final String version;
    private final ServiceProcess process;
    private final String url;
    private final EsRest rest;
    private final Duration startup;

    private ElasticsearchService(String version, ServiceProcess process, String url, Duration startup) {
        this.version = version;
        this.process = process;
        this.url = url;
        this.rest = new EsRest(url);
        this.startup = startup;
    }

    /** The 7.x node (version from pom property {@code service.es7.version}). */
    public static ElasticsearchService es7() {
        return get(ServiceProcess.requiredProperty("service.es7.version"));
    }

    /** The 8.x node (version from pom property {@code service.es8.version}). */
    public static ElasticsearchService es8() {
        return get(ServiceProcess.requiredProperty("service.es8.version"));
    }

    /** Both nodes, for parameterised tests: {@code @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")}. */
    public static Stream<String> versions() {
        return Stream.of(ServiceProcess.requiredProperty("service.es7.version"),
                ServiceProcess.requiredProperty("service.es8.version"));
    }

    /** The node of the given version (one of {@link #versions()}), started on first call. */
    public static synchronized ElasticsearchService get(String version) {
        ElasticsearchService es = RUNNING.get(version);
        if (es == null || !es.process.isAlive()) {
            es = start(version);
            RUNNING.put(version, es);
        }
        return es;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public String url() {
        return url;
    }

    public String version() {
        return version;
    }

    public int majorVersion() {
        return Integer.parseInt(version.substring(0, version.indexOf('.')));
    }

    public EsRest rest() {
        return rest;
    }

    /** How long the node took to become ready. */
    public Duration startupTime() {
        return startup;
    }

    @Override
    public String toString() {
        return "Elasticsearch " + version;
    }

    private static ElasticsearchService start(String version) {
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
        Path runDir = ServiceProcess.newRunDir(workDir, "es-" + version);
        int port = ServiceProcess.freePort();
        try {
            Path config = prepareConfig(home, runDir);
            List<String> cmd = new ArrayList<>();
            if (root) {
                cmd.addAll(List.of("setpriv", "--reuid", USER, "--regid", USER, "--init-groups"));
            }
            cmd.add(home.resolve("bin/elasticsearch").toString());
            cmd.addAll(List.of("-Ediscovery.type=single-node", "-Enetwork.host=127.0.0.1", "-Ehttp.port=" + port,
                    "-Etransport.port=0", "-Ecluster.routing.allocation.disk.threshold_enabled=false",
                    "-Epath.data=" + runDir.resolve("data"), "-Epath.logs=" + runDir.resolve("logs"),
                    "-Eaction.destructive_requires_name=false", "-Expack.security.enabled=false"));
            if (root) {
                ServiceProcess.run(List.of("chown", "-R", USER + ":" + USER, runDir.toString()), runDir,
                        Duration.ofSeconds(30));
            }
            ServiceProcess process = ServiceProcess.start("elasticsearch " + version, runDir, cmd, Map.of(
                    "ES_JAVA_HOME", System.getProperty("java.home"),
                    "ES_JAVA_OPTS", "-Xms512m -Xmx512m",
                    "ES_PATH_CONF", config.toString(),
                    "ES_TMPDIR", runDir.resolve("tmp").toString()));
            String url = "http://127.0.0.1:" + port;
            EsRest rest = new EsRest(url);
            // The 8.x integ-test distribution has no handler for GET / (405): wait on the cluster health instead.
            process.awaitReady(Duration.ofSeconds(120),
                    () -> rest.get("/_cluster/health?wait_for_status=yellow&timeout=1s").status() == 200);
            return new ElasticsearchService(version, process, url, Duration.ofNanos(System.nanoTime() - t0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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

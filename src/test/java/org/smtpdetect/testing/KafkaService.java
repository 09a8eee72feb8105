package org.smtpdetect.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * A single-node Kafka (KRaft, broker and controller in one process) on 127.0.0.1, in its own JVM: the broker's
 * jars (Scala, its kafka-clients) stay off the test classpath. Shared by every test in this JVM; started on first
 * use, stopped when the JVM exits.
 *
 * <pre>{@code
 * String bootstrap = KafkaService.get().bootstrapServers();
 * KafkaService.get().createTopic("events", 2);
 * }</pre>
 *
 * <p>{@link #dedicated(String)} starts a broker of one's own that a test may kill ({@link #kill()}, SIGKILL) and
 * start again on the same data and ports ({@link #restart()}); {@link #secured(String, String, String)} one whose
 * client listener is SASL_SSL with SCRAM-SHA-512 and a certificate from a CA made for it with the JDK's keytool
 * (a PLAINTEXT listener stays for the test's own admin work).
 *
 * <p>The broker's classpath is the file written by the {@code kafka-broker-classpath} execution in pom.xml
 * (system property {@code service.kafka.classpath}).
 */
public final class KafkaService {
    private static KafkaService instance;

    private final String name;
    private final Path runDir;
    private final int brokerPort;
    private final int controllerPort;
    private final Scram scram;
    private final String bootstrapServers;
    private ServiceProcess process;
    private Duration startup;

    /** SCRAM-SHA-512 user of a secured broker and the CA that signed its certificate. */
    public record Scram(String user, String password, Path caPem, int securedPort) {}

    private KafkaService(String name, Path runDir, Scram scram) {
        this.name = name;
        this.runDir = runDir;
        this.brokerPort = ServiceProcess.freePort();
        this.controllerPort = ServiceProcess.freePort();
        this.scram = scram;
        this.bootstrapServers = "127.0.0.1:" + brokerPort;
    }

    /** The running shared broker, started on first call. */
    public static synchronized KafkaService get() {
        if (instance == null || !instance.process.isAlive()) instance = create("kafka", null);
        return instance;
    }

    /** A broker of the caller's own, to kill and restart. Stop it when done. */
    public static KafkaService dedicated(String name) {
        return create("broker-" + name, null);
    }

    /** A broker whose client listener is SASL_SSL (SCRAM-SHA-512 user {@code user}, a private CA). Stop it when done. */
    public static KafkaService secured(String name, String user, String password) {
        return create("broker-" + name, new Scram(user, password, null, 0));
    }

    private static KafkaService create(String name, Scram scram) {
        Path workDir = Path.of(ServiceProcess.requiredProperty("service.work.dir"));
        Path runDir = ServiceProcess.newRunDir(workDir, name);
        KafkaService service = new KafkaService(name, runDir, scram == null ? null
                : new Scram(scram.user(), scram.password(), runDir.resolve("ca.pem"), ServiceProcess.freePort()));
        service.format();
        service.launch();
        return service;
    }

    /** {@code 127.0.0.1:<port>} of the PLAINTEXT listener. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    /** The secured broker's SCRAM user, CA and SASL_SSL port; null for a plain broker. */
    public Scram scram() {
        return scram;
    }

    /** {@code 127.0.0.1:<port>} of the SASL_SSL listener of a secured broker. */
    public String securedBootstrapServers() {
        return "127.0.0.1:" + scram.securedPort();
    }

    /** How long the broker took to become ready. */
    public Duration startupTime() {
        return startup;
    }

    /** Client properties with {@code bootstrap.servers} set. */
    public Properties clientProperties() {
        Properties p = new Properties();
        p.setProperty(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return p;
    }

    /** Creates a topic (replication factor 1) unless it exists. */
    public void createTopic(String topic, int partitions) {
        try (Admin admin = Admin.create(clientProperties())) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) throw new IllegalStateException(e.getCause());
        } catch (Exception e) {
            throw new IllegalStateException("cannot create topic " + topic, e);
        }
    }

    /** Stops the shared broker now (it is otherwise stopped when the JVM exits); the next {@link #get()} starts a new one. */
    public static synchronized void stop() {
        if (instance != null) instance.process.stop();
        instance = null;
    }

    /** Stops this broker (TERM, then KILL). */
    public void shutdown() {
        process.stop();
    }

    /** Kills the broker process with SIGKILL and waits until it is gone. */
    public void kill() {
        process.kill();
    }

    /** Starts the broker again on the same data directory and ports, and waits until it answers. */
    public void restart() {
        launch();
    }

    private void format() {
        try {
            if (scram != null) makeCertificates();
            Path props = runDir.resolve("server.properties");
            Files.writeString(props, serverProperties());
            Files.writeString(runDir.resolve("log4j.properties"), String.join("\n",
                    "log4j.rootLogger=INFO, stdout",
                    "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
                    "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
                    "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
                    "log4j.logger.kafka.controller=INFO",
                    "log4j.logger.org.apache.kafka.controller=INFO", ""));
            List<String> format = concat(jvm(), "kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(), "-c", props.toString());
            if (scram != null) {
                format = concat(format, "--add-scram", "SCRAM-SHA-512=[name=" + scram.user() + ",password=" + scram.password() + "]");
            }
            ServiceProcess.run(format, runDir, Duration.ofSeconds(60));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void launch() {
        long t0 = System.nanoTime();
        process = ServiceProcess.start(name, runDir, concat(jvm(), "kafka.Kafka", runDir.resolve("server.properties").toString()), Map.of());
        process.awaitReady(Duration.ofSeconds(90), () -> {
            try (Admin admin = Admin.create(clientProperties())) {
                return !admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty();
            }
        });
        startup = Duration.ofNanos(System.nanoTime() - t0);
    }

    private List<String> jvm() {
        String classpath;
        try {
            classpath = Files.readString(Path.of(ServiceProcess.requiredProperty("service.kafka.classpath"))).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return List.of(java, "-Xms256m", "-Xmx512m", "-XX:+UseSerialGC",
                "-Dlog4j.configuration=file:" + runDir.resolve("log4j.properties"), "-cp", classpath);
    }

    /** A CA, and a broker key pair for 127.0.0.1/localhost signed by it, with keytool; the CA as PEM for clients. */
    private void makeCertificates() {
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        String ca = runDir.resolve("ca.p12").toString();
        String broker = runDir.resolve("broker.p12").toString();
        String csr = runDir.resolve("broker.csr").toString();
        String signed = runDir.resolve("broker.pem").toString();
        String pw = STORE_PASSWORD;
        List<List<String>> steps = List.of(
                List.of(keytool, "-genkeypair", "-alias", "ca", "-dname", "CN=smtp-to-internet test CA", "-ext", "bc:c", "-keyalg", "RSA",
                        "-keysize", "2048", "-validity", "2", "-keystore", ca, "-storetype", "PKCS12", "-storepass", pw),
                List.of(keytool, "-exportcert", "-rfc", "-alias", "ca", "-keystore", ca, "-storepass", pw, "-file", scram.caPem().toString()),
                List.of(keytool, "-genkeypair", "-alias", "broker", "-dname", "CN=localhost", "-keyalg", "RSA", "-keysize", "2048",
                        "-validity", "2", "-keystore", broker, "-storetype", "PKCS12", "-storepass", pw),
                List.of(keytool, "-certreq", "-alias", "broker", "-keystore", broker, "-storepass", pw, "-file", csr),
                List.of(keytool, "-gencert", "-alias", "ca", "-keystore", ca, "-storepass", pw, "-infile", csr, "-outfile", signed,
                        "-rfc", "-validity", "2", "-ext", "SAN=ip:127.0.0.1,dns:localhost"),
                List.of(keytool, "-importcert", "-noprompt", "-alias", "ca", "-file", scram.caPem().toString(), "-keystore", broker, "-storepass", pw),
                List.of(keytool, "-importcert", "-alias", "broker", "-file", signed, "-keystore", broker, "-storepass", pw));
        for (List<String> step : steps) ServiceProcess.run(step, runDir, Duration.ofSeconds(60));
    }

    private static final String STORE_PASSWORD = "broker-store-" + Uuid.randomUuid();

    private String serverProperties() {
        Map<String, Object> p = new java.util.LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", 1);
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        String listeners = "PLAINTEXT://127.0.0.1:" + brokerPort;
        String protocols = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT";
        if (scram != null) {
            listeners += ",SASL_SSL://127.0.0.1:" + scram.securedPort();
            protocols += ",SASL_SSL:SASL_SSL";
            p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512");
            p.put("listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
            p.put("ssl.keystore.location", runDir.resolve("broker.p12"));
            p.put("ssl.keystore.type", "PKCS12");
            p.put("ssl.keystore.password", STORE_PASSWORD);
            p.put("ssl.key.password", STORE_PASSWORD);
        }
        p.put("listeners", listeners + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", listeners);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", protocols);
        p.put("log.dirs", runDir.resolve("data"));
        p.put("num.partitions", 1);
        p.put("auto.create.topics.enable", true);
        p.put("offsets.topic.replication.factor", 1);
        p.put("offsets.topic.num.partitions", 4);
        p.put("transaction.state.log.replication.factor", 1);
        p.put("transaction.state.log.min.isr", 1);
        p.put("transaction.state.log.num.partitions", 4);
        // Flink's exactly-once KafkaSink defaults to a 1 h transaction timeout.
        p.put("transaction.max.timeout.ms", 3_600_000);
        p.put("group.initial.rebalance.delay.ms", 0);
        return p.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("\n", "", "\n"));
    }

    private static List<String> concat(Collection<String> head, String... tail) {
        List<String> all = new java.util.ArrayList<>(head);
        all.addAll(List.of(tail));
        return all;
    }
}

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
 * <p>The broker's classpath is the file written by the {@code kafka-broker-classpath} execution in pom.xml
 * (system property {@code service.kafka.classpath}).
 */
public final class KafkaService {
    private static KafkaService instance;

    private final ServiceProcess process;
    private final String bootstrapServers;
    private final Duration startup;

    private KafkaService(ServiceProcess process, String bootstrapServers, Duration startup) {
        this.process = process;
        this.bootstrapServers = bootstrapServers;
        this.startup = startup;
    }

    /** The running broker, started on first call. */
    public static synchronized KafkaService get() {
        if (instance == null || !instance.process.isAlive()) instance = start();
        return instance;
    }

    /** {@code 127.0.0.1:<port>} of the PLAINTEXT listener. */
    public String bootstrapServers() {
        return bootstrapServers;
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

    /** Stops the broker now (it is otherwise stopped when the JVM exits); the next {@link #get()} starts a new one. */
    public static synchronized void stop() {
        if (instance != null) instance.process.stop();
        instance = null;
    }

    private static KafkaService start() {
        long t0 = System.nanoTime();
        Path classpathFile = Path.of(ServiceProcess.requiredProperty("service.kafka.classpath"));
        Path workDir = Path.of(ServiceProcess.requiredProperty("service.work.dir"));
        Path runDir = ServiceProcess.newRunDir(workDir, "kafka");
        int brokerPort = ServiceProcess.freePort();
        int controllerPort = ServiceProcess.freePort();
        try {
            String classpath = Files.readString(classpathFile).trim();
            Path props = runDir.resolve("server.properties");
            Files.writeString(props, serverProperties(runDir, brokerPort, controllerPort));
            Files.writeString(runDir.resolve("log4j.properties"), String.join("\n",
                    "log4j.rootLogger=INFO, stdout",
                    "log4j.appender.stdout=org.apache.log4j.ConsoleAppender",
                    "log4j.appender.stdout.layout=org.apache.log4j.PatternLayout",
                    "log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n",
                    "log4j.logger.kafka.controller=INFO",
                    "log4j.logger.org.apache.kafka.controller=INFO", ""));
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> jvm = List.of(java, "-Xms256m", "-Xmx512m", "-XX:+UseSerialGC",
                    "-Dlog4j.configuration=file:" + runDir.resolve("log4j.properties"), "-cp", classpath);
            ServiceProcess.run(concat(jvm, "kafka.tools.StorageTool", "format", "-t", Uuid.randomUuid().toString(),
                    "-c", props.toString()), runDir, Duration.ofSeconds(60));
            ServiceProcess process = ServiceProcess.start("kafka", runDir, concat(jvm, "kafka.Kafka", props.toString()),
                    Map.of());
            String bootstrap = "127.0.0.1:" + brokerPort;
            KafkaService service = new KafkaService(process, bootstrap, Duration.ZERO);
            process.awaitReady(Duration.ofSeconds(90), () -> {
                try (Admin admin = Admin.create(service.clientProperties())) {
                    return !admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty();
                }
            });
            return new KafkaService(process, bootstrap, Duration.ofNanos(System.nanoTime() - t0));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String serverProperties(Path runDir, int brokerPort, int controllerPort) {
        Map<String, Object> p = new java.util.LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", 1);
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT");
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

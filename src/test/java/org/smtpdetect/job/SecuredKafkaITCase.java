package org.smtpdetect.job;

import org.apache.flink.core.execution.JobClient;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.testing.CapturedLog;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;
import org.smtpdetect.testing.KafkaService;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.smtpdetect.job.StreamingFixtures.alertId;
import static org.smtpdetect.job.StreamingFixtures.alertIds;
import static org.smtpdetect.job.StreamingFixtures.awaitUntil;
import static org.smtpdetect.job.StreamingFixtures.badEvent;
import static org.smtpdetect.job.StreamingFixtures.deadLetterKey;
import static org.smtpdetect.job.StreamingFixtures.noise;
import static org.smtpdetect.job.StreamingFixtures.send;
import static org.smtpdetect.job.StreamingFixtures.smtpFlow;
import static org.smtpdetect.job.StreamingFixtures.startStreaming;

/**
 * A broker that takes clients only over SASL_SSL (SCRAM-SHA-512, a certificate from a private CA): the source
 * and the dead-letter producer work through it with the options a site would set, a wrong password fails the
 * start-up with one line, and the password appears in no log line.
 */
class SecuredKafkaITCase {
    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(4).build());

    private static final String USER = "smtp-detect";
    private static final String PASSWORD = "scram-" + UUID.randomUUID();
    private static KafkaService kafka;

    @BeforeAll
    static void startBroker() {
        kafka = KafkaService.secured("sasl", USER, PASSWORD);
    }

    @AfterAll
    static void stopBroker() {
        if (kafka != null) kafka.shutdown();
    }

    private static List<String> args(String run, String password) {
        return new ArrayList<>(List.of("--kafka.bootstrap-servers", kafka.securedBootstrapServers(),
                "--kafka.property.security.protocol", "SASL_SSL", "--kafka.property.sasl.mechanism", "SCRAM-SHA-512",
                "--kafka.property.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\""
                        + USER + "\" password=\"" + password + "\";",
                "--kafka.property.ssl.truststore.type", "PEM", "--kafka.property.ssl.truststore.location", kafka.scram().caPem().toString(),
                "--kafka.topics", run + "-packetbeat", "--kafka.group-id", run, "--kafka.starting-offsets", "earliest",
                "--dead-letter.topic", run + "-dead-letters", "--es.hosts", ElasticsearchService.es8().url(),
                "--es.alert-index", run + "-alerts", "--es.status-index", run + "-executions", "--max-out-of-orderness", "10s"));
    }

    @Test
    void sourceAndDeadLettersWorkOverSaslSslAndThePasswordIsNeverLogged() throws Exception {
        String run = "sasl-" + UUID.randomUUID().toString().substring(0, 8);
        String topic = run + "-packetbeat";
        kafka.createTopic(topic, 2);
        kafka.createTopic(run + "-dead-letters", 1);
        Set<String> expected = new java.util.HashSet<>();
        String dead;
        Instant t0 = Instant.parse("2024-06-01T08:00:00Z");
        try (KafkaProducer<byte[], byte[]> producer = StreamingFixtures.producer(kafka)) {
            for (int i = 0; i < 6; i++) expected.add(alertId(send(producer, topic, i % 2, smtpFlow(t0.plusSeconds(30L * i), i))));
            dead = deadLetterKey(send(producer, topic, 0, badEvent(t0.plusSeconds(200))));
            for (int p = 0; p < 2; p++) send(producer, topic, p, noise(t0.plus(Duration.ofHours(1)), p));
        }
        EsRest rest = ElasticsearchService.es8().rest();
        try (CapturedLog log = CapturedLog.capture()) {
            JobClient job = startStreaming(args(run, PASSWORD).toArray(new String[0]));
            awaitUntil(() -> alertIds(rest, run + "-alerts").containsAll(expected), Duration.ofSeconds(90), "alerts read over SASL_SSL");
            awaitUntil(() -> StreamingFixtures.deadLetters(kafka, run + "-dead-letters").contains(dead), Duration.ofSeconds(60),
                    "the dead letter written over SASL_SSL");
            job.cancel().get();
            assertThat(log.lines()).as("captured log lines").hasSizeGreaterThan(100)
                    .anyMatch(l -> l.contains("Kafka at " + kafka.securedBootstrapServers() + ": 1 broker(s) answered"))
                    .noneMatch(l -> l.contains(PASSWORD));
        }
    }

    @Test
    void aWrongPasswordFailsTheStartUpWithOneLine() {
        String run = "sasl-wrong-" + UUID.randomUUID().toString().substring(0, 8);
        String wrong = "not-the-password-" + UUID.randomUUID();
        String[] args = args(run, wrong).toArray(new String[0]);
        try (CapturedLog log = CapturedLog.capture()) {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> startStreaming(args))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("cannot use Kafka at " + kafka.securedBootstrapServers() + " (--kafka.bootstrap-servers): authentication failed")
                    .hasMessageNotContaining(wrong)
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
            System.out.printf("wrong Kafka password reported in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
            assertThat(log.lines()).noneMatch(l -> l.contains(wrong));
        }
    }

    @Test
    void anUntrustedCertificateFailsTheStartUpNamingTheTrustStore() {
        List<String> args = args("sasl-untrusted", PASSWORD);
        int i = args.indexOf("--kafka.property.ssl.truststore.type");
        args.subList(i, i + 4).clear(); // the JDK's default trust store does not hold the private CA
        assertThatThrownBy(() -> startStreaming(args.toArray(new String[0])))
                .hasMessageStartingWith("cannot use Kafka at " + kafka.securedBootstrapServers() + " (--kafka.bootstrap-servers): TLS handshake failed")
                .hasMessageContaining("ssl.truststore");
    }

    @Test
    void aMisspeltClientPropertyFailsNamingTheClosestOne() {
        List<String> args = args("sasl-typo", PASSWORD);
        args.set(args.indexOf("--kafka.property.sasl.jaas.config"), "--kafka.property.sasl.jass.config");
        assertThatThrownBy(() -> startStreaming(args.toArray(new String[0])))
                .hasMessage("option --kafka.property.sasl.jass.config: no Kafka client has a property sasl.jass.config (did you mean sasl.jaas.config?)");
        assertThat(JobOptions.fromArgs(args.toArray(new String[0])).toString()).doesNotContain(PASSWORD);
    }
}

package org.smtpdetect.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JobOptionsTest {

    @Test
    void defaultsFollowTheRuleAndKibana() {
        JobOptions o = JobOptions.fromArgs();
        assertThat(o.text("timestamp-field")).isEqualTo("@timestamp");
        assertThat(o.duration("max-out-of-orderness")).isEqualTo(Duration.ofMinutes(4));
        assertThat(o.bool("early-alerts")).isFalse();
        assertThat(o.list("kafka.topics")).as("empty: derived from the rules' index patterns").isEmpty();
        assertThat(o.duration("caught-up-idleness")).isEqualTo(Duration.ofSeconds(5));
        assertThat(o.bool("verbose")).isFalse();
        assertThat(o.text("kafka.starting-offsets")).isEqualTo("committed");
        assertThat(o.text("es.alert-index")).isEqualTo("smtp-to-internet-alerts");
    }

    @Test
    void argumentsOverrideFlinkConfigurationWhichOverridesDefaults() {
        JobOptions o = JobOptions.parse(new String[] {"--idleness=30s", "--early-alerts", "true"},
                Map.of("smtp.idleness", "5m", "smtp.space-id", "soc", "taskmanager.numberOfTaskSlots", "2"), k -> null);
        assertThat(o.duration("idleness")).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.text("space-id")).isEqualTo("soc");
        assertThat(o.bool("early-alerts")).isTrue();
    }

    @Test
    void kafkaClientPropertiesPassThroughAndSecretsResolveWithoutBeingShown(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("pw");
        Files.writeString(secret, "s3cret\n");
        JobOptions o = JobOptions.parse(new String[] {
            "--kafka.bootstrap-servers", "127.0.0.1:9092", "--es.hosts", "https://127.0.0.1:9200",
            "--kafka.property.security.protocol", "SASL_SSL",
            "--kafka.property.sasl.jaas.config", "env:JAAS", "--es.username", "elastic", "--es.password", "file:" + secret},
                Map.of(), Map.of("JAAS", "org.apache.kafka...PlainLoginModule required;")::get);
        assertThat(o.kafkaProperties()).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.jaas.config", "org.apache.kafka...PlainLoginModule required;");
        assertThat(o.text("es.password")).isEqualTo("s3cret");
        assertThat(o.toString()).doesNotContain("s3cret").doesNotContain("PlainLoginModule").contains("******");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "--idleness,soon                 | option --idleness must be a duration",
        "--early-alerts,yes              | option --early-alerts must be true or false",
        "--timestamp-field,event.created | option --timestamp-field must be @timestamp or event.ingested",
        "--kafka.starting-offsets,newest | option --kafka.starting-offsets must be committed, earliest, latest",
        "--parallelism,0                 | option --parallelism must be a positive integer",
        "--idlenes,1m                    | unknown option --idlenes (did you mean --idleness?)",
        "--frobnicate,1                  | unknown option --frobnicate",
        "--es.password,env:NOPE_NOT_SET  | option --es.password: environment variable NOPE_NOT_SET is not set",
        "--rules,/no/such/rule.toml      | option --rules: cannot read /no/such/rule.toml",
        "--output,x.ndjson               | option --output only applies to replay",
        "--kafka.bootstrap-servers,k:9092 | option --es.hosts is required with --kafka.bootstrap-servers",
        "stray                           | unexpected argument 'stray'",
        "--kafka.topics,a,--kafka.topic-pattern,b.* | options --kafka.topics and --kafka.topic-pattern exclude each other",
        "--kafka.topic-pattern,(beats     | option --kafka.topic-pattern is not a Java regex",
    })
    void badConfigurationFailsFastNamingTheOption(String args, String message) {
        assertThatThrownBy(() -> JobOptions.parse(args.split(","), Map.of(), k -> null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @Test
    void aBooleanOptionAloneMeansTrue() {
        assertThat(JobOptions.fromArgs("--verbose").bool("verbose")).isTrue();
        assertThat(JobOptions.fromArgs("--verbose", "--early-alerts").bool("early-alerts")).isTrue();
        assertThat(JobOptions.fromArgs("--verbose", "false", "--idleness", "2m").bool("verbose")).isFalse();
        assertThat(JobOptions.verboseRequested(new String[] {"--input", "x", "--verbose"})).isTrue();
        assertThat(JobOptions.verboseRequested(new String[] {"--verbose", "false"})).isFalse();
        assertThat(JobOptions.verboseRequested(new String[] {"--input", "x"})).isFalse();
    }

    @Test
    void kafkaPropertyValuesAreShownOnlyWhenKnownToBeHarmless() {
        JobOptions o = JobOptions.fromArgs("--kafka.property.security.protocol", "SASL_SSL",
                "--kafka.property.sasl.jass.config", "ScramLoginModule required password=\"hunter2\";",
                "--kafka.property.ssl.truststore.password", "store-secret");
        assertThat(o.toString()).contains("kafka.property.security.protocol=SASL_SSL")
                .doesNotContain("hunter2").doesNotContain("store-secret");
    }

    @Test
    void unknownOptionsInTheFlinkConfigurationFailToo() {
        assertThatThrownBy(() -> JobOptions.parse(new String[0], Map.of("smtp.kafka.topicz", "x"), k -> null))
                .hasMessageContaining("unknown option --kafka.topicz (did you mean --kafka.topics?)");
    }

    @Test
    void everyOptionIsDocumentedInTheReadme() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<String> missing = JobOptions.names().stream().filter(n -> !readme.contains("`" + n + "`")).toList();
        assertThat(missing).as("options missing from README.md's table").isEmpty();
    }
}

package org.smtpdetect.connectors.kafka;

import org.junit.jupiter.api.Test;
import org.smtpdetect.config.JobOptions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KafkaClientPropertiesTest {
    private static final JobOptions OPTIONS = JobOptions.fromArgs("--kafka.bootstrap-servers", "k:9093", "--es.hosts", "http://e:9200",
            "--kafka.property.security.protocol", "SASL_SSL", "--kafka.property.max.poll.records", "2000",
            "--kafka.property.linger.ms", "20", "--kafka.property.register.consumer.metrics", "false");

    @Test
    void eachClientGetsOnlyItsOwnProperties() {
        assertThat(KafkaClientProperties.consumer(OPTIONS)).containsOnlyKeys("security.protocol", "max.poll.records", "register.consumer.metrics");
        assertThat(KafkaClientProperties.producer(OPTIONS)).containsOnlyKeys("security.protocol", "linger.ms");
        assertThat(KafkaClientProperties.admin(OPTIONS)).containsOnlyKeys("security.protocol", "bootstrap.servers")
                .containsEntry("bootstrap.servers", "k:9093");
        KafkaClientProperties.validate(OPTIONS);
    }

    @Test
    void aPropertyNoClientKnowsFailsNamingTheClosest() {
        JobOptions typo = JobOptions.fromArgs("--kafka.property.ssl.truststore.locaton", "/ca.pem");
        assertThatThrownBy(() -> KafkaClientProperties.validate(typo)).hasMessage("option --kafka.property.ssl.truststore.locaton: "
                + "no Kafka client has a property ssl.truststore.locaton (did you mean ssl.truststore.location?)");
        assertThatThrownBy(() -> KafkaClientProperties.validate(JobOptions.fromArgs("--kafka.property.frobnicate", "1")))
                .hasMessageContaining("(see the Kafka client configuration reference)");
    }
}

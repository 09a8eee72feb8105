package org.smtpdetect.job;

import org.apache.http.entity.ContentType;
import org.apache.http.nio.entity.NStringEntity;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.elasticsearch.client.Request;
import org.elasticsearch.client.RestClient;
import org.smtpdetect.connectors.SinkDocument;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchClients;
import org.smtpdetect.connectors.elasticsearch.ElasticsearchSinkConfig;
import org.smtpdetect.connectors.elasticsearch.RejectedDocument;
import org.smtpdetect.connectors.elasticsearch.RejectedDocumentHandler;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Properties;

/**
 * Sends documents Elasticsearch rejected for good (e.g. a mapping conflict) to the dead-letter destination
 * with Elasticsearch's reason, so nothing the job produced is lost silently.
 */
final class SinkRejections {
    private SinkRejections() {}

    static SinkDocument deadLetter(RejectedDocument r) {
        return DeadLetters.of(r.json.getBytes(StandardCharsets.UTF_8), "elasticsearch:" + r.index, String.valueOf(r.id),
                "rejected by Elasticsearch (" + r.status + "): " + r.reason, Instant.now());
    }

    /** To a Kafka topic, synchronously, so a rejection is durable before the bulk request is acknowledged. */
    static RejectedDocumentHandler toKafka(Properties clientProperties, String bootstrapServers, String topic) {
        return new RejectedDocumentHandler() {
            private static final long serialVersionUID = 1L;
            private transient KafkaProducer<byte[], byte[]> producer;

            @Override
            public void onRejected(RejectedDocument rejected) throws Exception {
                if (producer == null) {
                    Properties p = new Properties();
                    p.putAll(clientProperties);
                    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
                    p.put(ProducerConfig.ACKS_CONFIG, "all");
                    producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
                }
                SinkDocument d = deadLetter(rejected);
                producer.send(new ProducerRecord<>(topic, d.id.getBytes(StandardCharsets.UTF_8), d.json.getBytes(StandardCharsets.UTF_8))).get();
            }
        };
    }

    /** To the dead-letter index. */
    static RejectedDocumentHandler toElasticsearch(ElasticsearchSinkConfig cfg, String index) {
        return new RejectedDocumentHandler() {
            private static final long serialVersionUID = 1L;
            private transient RestClient client;

            @Override
            public void onRejected(RejectedDocument rejected) throws Exception {
                if (client == null) client = ElasticsearchClients.restClient(cfg);
                SinkDocument d = deadLetter(rejected);
                Request put = new Request("PUT", "/" + index + "/_doc/" + d.id);
                put.setEntity(new NStringEntity(d.json, ContentType.APPLICATION_JSON));
                client.performRequest(put);
            }
        };
    }
}

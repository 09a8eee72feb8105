package org.smtpdetect.job;

import static org.apache.flink.types.PojoTestUtils.assertSerializedAsPojoWithoutKryo;

import org.junit.jupiter.api.Test;

/** The records that cross the network or live in state are serialized as Flink POJOs, never through Kryo. */
class RecordSerializationTest {
    @Test
    void candidate() {
        assertSerializedAsPojoWithoutKryo(Candidate.class);
    }

    @Test
    void alertDecision() {
        assertSerializedAsPojoWithoutKryo(AlertDecision.class);
    }

    @Test
    void executionStatus() {
        assertSerializedAsPojoWithoutKryo(ExecutionStatus.class);
    }
}

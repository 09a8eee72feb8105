package org.smtpdetect.job;

import static org.apache.flink.types.PojoTestUtils.assertSerializedAsPojoWithoutKryo;

import org.junit.jupiter.api.Test;
import org.smtpdetect.connectors.exceptions.ExceptionsVersion;
import org.smtpdetect.exception.ExceptionSources;
import org.smtpdetect.exception.SourceText;

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

    /** The exceptions version in broadcast state, with the texts it carries. */
    @Test
    void exceptionsVersion() {
        assertSerializedAsPojoWithoutKryo(ExceptionsVersion.class);
        assertSerializedAsPojoWithoutKryo(ExceptionSources.class);
        assertSerializedAsPojoWithoutKryo(SourceText.class);
    }
}

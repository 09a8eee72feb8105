package org.smtpdetect.job;

import org.smtpdetect.rule.EvaluatedEvent;
import org.apache.flink.types.PojoTestUtils;
import org.junit.jupiter.api.Test;
import org.smtpdetect.connectors.SinkDocument;

/** The records the job passes between operators serialize as POJOs, never through Kryo. */
class JobRecordsTest {
    @Test
    void sourceAndSinkRecordsArePojos() {
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(EvaluatedEvent.class);
        PojoTestUtils.assertSerializedAsPojoWithoutKryo(SinkDocument.class);
    }
}

package org.smtpdetect.connectors.file;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smtpdetect.connectors.SourceRecords;
import org.smtpdetect.rule.EvaluatedEvent;
import org.smtpdetect.rule.RuleLoader;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

class NdjsonEventFormatTest {
    private static final String MATCH = "{\"@timestamp\":\"2024-05-01T10:00:00Z\",\"event\":{\"category\":\"network\"},\"network\":{\"transport\":\"tcp\"},"
            + "\"source\":{\"ip\":\"10.1.2.3\"},\"destination\":{\"ip\":\"8.8.8.8\",\"port\":25}}";
    private static final String MISS = "{\"@timestamp\":\"2024-05-01T10:00:01Z\",\"event\":{\"category\":\"process\"}}";

    private final NdjsonEventFormat format = new NdjsonEventFormat(List.of(RuleLoader.loadDefault()), "@timestamp");

    /**
     * Reads every record as Flink does: each one before the next (positions and records are reused), each batch
     * released once read (its records are then recycled); so the records are copied here.
     */
    private static List<RecordAndPosition<EvaluatedEvent>> readAll(BulkFormat.Reader<EvaluatedEvent> reader) throws IOException {
        List<RecordAndPosition<EvaluatedEvent>> out = new ArrayList<>();
        BulkFormat.RecordIterator<EvaluatedEvent> batch;
        while ((batch = reader.readBatch()) != null) {
            RecordAndPosition<EvaluatedEvent> r;
            while ((r = batch.next()) != null) out.add(new RecordAndPosition<>(SourceRecords.copyOf(r.getRecord()), r.getOffset(), r.getRecordSkipCount()));
            batch.releaseBatch();
        }
        reader.close();
        return out;
    }

    private static FileSourceSplit split(java.nio.file.Path file, CheckpointedPosition position) throws IOException {
        return new FileSourceSplit("0", new Path(file.toUri()), 0, Files.size(file), 0, Files.size(file), new String[0], position);
    }

    @Test
    void evaluatesEachLineWithItsLineNumberAndKeepsOnlyMatchesAndDeadLetters(@TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Path gz = dir.resolve("events.ndjson.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write((MATCH + "\n\n" + MISS + "\r\n{broken\n").getBytes(StandardCharsets.UTF_8));
        }
        List<RecordAndPosition<EvaluatedEvent>> records = readAll(format.createReader(new Configuration(), split(gz, null)));
        assertThat(records).extracting(r -> r.getRecord().position).as("coordinates only where needed").containsExactly("1", null, "4");
        assertThat(records).extracting(RecordAndPosition::getRecordSkipCount).containsExactly(1L, 3L, 4L);
        EvaluatedEvent match = records.get(0).getRecord();
        assertThat(match.matchedRules).containsExactly(0);
        assertThat(new String(match.raw, StandardCharsets.UTF_8)).isEqualTo(MATCH);
        assertThat(match.origin).endsWith("events.ndjson.gz");
        assertThat(records.get(1).getRecord().raw).as("non-matches carry no payload").isNull();
        assertThat(records.get(2).getRecord().error).startsWith("invalid JSON");
    }

    @Test
    void restoreResumesAfterTheLastEmittedLine(@TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Path file = dir.resolve("events.ndjson");
        Files.writeString(file, MATCH + "\n" + MISS + "\n" + MATCH + "\n");
        List<RecordAndPosition<EvaluatedEvent>> rest = readAll(format.restoreReader(new Configuration(),
                split(file, new CheckpointedPosition(CheckpointedPosition.NO_OFFSET, 2))));
        assertThat(rest).extracting(r -> r.getRecord().position).containsExactly("3");
    }

    @Test
    void recycledBatchesCarryNothingOverFromTheirLastUse(@TempDir java.nio.file.Path dir) throws IOException {
        java.nio.file.Path file = dir.resolve("events.ndjson");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 1500; i++) b.append(i % 3 == 0 ? MATCH : i % 3 == 1 ? MISS : "{broken").append('\n');
        Files.writeString(file, b.toString());
        List<RecordAndPosition<EvaluatedEvent>> records = readAll(format.createReader(new Configuration(), split(file, null)));
        assertThat(records).hasSize(1500);
        for (int i = 0; i < 1500; i++) {
            EvaluatedEvent e = records.get(i).getRecord();
            assertThat(records.get(i).getRecordSkipCount()).isEqualTo(i + 1L);
            assertThat(e.matchedRules).as("line %d", i + 1).isEqualTo(i % 3 == 0 ? new int[] {0} : null);
            assertThat(e.error == null).as("line %d", i + 1).isEqualTo(i % 3 != 2);
            assertThat(e.raw == null).as("line %d", i + 1).isEqualTo(i % 3 == 1);
            assertThat(e.position).as("line %d", i + 1).isEqualTo(i % 3 == 1 ? null : Long.toString(i + 1));
        }
    }
}

package org.smtpdetect.connectors.file;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.MutableRecordAndPosition;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.apache.flink.core.fs.FSDataInputStream;
import org.smtpdetect.event.NdjsonLines;
import org.smtpdetect.rule.EvaluatedEvent;
import org.smtpdetect.rule.EventEvaluator;
import org.smtpdetect.rule.Rule;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.zip.GZIPInputStream;

/**
 * Reads NDJSON files ({@code .gz} too) line by line and evaluates each line in the reader, so only outcomes leave
 * the source. A record's coordinates are the file path and its 1-based line number; the checkpointed position
 * is the number of lines consumed, so a restore resumes after the last emitted line. Blank lines are skipped.
 */
public final class NdjsonEventFormat implements BulkFormat<EvaluatedEvent, FileSourceSplit> {
    private static final long serialVersionUID = 1L;
    private static final int BATCH = 512;

    private final List<Rule> rules;
    private final String timestampField;

    public NdjsonEventFormat(List<Rule> rules, String timestampField) {
        this.rules = List.copyOf(rules);
        this.timestampField = timestampField;
    }

    @Override
    public Reader<EvaluatedEvent> createReader(Configuration config, FileSourceSplit split) throws IOException {
        return new LineReader(split, 0, new EventEvaluator(rules, timestampField));
    }

    @Override
    public Reader<EvaluatedEvent> restoreReader(Configuration config, FileSourceSplit split) throws IOException {
        long consumed = split.getReaderPosition().map(CheckpointedPosition::getRecordsAfterOffset).orElse(0L);
        return new LineReader(split, consumed, new EventEvaluator(rules, timestampField));
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<EvaluatedEvent> getProducedType() {
        return TypeInformation.of(EvaluatedEvent.class);
    }

    /**
     * A batch of records, its events and position recycled once Flink has emitted them all (releaseBatch), so
     * reading allocates nothing per line.
     */
    private static final class Batch implements RecordIterator<EvaluatedEvent> {
        final EvaluatedEvent[] events = new EvaluatedEvent[BATCH];
        final long[] lines = new long[BATCH];
        private final MutableRecordAndPosition<EvaluatedEvent> position = new MutableRecordAndPosition<>();
        private final Queue<Batch> free;
        private int size;
        private int next;

        Batch(Queue<Batch> free) {
            this.free = free;
            for (int i = 0; i < BATCH; i++) events[i] = new EvaluatedEvent();
        }

        Batch start(int size) {
            this.size = size;
            this.next = 0;
            return this;
        }

        @Override
        public RecordAndPosition<EvaluatedEvent> next() {
            if (next == size) return null;
            position.set(events[next], CheckpointedPosition.NO_OFFSET, lines[next]);
            next++;
            return position;
        }

        @Override
        public void releaseBatch() {
            free.add(this);
        }
    }

    private static final class LineReader implements Reader<EvaluatedEvent> {
        /** Batches handed back by the task thread, for the fetcher thread to fill again. */
        private final Queue<Batch> free = new ConcurrentLinkedQueue<>();
        private final InputStream in;
        private final NdjsonLines lines;
        private final String origin;
        private final EventEvaluator evaluator;

        LineReader(FileSourceSplit split, long skipLines, EventEvaluator evaluator) throws IOException {
            FSDataInputStream raw = split.path().getFileSystem().open(split.path());
            this.in = split.path().getName().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
            this.lines = new NdjsonLines(in);
            this.origin = split.path().toString();
            this.evaluator = evaluator;
            while (lines.lineNumber() < skipLines && lines.next()) {
                // skip what was emitted before the checkpoint
            }
        }

        @Override
        public RecordIterator<EvaluatedEvent> readBatch() throws IOException {
            Batch batch = free.poll();
            if (batch == null) batch = new Batch(free);
            int size = 0;
            while (size < BATCH && lines.next()) {
                if (lines.isBlank()) continue;
                long n = lines.lineNumber();
                EvaluatedEvent e = evaluator.evaluate(lines.buffer(), lines.offset(), lines.length(), origin, batch.events[size]);
                if (e.needsPosition()) e.position = Long.toString(n);
                batch.lines[size++] = n;
            }
            if (size == 0) {
                free.add(batch);
                return null;
            }
            return batch.start(size);
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}

package org.smtpdetect.connectors.file;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.RecordAndPosition;
import org.apache.flink.core.fs.FSDataInputStream;
import org.smtpdetect.job.EvaluatedEvent;
import org.smtpdetect.job.EventEvaluator;
import org.smtpdetect.rule.Rule;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
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

    private static final class LineReader implements Reader<EvaluatedEvent> {
        private final InputStream in;
        private final String origin;
        private final EventEvaluator evaluator;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(4096);
        private long lineNumber;
        private boolean eof;

        LineReader(FileSourceSplit split, long skipLines, EventEvaluator evaluator) throws IOException {
            FSDataInputStream raw = split.path().getFileSystem().open(split.path());
            InputStream s = new BufferedInputStream(raw, 1 << 16);
            this.in = split.path().getName().endsWith(".gz") ? new BufferedInputStream(new GZIPInputStream(s, 1 << 16), 1 << 16) : s;
            this.origin = split.path().toString();
            this.evaluator = evaluator;
            while (lineNumber < skipLines && nextLine() != null) {
                // skip what was emitted before the checkpoint
            }
        }

        /** The next line's bytes without the line end, or null at the end of the file. */
        private byte[] nextLine() throws IOException {
            if (eof) return null;
            line.reset();
            int b;
            while ((b = in.read()) != -1 && b != '\n') line.write(b);
            if (b == -1) {
                eof = true;
                if (line.size() == 0) return null;
            }
            lineNumber++;
            byte[] bytes = line.toByteArray();
            int len = bytes.length;
            if (len > 0 && bytes[len - 1] == '\r') return java.util.Arrays.copyOf(bytes, len - 1);
            return bytes;
        }

        @Override
        public RecordIterator<EvaluatedEvent> readBatch() throws IOException {
            List<RecordAndPosition<EvaluatedEvent>> batch = new ArrayList<>(BATCH);
            byte[] l;
            while (batch.size() < BATCH && (l = nextLine()) != null) {
                if (isBlank(l)) continue;
                EvaluatedEvent e = evaluator.evaluate(l, origin, Long.toString(lineNumber));
                batch.add(new RecordAndPosition<>(e, CheckpointedPosition.NO_OFFSET, lineNumber));
            }
            if (batch.isEmpty()) return null;
            Iterator<RecordAndPosition<EvaluatedEvent>> it = batch.iterator();
            return new RecordIterator<>() {
                @Override
                public RecordAndPosition<EvaluatedEvent> next() {
                    return it.hasNext() ? it.next() : null;
                }

                @Override
                public void releaseBatch() {
                }
            };
        }

        private static boolean isBlank(byte[] l) {
            for (byte b : l) {
                if (b != ' ' && b != '\t') return false;
            }
            return true;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}

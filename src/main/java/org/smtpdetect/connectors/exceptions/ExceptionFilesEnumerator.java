package org.smtpdetect.connectors.exceptions;

import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands the single split to the reader that asks first (the source runs at parallelism 1), and takes it back when
 * that reader fails. Bounded, it has no split: the reader ends at once.
 */
final class ExceptionFilesEnumerator implements SplitEnumerator<ExceptionFilesSplit, List<ExceptionFilesSplit>> {
    private final SplitEnumeratorContext<ExceptionFilesSplit> context;
    private final List<ExceptionFilesSplit> unassigned;
    private final boolean bounded;

    ExceptionFilesEnumerator(SplitEnumeratorContext<ExceptionFilesSplit> context, List<ExceptionFilesSplit> unassigned, boolean bounded) {
        this.context = context;
        this.unassigned = new ArrayList<>(unassigned);
        this.bounded = bounded;
    }

    @Override
    public void start() {
    }

    @Override
    public void handleSplitRequest(int subtaskId, String requesterHostname) {
        if (!unassigned.isEmpty()) {
            context.assignSplit(unassigned.remove(0), subtaskId);
        } else if (bounded) {
            context.signalNoMoreSplits(subtaskId);
        }
    }

    @Override
    public void addSplitsBack(List<ExceptionFilesSplit> splits, int subtaskId) {
        unassigned.addAll(splits);
    }

    @Override
    public void addReader(int subtaskId) {
    }

    @Override
    public List<ExceptionFilesSplit> snapshotState(long checkpointId) {
        return new ArrayList<>(unassigned);
    }

    @Override
    public void close() {
    }

    /** The unassigned splits (none or the one). */
    static final class StateSerializer implements SimpleVersionedSerializer<List<ExceptionFilesSplit>> {
        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(List<ExceptionFilesSplit> splits) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeInt(splits.size());
                for (ExceptionFilesSplit s : splits) {
                    byte[] b = ExceptionFilesSplit.Serializer.INSTANCE.serialize(s);
                    out.writeInt(b.length);
                    out.write(b);
                }
            }
            return bytes.toByteArray();
        }

        @Override
        public List<ExceptionFilesSplit> deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) throw new IOException("unknown exception-files enumerator state version " + version);
            List<ExceptionFilesSplit> out = new ArrayList<>();
            try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(serialized))) {
                for (int n = in.readInt(); n > 0; n--) {
                    byte[] b = new byte[in.readInt()];
                    in.readFully(b);
                    out.add(ExceptionFilesSplit.Serializer.INSTANCE.deserialize(1, b));
                }
            }
            return out;
        }
    }
}

package org.smtpdetect.connectors.exceptions;

import org.apache.flink.api.connector.source.SourceSplit;
import org.apache.flink.core.io.SimpleVersionedSerializer;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * The single split of {@link ExceptionFilesSource}: the number and digest of the last version read, so a restored
 * reader numbers on and knows what it already sent.
 */
public final class ExceptionFilesSplit implements SourceSplit {
    static final String ID = "exception-files";

    final long number;
    final String digest;

    ExceptionFilesSplit(long number, String digest) {
        this.number = number;
        this.digest = digest;
    }

    ExceptionFilesSplit next(String newDigest) {
        return new ExceptionFilesSplit(number + 1, newDigest);
    }

    @Override
    public String splitId() {
        return ID;
    }

    @Override
    public String toString() {
        return "ExceptionFilesSplit{version " + number + ", " + digest.substring(0, Math.min(12, digest.length())) + "}";
    }

    static final class Serializer implements SimpleVersionedSerializer<ExceptionFilesSplit> {
        static final Serializer INSTANCE = new Serializer();

        @Override
        public int getVersion() {
            return 1;
        }

        @Override
        public byte[] serialize(ExceptionFilesSplit split) throws IOException {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (DataOutputStream out = new DataOutputStream(bytes)) {
                out.writeLong(split.number);
                out.writeUTF(split.digest);
            }
            return bytes.toByteArray();
        }

        @Override
        public ExceptionFilesSplit deserialize(int version, byte[] serialized) throws IOException {
            if (version != 1) throw new IOException("unknown exception-files split version " + version);
            try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(serialized))) {
                return new ExceptionFilesSplit(in.readLong(), in.readUTF());
            }
        }
    }
}

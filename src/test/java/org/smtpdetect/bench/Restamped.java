package org.smtpdetect.bench;

import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.RuleLoader;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

/**
 * A pool of events that can be written with a new {@code @timestamp}: lines that begin with a top-level
 * {@code @timestamp} string (compact or with a space after the colon) get it replaced; valid documents without
 * one get one prepended; the rest (invalid JSON, odd timestamps) stay as they are.
 */
final class Restamped {
    private final byte[][] pool;
    private final byte[][] head;
    private final byte[][] tail;

    Restamped(byte[][] pool) {
        this.pool = pool;
        this.head = new byte[pool.length][];
        this.tail = new byte[pool.length][];
        Detector detector = Detector.of(List.of(RuleLoader.loadDefault()));
        for (int i = 0; i < pool.length; i++) {
            String line = new String(pool[i], StandardCharsets.UTF_8);
            String start = line.startsWith("{\"@timestamp\":\"") ? "{\"@timestamp\":\"" : "{\"@timestamp\": \"";
            int close = line.startsWith(start) ? line.indexOf('"', start.length()) : -1;
            if (close > 0 && line.indexOf("@timestamp", close) < 0) {
                head[i] = start.getBytes(StandardCharsets.UTF_8);
                tail[i] = line.substring(close).getBytes(StandardCharsets.UTF_8);
            } else if (!detector.parse(pool[i]).isError() && line.startsWith("{") && !line.contains("@timestamp")) {
                head[i] = "{\"@timestamp\":\"".getBytes(StandardCharsets.UTF_8);
                String rest = line.substring(1).stripLeading();
                tail[i] = ("\"" + (rest.startsWith("}") ? "" : ",") + rest).getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    int size() {
        return pool.length;
    }

    /** Writes event {@code i} of the pool stamped {@code millis}; returns the bytes written. */
    int write(int i, long millis, OutputStream out) throws IOException {
        if (head[i] == null) {
            out.write(pool[i]);
            return pool[i].length;
        }
        byte[] ts = Instant.ofEpochMilli(millis).toString().getBytes(StandardCharsets.US_ASCII);
        out.write(head[i]);
        out.write(ts);
        out.write(tail[i]);
        return head[i].length + ts.length + tail[i].length;
    }

    /** Event {@code i} of the pool stamped {@code millis}. */
    byte[] at(int i, long millis) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(pool[i].length + 8);
        try {
            write(i, millis, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}

package org.smtpdetect.event;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Splits an NDJSON stream into lines, reading 64 KiB blocks and scanning for {@code '\n'}; a trailing
 * {@code '\r'} is dropped. The current line is a view of an internal buffer ({@link #buffer()},
 * {@link #offset()}, {@link #length()}), valid until the next call: lines are copied only when kept.
 */
public final class NdjsonLines {
    private static final int BLOCK = 1 << 16;

    private final InputStream in;
    private byte[] buf = new byte[BLOCK];
    private int start;
    private int end;
    private boolean eof;
    private long lineNumber;
    private int lineOffset;
    private int lineLength;

    public NdjsonLines(InputStream in) {
        this.in = in;
    }

    /** Advances to the next line; false at the end of the stream. */
    public boolean next() throws IOException {
        int scanFrom = start;
        while (true) {
            int i = indexOfNewline(buf, scanFrom, end);
            if (i >= 0) {
                setLine(start, i);
                start = i + 1;
                return true;
            }
            if (eof) {
                if (start == end) return false;
                setLine(start, end);
                start = end;
                return true;
            }
            scanFrom = end - start;
            fill();
        }
    }

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;

    /** The first '\n' in {@code b[from, to)}, 8 bytes at a time (SWAR), or -1. */
    static int indexOfNewline(byte[] b, int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long x = (long) LONGS.get(b, i) ^ NEWLINES;
            long zero = (x - 0x0101010101010101L) & ~x & 0x8080808080808080L;
            if (zero != 0) return i + (Long.numberOfTrailingZeros(zero) >>> 3);
        }
        for (; i < to; i++) {
            if (b[i] == '\n') return i;
        }
        return -1;
    }

    private void setLine(int from, int newline) {
        int len = newline - from;
        if (len > 0 && buf[from + len - 1] == '\r') len--;
        lineOffset = from;
        lineLength = len;
        lineNumber++;
    }

    /** Moves the unread tail to the front (growing the buffer for long lines) and reads more. */
    private void fill() throws IOException {
        int tail = end - start;
        if (tail == buf.length) buf = Arrays.copyOf(buf, buf.length * 2);
        else if (start > 0) System.arraycopy(buf, start, buf, 0, tail);
        start = 0;
        end = tail;
        int n = in.read(buf, end, buf.length - end);
        if (n < 0) eof = true;
        else end += n;
    }

    /** 1-based number of the current line, counting blank lines. */
    public long lineNumber() {
        return lineNumber;
    }

    public byte[] buffer() {
        return buf;
    }

    public int offset() {
        return lineOffset;
    }

    public int length() {
        return lineLength;
    }

    /** A copy of the current line. */
    public byte[] copy() {
        return Arrays.copyOfRange(buf, lineOffset, lineOffset + lineLength);
    }

    /** True when the current line holds only spaces and tabs. */
    public boolean isBlank() {
        for (int i = lineOffset; i < lineOffset + lineLength; i++) {
            if (buf[i] != ' ' && buf[i] != '\t') return false;
        }
        return true;
    }
}

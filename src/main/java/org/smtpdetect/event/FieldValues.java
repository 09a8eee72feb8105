package org.smtpdetect.event;

import java.util.Arrays;

/**
 * The values one field of one event holds after indexing coercion, flattened from arrays and objects:
 * strings for keyword, wildcard and text (text values are analysed on first use, see {@link #tokensAt}); longs for long, date (epoch millis) and boolean (0/1); doubles for the float family;
 * two longs per value for ip. Reused across events: {@link #clear()} keeps the arrays.
 */
public final class FieldValues {
    private final FieldType type;
    private int size;
    private String[] strings = new String[0];
    private long[] longs = new long[0];
    private double[] doubles = new double[0];
    private TextAnalysis.Tokens[] tokens;
    private TextAnalysis analyzedWith;

    FieldValues(FieldType type) {
        this.type = type;
        switch (type) {
            case KEYWORD: case WILDCARD: case FLATTENED: case FLATTENED_KEY: strings = new String[2]; break;
            case TEXT: strings = new String[2]; tokens = new TextAnalysis.Tokens[2]; break;
            case IP: longs = new long[4]; break;
            case DOUBLE: doubles = new double[2]; break;
            default: longs = new long[2];
        }
    }

    public FieldType type() {
        return type;
    }

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    void clear() {
        if (strings.length > 0) Arrays.fill(strings, 0, size, null);
        if (tokens != null) Arrays.fill(tokens, 0, Math.min(size, tokens.length), null);
        size = 0;
    }

    void addString(String s) {
        if (size == strings.length) strings = Arrays.copyOf(strings, size * 2);
        strings[size++] = s;
    }

    void addLong(long v) {
        if (size == longs.length) longs = Arrays.copyOf(longs, size * 2);
        longs[size++] = v;
    }

    void addDouble(double v) {
        if (size == doubles.length) doubles = Arrays.copyOf(doubles, size * 2);
        doubles[size++] = v;
    }

    void addIp(long hi, long lo) {
        if (2 * size + 2 > longs.length) longs = Arrays.copyOf(longs, longs.length * 2);
        longs[2 * size] = hi;
        longs[2 * size + 1] = lo;
        size++;
    }

    public String stringAt(int i) {
        return strings[i];
    }

    /** The i-th value of a text field as the field's analyzer indexes it (computed once per value). */
    public TextAnalysis.Tokens tokensAt(int i, TextAnalysis analysis) {
        if (analysis != analyzedWith) {
            Arrays.fill(tokens, null);
            analyzedWith = analysis;
        }
        if (tokens.length < strings.length) tokens = Arrays.copyOf(tokens, strings.length);
        TextAnalysis.Tokens t = tokens[i];
        if (t == null) t = tokens[i] = analysis.analyze(strings[i]);
        return t;
    }

    public long longAt(int i) {
        return longs[i];
    }

    public double doubleAt(int i) {
        return doubles[i];
    }

    public long ipHiAt(int i) {
        return longs[2 * i];
    }

    public long ipLoAt(int i) {
        return longs[2 * i + 1];
    }

    /** The i-th value as Elasticsearch would display it, for explanations and alerts. */
    public String displayAt(int i) {
        switch (type) {
            case KEYWORD: case WILDCARD: case TEXT: case FLATTENED: case FLATTENED_KEY: return strings[i];
            case IP: return IpAddresses.format(longs[2 * i], longs[2 * i + 1]);
            case DOUBLE: return Double.toString(doubles[i]);
            case BOOLEAN: return longs[i] != 0 ? "true" : "false";
            case DATE: return java.time.Instant.ofEpochMilli(longs[i]).toString();
            default: return Long.toString(longs[i]);
        }
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < size; i++) {
            if (i > 0) b.append(", ");
            b.append(displayAt(i));
        }
        return b.append(']').toString();
    }
}

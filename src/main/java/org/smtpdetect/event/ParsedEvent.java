package org.smtpdetect.event;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What the parser extracted from one event: the values of the schema's fields, the fields dropped as
 * malformed, or the reason the input is not a document. Owned and reused by its {@link EventParser}: valid
 * until the next parse.
 */
public final class ParsedEvent {
    private final FieldSchema schema;
    private final FieldValues[] slots;
    private final List<String> ignored = new ArrayList<>(2);
    private String error;
    private byte[] data;
    private int offset;
    private int length;

    ParsedEvent(FieldSchema schema) {
        this.schema = schema;
        this.slots = new FieldValues[schema.size()];
        for (int i = 0; i < slots.length; i++) slots[i] = new FieldValues(schema.typeAt(i));
    }

    void source(byte[] data, int offset, int length) {
        this.data = data;
        this.offset = offset;
        this.length = length;
    }

    /** The bytes this event was parsed from ({@link #sourceOffset()}, {@link #sourceLength()}); valid until the next parse. */
    public byte[] sourceData() {
        return data;
    }

    public int sourceOffset() {
        return offset;
    }

    public int sourceLength() {
        return length;
    }

    void reset() {
        for (FieldValues v : slots) {
            if (!v.isEmpty()) v.clear();
        }
        if (!ignored.isEmpty()) ignored.clear();
        error = null;
    }

    void fail(String reason) {
        error = reason;
    }

    void ignore(String field) {
        if (!ignored.contains(field)) ignored.add(field);
    }

    public FieldSchema schema() {
        return schema;
    }

    /** True when the input is not a document Elasticsearch would index; see {@link #error()}. */
    public boolean isError() {
        return error != null;
    }

    /** Why the input is not a document, in words a person can act on; null for a document. */
    public String error() {
        return error;
    }

    public FieldValues values(int slot) {
        return slots[slot];
    }

    /** Fields that held a malformed value, dropped as with {@code ignore_malformed}. */
    public List<String> ignoredFields() {
        return Collections.unmodifiableList(ignored);
    }
}

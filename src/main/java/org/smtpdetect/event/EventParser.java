package org.smtpdetect.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

import java.io.IOException;

/**
 * Reads only the schema's fields from raw JSON bytes with one streaming pass; everything else is skipped
 * unparsed. Values are indexed as Elasticsearch indexes them (type coercion, arrays, arrays of objects, dotted
 * keys, nulls) with {@code ignore_malformed}: a malformed value is dropped and its field remembered. Input
 * Elasticsearch would reject as a whole yields an error, never an exception. Not thread-safe: one per task.
 */
public final class EventParser implements EventReader {
    /** Elasticsearch's keyword {@code ignore_above} in the ECS templates: longer values are not indexed. */
    static final int KEYWORD_IGNORE_ABOVE = 1024;
    /** Jackson's default nesting limit, which Elasticsearch keeps. */
    private static final int MAX_DEPTH = 1000;

    /**
     * Configured as Elasticsearch configures its JSON parser: comments allowed, duplicate keys rejected, no
     * failure when the field-name table's hash area fills (Elasticsearch turns that check off).
     */
    private static final JsonFactory FACTORY = JsonFactory.builder()
            .disable(JsonFactory.Feature.FAIL_ON_SYMBOL_HASH_OVERFLOW)
            .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.core.json.JsonReadFeature.ALLOW_JAVA_COMMENTS)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH)
                    .maxStringLength(Integer.MAX_VALUE).build())
            .build();

    private final FieldSchema schema;
    private final ParsedEvent event;
    private final long[] ip = new long[2];

    public EventParser(FieldSchema schema) {
        this.schema = schema;
        this.event = new ParsedEvent(schema);
    }

    @Override
    public FieldSchema schema() {
        return schema;
    }

    /** Parses one document. The returned event is reused by the next call. */
    @Override
    public ParsedEvent parse(byte[] data, int offset, int length) {
        event.reset();
        event.source(data, offset, length); // nested queries read the nested objects from the source
        if (data == null || isBlank(data, offset, length)) {
            event.fail("empty input: expected a JSON object");
            return event;
        }
        try (JsonParser p = FACTORY.createParser(data, offset, length)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT) {
                event.fail("not a document: expected a JSON object but found " + describe(t));
                return event;
            }
            String problem = readObject(p, schema.root());
            if (problem == null && p.nextToken() != null) {
                problem = "not a document: unexpected content after the JSON object at " + location(p);
            }
            if (problem != null) event.fail(problem);
        } catch (StreamConstraintsException e) {
            event.fail("not a document: " + e.getOriginalMessage());
        } catch (JsonParseException e) {
            String msg = e.getOriginalMessage();
            if (msg != null && msg.startsWith("Duplicate field")) {
                event.fail("not a document: " + msg + " at " + location(e));
            } else {
                event.fail("invalid JSON: " + firstLine(msg) + " at " + location(e));
            }
        } catch (JsonProcessingException e) {
            event.fail("invalid JSON: " + firstLine(e.getOriginalMessage()) + " at " + location(e));
        } catch (IOException | RuntimeException e) {
            event.fail("unreadable input: " + e);
        }
        return event;
    }

    /** Reads an object's fields into the schema below {@code node}; returns a rejection reason or null. */
    private String readObject(JsonParser p, FieldSchema.Node node) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            FieldSchema.Node target = resolve(node, p.currentName());
            JsonToken v = p.nextToken();
            if (target == null) {
                p.skipChildren();
                continue;
            }
            if (target.slot == LEAF_CONFLICT) {
                return "not a document: field [" + target.path + "] holds an object where a value belongs";
            }
            String problem = readValue(p, v, target);
            if (problem != null) return problem;
        }
        return null;
    }

    static final int LEAF_CONFLICT = Integer.MIN_VALUE;

    /** Every leaf value of the object the parser is at, for a flattened field queried by its own name. */
    private String readFlattened(JsonParser p, FieldSchema.Node target) throws IOException {
        int depth = 1;
        while (depth > 0) {
            JsonToken t = p.nextToken();
            if (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) depth++;
            else if (t == JsonToken.END_OBJECT || t == JsonToken.END_ARRAY) depth--;
            else if (t.isScalarValue() && t != JsonToken.VALUE_NULL) addScalar(p, t, target);
        }
        return null;
    }

    /**
     * The schema node a key of an object at {@code node} leads to: null when no schema field lies under it; a
     * node with slot {@link #LEAF_CONFLICT} when a dotted key goes below a leaf field
     * ({@code destination.port.number}), which Elasticsearch rejects.
     */
    static FieldSchema.Node resolve(FieldSchema.Node node, String key) {
        return key.indexOf('.') < 0 ? node.children.get(key) : resolveDotted(node, key);
    }

    private static FieldSchema.Node resolveDotted(FieldSchema.Node node, String key) {
        FieldSchema.Node n = node;
        int start = 0;
        while (true) {
            int dot = key.indexOf('.', start);
            String part = dot < 0 ? key.substring(start) : key.substring(start, dot);
            n = n.children.get(part);
            if (n == null || dot < 0) return n;
            if (n.isLeaf() && !n.isObject() && n.type == FieldType.FLATTENED) {
                FieldSchema.Node below = new FieldSchema.Node(n.path); // a value below the field is one of its leaves
                below.slot = n.slot;
                below.type = n.type;
                below.belowFlattened = true;
                return below;
            }
            if (n.isLeaf() && !n.isObject() && n.type == FieldType.FLATTENED_KEY) return null; // another key
            if (n.isLeaf() && !n.isObject()) {
                FieldSchema.Node conflict = new FieldSchema.Node(n.path);
                conflict.slot = LEAF_CONFLICT;
                return conflict;
            }
            start = dot + 1;
        }
    }

    private String readValue(JsonParser p, JsonToken v, FieldSchema.Node target) throws IOException {
        switch (v) {
            case START_OBJECT:
                if (target.isLeaf() && !target.isObject()) {
                    if (target.type == FieldType.FLATTENED) return readFlattened(p, target);
                    if (target.type == FieldType.FLATTENED_KEY) {
                        p.skipChildren(); // deeper keys of the flattened field, not this one
                        return null;
                    }
                    return "not a document: field [" + target.path + "] holds an object where a value belongs";
                }
                return readObject(p, target);
            case START_ARRAY:
                for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                    String problem = readValue(p, e, target);
                    if (problem != null) return problem;
                }
                return null;
            case VALUE_NULL:
                return null;
            default:
                if (!target.isLeaf() || (target.type == FieldType.FLATTENED && !target.belowFlattened)) {
                    return "not a document: field [" + target.path + "] holds a value (" + p.getText() + ") where "
                            + (target.isLeaf() ? "a flattened field's object belongs" : "an object belongs");
                }
                addScalar(p, v, target);
                return null;
        }
    }

    private void addScalar(JsonParser p, JsonToken v, FieldSchema.Node target) throws IOException {
        FieldValues values = event.values(target.slot);
        try {
            switch (target.type) {
                case KEYWORD: {
                    String s = p.getText();
                    if (s.length() <= KEYWORD_IGNORE_ABOVE) values.addString(s);
                    break;
                }
                case WILDCARD: case TEXT: case FLATTENED: case FLATTENED_KEY:
                    // No ignore_above; text is analysed when a query reads it.
                    values.addString(p.getText());
                    break;
                case IP:
                    if (v == JsonToken.VALUE_STRING || v.isNumeric() || v.isBoolean()) {
                        if (!IpAddresses.parse(p.getText(), ip)) throw Coercions.MALFORMED;
                        values.addIp(ip[0], ip[1]);
                    } else {
                        throw Coercions.MALFORMED;
                    }
                    break;
                case LONG:
                    if (v.isNumeric()) {
                        values.addLong(longFromNumber(p, v));
                    } else if (v == JsonToken.VALUE_STRING) {
                        String s = p.getText();
                        if (!s.isEmpty()) values.addLong(Coercions.longFromString(s)); // "" indexes as null
                    } else {
                        throw Coercions.MALFORMED;
                    }
                    break;
                case DOUBLE:
                    if (v.isNumeric()) {
                        values.addDouble(p.getDoubleValue());
                    } else if (v == JsonToken.VALUE_STRING) {
                        String s = p.getText();
                        if (!s.isEmpty()) values.addDouble(Coercions.doubleFromString(s));
                    } else {
                        throw Coercions.MALFORMED;
                    }
                    break;
                case DATE:
                    if (v.isNumeric()) {
                        values.addLong(longFromNumber(p, v)); // epoch_millis
                    } else if (v == JsonToken.VALUE_STRING) {
                        values.addLong(Coercions.dateFromString(p.getText()));
                    } else {
                        throw Coercions.MALFORMED;
                    }
                    break;
                case BOOLEAN:
                    if (v.isBoolean()) {
                        values.addLong(v == JsonToken.VALUE_TRUE ? 1 : 0);
                    } else if (v == JsonToken.VALUE_STRING) {
                        String s = p.getText();
                        if (!s.isEmpty()) values.addLong(Coercions.booleanFromString(s) ? 1 : 0);
                    } else {
                        throw Coercions.MALFORMED;
                    }
                    break;
                default:
                    throw new IllegalStateException("unhandled type " + target.type);
            }
        } catch (Coercions.Malformed e) {
            event.ignore(target.path);
        }
    }

    /**
     * A JSON number as a long: integers in range, floats truncated as Elasticsearch coerces them. Out-of-range
     * integers are found by {@code getLongValue} failing, not by {@code getNumberType}: in Jackson 2.17 the latter
     * leaves the number's text behind, and the next {@code getDoubleValue} returns it (fixed in 2.18.3).
     */
    private static long longFromNumber(JsonParser p, JsonToken v) throws IOException, Coercions.Malformed {
        if (v == JsonToken.VALUE_NUMBER_FLOAT) return Coercions.longFromDouble(p.getDoubleValue());
        try {
            return p.getLongValue();
        } catch (InputCoercionException outOfRange) {
            throw Coercions.MALFORMED;
        }
    }

    private static boolean isBlank(byte[] data, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            byte b = data[i];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') return false;
        }
        return true;
    }

    private static String describe(JsonToken t) {
        if (t == null) return "nothing";
        switch (t) {
            case START_ARRAY: return "an array";
            case VALUE_STRING: return "a string";
            case VALUE_NUMBER_INT: case VALUE_NUMBER_FLOAT: return "a number";
            case VALUE_TRUE: case VALUE_FALSE: return "a boolean";
            case VALUE_NULL: return "null";
            default: return t.toString();
        }
    }

    private static String location(JsonParser p) {
        return "line " + p.currentLocation().getLineNr() + ", column " + p.currentLocation().getColumnNr();
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "unknown position"
                : "line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
    }

    private static String firstLine(String s) {
        if (s == null) return "malformed";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}

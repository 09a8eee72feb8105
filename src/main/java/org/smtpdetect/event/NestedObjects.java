package org.smtpdetect.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.json.JsonReadFeature;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The objects of a nested field in a raw event, each as its own JSON document, the way Elasticsearch indexes a
 * {@code nested} field: every object under the path (arrays of them, arrays of parent objects, dotted keys on
 * either side of the path) is a separate hidden document that a nested query tests on its own.
 */
public final class NestedObjects {
    private static final JsonFactory FACTORY = JsonFactory.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build();

    private NestedObjects() {}

    /** The objects at {@code path} in {@code data[offset, offset + length)}; empty when none or unreadable. */
    public static List<byte[]> find(byte[] data, int offset, int length, String path) {
        byte[] doc = offset == 0 && length == data.length ? data : java.util.Arrays.copyOfRange(data, offset, offset + length);
        List<byte[]> out = new ArrayList<>();
        try (JsonParser p = FACTORY.createParser(doc)) {
            if (p.nextToken() == JsonToken.START_OBJECT) object(p, doc, path, out);
        } catch (IOException | RuntimeException unreadable) {
            // The event parsed as a document before; anything unexpected here means no nested objects.
            out.clear();
        }
        return out;
    }

    /** Reads the fields of the object the parser is in, collecting what lies at {@code rest} below it. */
    private static void object(JsonParser p, byte[] doc, String rest, List<byte[]> out) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            JsonToken value = p.nextToken();
            if (key.equals(rest)) {
                collect(p, value, doc, out);
            } else if (rest.startsWith(key + ".")) {
                descend(p, value, doc, rest.substring(key.length() + 1), out);
            } else if (key.startsWith(rest + ".")) {
                // A dotted key that goes inside the nested object: {"email.attachments.file.name": "x"}.
                out.add(wrap(key.substring(rest.length() + 1), p));
            } else {
                p.skipChildren();
            }
        }
    }

    private static void descend(JsonParser p, JsonToken value, byte[] doc, String rest, List<byte[]> out) throws IOException {
        if (value == JsonToken.START_OBJECT) {
            object(p, doc, rest, out);
        } else if (value == JsonToken.START_ARRAY) {
            for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) descend(p, e, doc, rest, out);
        } else {
            p.skipChildren();
        }
    }

    /** The nested value itself: an object, or arrays (of arrays) of objects. */
    private static void collect(JsonParser p, JsonToken value, byte[] doc, List<byte[]> out) throws IOException {
        if (value == JsonToken.START_OBJECT) {
            int start = (int) p.currentTokenLocation().getByteOffset();
            p.skipChildren();
            int end = (int) p.currentLocation().getByteOffset();
            out.add(java.util.Arrays.copyOfRange(doc, start, end));
        } else if (value == JsonToken.START_ARRAY) {
            for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) collect(p, e, doc, out);
        }
    }

    private static byte[] wrap(String key, JsonParser p) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JsonGenerator g = FACTORY.createGenerator(bytes)) {
            g.writeStartObject();
            g.writeFieldName(key);
            g.copyCurrentStructure(p);
            g.writeEndObject();
        }
        return bytes.toByteArray();
    }
}

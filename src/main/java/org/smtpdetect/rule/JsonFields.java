package org.smtpdetect.rule;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * Typed access to the fields of one JSON (or TOML) object from a configuration file, with errors that name where
 * the object is written and the field: {@code file:line: field 'entries[0].value' is required}.
 */
public abstract class JsonFields {
    protected final JsonNode node;
    protected final String at;
    protected final String prefix;

    /**
     * @param at     where the object is written, e.g. {@code rules.ndjson:3}
     * @param prefix the object's path, prepended to field names in messages ({@code rule.}, {@code entries[0].})
     */
    protected JsonFields(JsonNode node, String at, String prefix) {
        this.node = node;
        this.at = at;
        this.prefix = prefix;
    }

    /** The exception type of the file's format, with this message. */
    protected abstract IllegalArgumentException newError(String message);

    public JsonNode node() {
        return node;
    }

    /** Where the object is written. */
    public String at() {
        return at;
    }

    /** The object's path in messages, ending in a dot unless empty. */
    public String prefix() {
        return prefix;
    }

    public IllegalArgumentException error(String field, String problem) {
        return newError(at + ": field '" + prefix + field + "' " + problem);
    }

    /** A string field; {@code dflt} when absent or null, which a null {@code dflt} makes an error. */
    public String text(String field, String dflt) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (dflt == null) throw error(field, "is required");
            return dflt;
        }
        if (!v.isTextual()) throw error(field, "must be a string");
        return v.asText();
    }

    /** An array of strings; empty when absent unless {@code required}. */
    public List<String> strings(String field, boolean required) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            if (required) throw error(field, "is required");
            return List.of();
        }
        if (!v.isArray()) throw error(field, "must be a list of strings");
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) throw error(field, "must be a list of strings");
            out.add(e.asText());
        }
        return List.copyOf(out);
    }
}

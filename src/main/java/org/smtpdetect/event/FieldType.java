package org.smtpdetect.event;

import java.util.Locale;

/** Elasticsearch field types the rule core knows how to index and compare. */
public enum FieldType {
    /** {@code keyword} and {@code constant_keyword}: exact strings; values over 1,024 characters are not indexed. */
    KEYWORD,
    /**
     * Compared like {@link #KEYWORD} but indexed whatever the length: Elasticsearch's {@code wildcard} type and the
     * keys of a {@code flattened} field (neither has an {@code ignore_above} by default).
     */
    WILDCARD,
    /** {@code text} and {@code match_only_text}, analysed with the {@code standard} analyzer. */
    TEXT,
    /**
     * A {@code flattened} field queried by its own name: every leaf value below it, as a string, compared like
     * {@link #WILDCARD}; objects below it are not an error.
     */
    FLATTENED,
    /**
     * A key of a {@code flattened} field ({@code field.key}): the values at that key, as strings, compared like
     * {@link #WILDCARD}; an object there holds other keys and is skipped, not an error.
     */
    FLATTENED_KEY,
    IP, LONG, DOUBLE, DATE, BOOLEAN;

    /** Maps an Elasticsearch mapping type name to the comparison it uses; null when unsupported. */
    public static FieldType fromMappingType(String type) {
        switch (type.toLowerCase(Locale.ROOT)) {
            case "keyword": case "constant_keyword": return KEYWORD;
            case "wildcard": return WILDCARD;
            case "text": case "match_only_text": return TEXT;
            case "flattened": return FLATTENED;
            case "ip": return IP;
            case "long": case "integer": case "short": case "byte": case "unsigned_long": return LONG;
            case "float": case "double": case "half_float": case "scaled_float": return DOUBLE;
            case "date": case "date_nanos": return DATE;
            case "boolean": return BOOLEAN;
            default: return null;
        }
    }

    /** True for the types whose values are strings compared exactly (keyword, wildcard, flattened). */
    public boolean isKeywordLike() {
        return this == KEYWORD || this == WILDCARD || this == FLATTENED || this == FLATTENED_KEY;
    }
}

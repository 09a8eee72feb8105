package org.smtpdetect.event;

import java.util.Locale;

/** Elasticsearch field types the rule core knows how to index and compare. */
public enum FieldType {
    KEYWORD, IP, LONG, DOUBLE, DATE, BOOLEAN;

    /** Maps an Elasticsearch mapping type name to the comparison it uses; null when unsupported. */
    public static FieldType fromMappingType(String type) {
        switch (type.toLowerCase(Locale.ROOT)) {
            case "keyword": case "constant_keyword": case "wildcard": return KEYWORD;
            case "ip": return IP;
            case "long": case "integer": case "short": case "byte": case "unsigned_long": return LONG;
            case "float": case "double": case "half_float": case "scaled_float": return DOUBLE;
            case "date": case "date_nanos": return DATE;
            case "boolean": return BOOLEAN;
            default: return null;
        }
    }
}

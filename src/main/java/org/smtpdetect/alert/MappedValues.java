package org.smtpdetect.alert;

import com.fasterxml.jackson.databind.JsonNode;
import org.smtpdetect.event.Coercions;
import org.smtpdetect.event.IpAddresses;

/**
 * Whether a JSON value is one Elasticsearch can index into a field of a given type, with the rule core's
 * Elasticsearch coercions ({@link Coercions}, {@link IpAddresses}): what Kibana's ECS type validators
 * ({@code isValidLongType}, {@code isValidNumericType}, ...) approximate.
 */
final class MappedValues {
    private MappedValues() {}

    /**
     * True or false for the numeric, ip, date and boolean types (a JSON null fits any: it is indexed as missing);
     * null for types this does not judge by value.
     */
    static Boolean fits(String type, JsonNode v) {
        switch (type) {
            case "long": return v.isNull() || integral(v, Long.MIN_VALUE, Long.MAX_VALUE);
            case "integer": return v.isNull() || integral(v, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case "short": return v.isNull() || integral(v, Short.MIN_VALUE, Short.MAX_VALUE);
            case "byte": return v.isNull() || integral(v, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case "float": case "half_float": return v.isNull() || floating(v, true);
            case "double": case "scaled_float": return v.isNull() || floating(v, false);
            case "ip": return v.isNull() || ip(v);
            case "date": case "date_nanos": return v.isNull() || date(v);
            case "boolean": return v.isNull() || bool(v);
            default: return null;
        }
    }

    private static boolean integral(JsonNode v, long min, long max) {
        long n;
        try {
            if (v.isIntegralNumber()) {
                if (!v.canConvertToLong()) return false;
                n = v.longValue();
            } else if (v.isNumber()) {
                n = Coercions.longFromDouble(v.doubleValue());
            } else if (v.isTextual()) {
                if (v.textValue().isEmpty()) return true; // indexed as null
                n = Coercions.longFromString(v.textValue());
            } else {
                return false;
            }
        } catch (Coercions.Malformed e) {
            return false;
        }
        return n >= min && n <= max;
    }

    private static boolean floating(JsonNode v, boolean asFloat) {
        if (v.isNumber()) return asFloat ? Float.isFinite((float) v.doubleValue()) : Double.isFinite(v.doubleValue());
        if (!v.isTextual()) return false;
        String s = v.textValue();
        if (s.isEmpty()) return true;
        try {
            if (asFloat) Coercions.floatFromString(s);
            else Coercions.doubleFromString(s);
            return true;
        } catch (Coercions.Malformed e) {
            return false;
        }
    }

    private static boolean ip(JsonNode v) {
        return (v.isTextual() || v.isNumber() || v.isBoolean()) && IpAddresses.parse(v.asText(), new long[2]);
    }

    /** Epoch milliseconds as a JSON integer, or text in strict_date_optional_time||epoch_millis. */
    private static boolean date(JsonNode v) {
        if (v.isIntegralNumber()) return v.canConvertToLong();
        if (!v.isTextual()) return false; // JSON floats are refused by 7.17 and 8.19 alike
        try {
            Coercions.dateFromString(v.textValue());
            return true;
        } catch (Coercions.Malformed e) {
            return false;
        }
    }

    private static boolean bool(JsonNode v) {
        if (v.isBoolean()) return true;
        if (!v.isTextual()) return false;
        String s = v.textValue();
        return s.isEmpty() || s.equals("true") || s.equals("false");
    }
}

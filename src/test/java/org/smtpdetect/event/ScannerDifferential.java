package org.smtpdetect.event;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Compares {@link EventScanner} with the reference {@link EventParser} on one document, and generates and
 * mutates documents for {@link ScannerDifferentialTest}. Equal means: both accept with the same values of every
 * field and the same ignored fields in the same order, or both reject for the same kind of reason.
 */
final class ScannerDifferential {
    /** Kinds of rejection, from the reference's message; the scanner reports its own {@link EventScanner.Problem}. */
    static EventScanner.Problem kindOf(String error) {
        if (error == null) return EventScanner.Problem.NONE;
        if (error.startsWith("empty input")) return EventScanner.Problem.EMPTY;
        if (error.startsWith("not a document: expected a JSON object")) return EventScanner.Problem.NOT_OBJECT;
        if (error.startsWith("not a document: unexpected content after")) return EventScanner.Problem.TRAILING;
        if (error.startsWith("not a document: Duplicate field")) return EventScanner.Problem.DUPLICATE;
        if (error.startsWith("not a document: field [")) return EventScanner.Problem.MAPPING;
        if (error.startsWith("not a document: ")) return EventScanner.Problem.CONSTRAINT;
        return EventScanner.Problem.SYNTAX;
    }

    private final EventParser reference;
    private final EventScanner scanner;
    long declined;
    long rejected;
    long accepted;
    long explainedByNameQuirk;
    private long rejections;

    ScannerDifferential(FieldSchema schema) {
        this.reference = new EventParser(schema);
        this.scanner = new EventScanner(schema);
    }

    /** Null when scanner and reference agree on {@code doc}, else what differs. Counts the outcomes. */
    String difference(byte[] doc) {
        String d = rawDifference(doc);
        if (d == null) {
            if (scanner.declined()) declined++;
            else if (scanner.problem() != EventScanner.Problem.NONE) rejected++;
            else accepted++;
            return null;
        }
        // Jackson's field-name table pads a name's last 4-byte group with 0xFF bytes: a name whose last group
        // begins with 0xFF bytes is taken for the name without them once that name has been seen (in this
        // document or an earlier one). No other byte does that, so with 0xFE in their place the two must agree,
        // and the scanner (to which 0xFE and 0xFF are the same invalid byte) must not change its verdict.
        if (contains(doc, (byte) 0xFF)) {
            scanner.scan(doc, 0, doc.length);
            EventScanner.Problem own = scanner.problem();
            byte[] other = doc.clone();
            for (int i = 0; i < other.length; i++) {
                if (other[i] == (byte) 0xFF) other[i] = (byte) 0xFE;
            }
            if (rawDifference(other) == null && scanner.problem() == own) {
                explainedByNameQuirk++;
                return null;
            }
        }
        return d;
    }

    private String rawDifference(byte[] doc) {
        ParsedEvent expected = reference.parse(doc, 0, doc.length);
        ParsedEvent scanned = scanner.scan(doc, 0, doc.length);
        if (scanner.declined()) return null;
        if (!same(expected, scanned, scanner.problem())) {
            return "reference: " + describe(expected, null) + "\nscanner:   " + describe(scanned, scanner.problem());
        }
        if (scanned.isError() && (++rejections & 7) == 0) {
            EventScanner.Problem own = scanner.problem();
            // What the job uses: the reference's own message for every rejection.
            String message = scanner.parse(doc, 0, doc.length).error();
            String referenceMessage = reference.parse(doc, 0, doc.length).error();
            if (!referenceMessage.equals(message)) return "message: " + message + " instead of " + referenceMessage;
            if (scanner.problem() != own) throw new IllegalStateException("scanner not deterministic");
        }
        return null;
    }

    private static boolean same(ParsedEvent expected, ParsedEvent scanned, EventScanner.Problem problem) {
        if (expected.sourceData() != scanned.sourceData() || expected.sourceOffset() != scanned.sourceOffset()
                || expected.sourceLength() != scanned.sourceLength()) {
            return false; // nested queries read the source
        }
        if (expected.isError() || scanned.isError()) return kindOf(expected.error()) == problem;
        FieldSchema schema = expected.schema();
        for (int slot = 0; slot < schema.size(); slot++) {
            FieldValues a = expected.values(slot);
            FieldValues b = scanned.values(slot);
            if (a.size() != b.size()) return false;
            for (int i = 0; i < a.size(); i++) {
                switch (a.type()) {
                    case KEYWORD: case WILDCARD: case TEXT: case FLATTENED: case FLATTENED_KEY:
                        if (!a.stringAt(i).equals(b.stringAt(i))) return false;
                        break;
                    case IP:
                        if (a.ipHiAt(i) != b.ipHiAt(i) || a.ipLoAt(i) != b.ipLoAt(i)) return false;
                        break;
                    case DOUBLE:
                        if (Double.doubleToRawLongBits(a.doubleAt(i)) != Double.doubleToRawLongBits(b.doubleAt(i))) return false;
                        break;
                    default:
                        if (a.longAt(i) != b.longAt(i)) return false;
                }
            }
        }
        return expected.ignoredFields().equals(scanned.ignoredFields());
    }

    /** The verdict as text: the kind of rejection, or every field's values and the ignored fields. */
    static String describe(ParsedEvent e, EventScanner.Problem problem) {
        if (e.isError()) return "rejected (" + (problem != null ? problem : kindOf(e.error())) + ")";
        StringBuilder b = new StringBuilder("accepted");
        FieldSchema schema = e.schema();
        for (int slot = 0; slot < schema.size(); slot++) {
            FieldValues v = e.values(slot);
            if (v.isEmpty()) continue;
            b.append(' ').append(schema.fieldAt(slot)).append('=');
            for (int i = 0; i < v.size(); i++) {
                b.append(i == 0 ? "[" : ", ");
                switch (v.type()) {
                    case KEYWORD: case WILDCARD: case TEXT: case FLATTENED: case FLATTENED_KEY: b.append('"').append(escape(v.stringAt(i))).append('"'); break;
                    case IP: b.append(Long.toHexString(v.ipHiAt(i))).append(':').append(Long.toHexString(v.ipLoAt(i))); break;
                    case DOUBLE: b.append(Double.doubleToRawLongBits(v.doubleAt(i))); break;
                    default: b.append(v.longAt(i));
                }
            }
            b.append(']');
        }
        return b.append(" ignored=").append(e.ignoredFields()).toString();
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c >= 0x20 && c < 0x7F) b.append(c);
            else b.append(String.format("\\u%04x", (int) c));
        }
        return b.toString();
    }

    private static boolean contains(byte[] doc, byte b) {
        for (byte x : doc) {
            if (x == b) return true;
        }
        return false;
    }

    /** A smallest-found document that still differs: chunks of shrinking size removed while it still differs. */
    byte[] minimise(byte[] doc) {
        byte[] current = doc;
        for (int chunk = Math.max(1, current.length / 2); chunk >= 1; chunk = chunk == 1 ? 0 : Math.min(chunk - 1, chunk * 3 / 4)) {
            int step = Math.max(1, chunk / 4);
            for (int at = 0; at + chunk <= current.length; ) {
                byte[] smaller = new byte[current.length - chunk];
                System.arraycopy(current, 0, smaller, 0, at);
                System.arraycopy(current, at + chunk, smaller, at, current.length - at - chunk);
                if (difference(smaller) != null) current = smaller;
                else at += step;
            }
        }
        return current;
    }

    /** The document as a Java string literal over ISO-8859-1 (each byte one char), for a regression case. */
    static String javaLiteral(byte[] doc) {
        StringBuilder b = new StringBuilder("\"");
        for (byte x : doc) {
            int c = x & 0xFF;
            if (c == '"' || c == '\\') b.append('\\').append((char) c);
            else if (c >= 0x20 && c < 0x7F) b.append((char) c);
            else b.append(String.format("\\u%04x", c));
        }
        return b.append('"').toString();
    }

    // ---------------------------------------------------------------- generation

    /**
     * Random documents: a tree over the schemas' fields (each field in a nested, dotted or mixed spelling, with
     * values typical for its type or for another type) and noise fields, written out with random escapes, white
     * space, comments and now and then a BOM, a duplicate key, broken UTF-8, a bad number or literal, trailing
     * content, a non-object root or nesting around the depth limit.
     */
    static final class Generator {
        private static final String[] NUMBERS = {
            "0", "-0", "1", "25", "-25", "465", "587", "2525", "1.5", "25.0", "-25.9", "2.5e1", "1e5", "1E+5", "1e-5",
            "0.0", "-0.0", "1e400", "-1e400", "1e-400", "9223372036854775807", "9223372036854775808",
            "-9223372036854775808", "-9223372036854775809", "18446744073709551616", "1714558830123", "1704067200000",
            "4.9e-324", "0e0", "123456789012345678", "1234567890123456789", "12345678901234567890", "587.9", "2147483648",
        };
        private static final String[] BAD_NUMBERS = {"007", "01", "-01", "1.", ".5", "-.5", "+1", "1e", "1e+", "-", "--1",
            "1.5.3", "0x19", "NaN", "Infinity", "-Infinity", "1ee5", "1e5.5", "00", "-00", "1_000"};
        private static final String[] STRINGS = {
            "network", "network_traffic", "Network", "process", "tcp", "TCP", "udp", "zeek.smtp", "zeek.connection",
            "25", "465", "587", "+25", "2.5e1", "25.9", "0x19", " 25", "25 ", "", "true", "false", "1e19", "-0",
            "10.1.2.3", "192.168.0.1", "172.16.0.9", "8.8.8.8", "203.0.113.9", "010.1.2.3", "1.2.3", "::1",
            "::ffff:10.1.2.3", "fe80::1%eth0", "2001:db8::25", "FF02::1", "10.1.2.3 ", "1.2.3.4.5", "255.255.255.255",
            "2024-05-01T10:20:30.123Z", "2024-05-01T12:20:30.123+02:00", "2024-05-01", "2024-05-01T10:20",
            "2023-05-05T17:51:17.000Z", "2024-02-30T00:00:00Z", "1714558830123", "2024", "yesterday", "2024-13-01",
            "2024-05-01T10:20:30.123456789Z", "-1714558830123", "NaN", "Infinity", "1d", "0x1p3",
        };
        /** Fields of the rule's schema and of the all-types schema, and a few that lead nowhere or conflict. */
        private static final String[] FIELDS = {
            "event.category", "event.dataset", "event.ingested", "network.transport", "destination.ip",
            "destination.port", "source.ip", "@timestamp", "x.k", "x.i", "x.l", "x.d", "x.t", "x.b", "y", "y.z",
            "\u00e9.k", "a", "event.kind", "host.name", "event.category", "destination.port", "source.ip",
            "fl", "fl", "fl.q", "fk.a", "fk.a.c", "w", "t", "lab", "lab.x", "lab.y", "x.f",
        };
        private static final String[] NOISE = {"host", "name", "kind", "b", "ab", "p", "id", "", "\u00e9", "\u4e2d",
            "_source_file", "message", "tags", "k", "i", "z", "destination.", ".ip", "a..b", "agent.ephemeral_id",
            "host", "name", "message", "tags", "user", "process", "related", "observer", "cisco"};
        /** Keys that put a value where an object belongs, or below a leaf field. */
        private static final String[] CONFLICTS = {"destination", "destination.port.number", "source.ip.x", "event", "x.k.z"};

        private final Random r;
        private final Bytes out = new Bytes();

        Generator(Random random) {
            this.r = random;
        }

        byte[] document() {
            out.clear();
            if (r.nextInt(60) == 0) out.raw(0xEF, 0xBB, 0xBF);
            ws();
            if (r.nextInt(60) == 0) {
                write(scalar(r.nextInt(STRINGS.length)), 0);
            } else if (r.nextInt(40) == 0) {
                deep(990 + r.nextInt(20));
            } else {
                write(tree(), 0);
            }
            ws();
            if (r.nextInt(60) == 0) out.ascii(new String[] {"{}", " x", " 1", "1", " \"", "/", " //"}[r.nextInt(7)]);
            return out.toArray();
        }

        /** The root object: some schema fields in one spelling or another, and noise. */
        private Map<String, Object> tree() {
            Map<String, Object> root = new LinkedHashMap<>();
            int fields = r.nextInt(8);
            for (int i = 0; i < fields; i++) {
                String field = FIELDS[r.nextInt(FIELDS.length)];
                String[] parts = field.split("\\.", -1);
                Map<String, Object> at = root;
                int i0 = 0;
                // nested for a random prefix of the path, dotted for the rest (a dotted key may also hold a prefix)
                int nestedUpTo = r.nextInt(parts.length);
                for (; i0 < nestedUpTo; i0++) {
                    Object child = at.get(parts[i0]);
                    if (!(child instanceof Map)) {
                        if (child != null && r.nextBoolean()) break;
                        Map<String, Object> m = new LinkedHashMap<>();
                        at.put(parts[i0], r.nextInt(12) == 0 ? List.of(m) : m);
                        child = m;
                    }
                    if (child instanceof List) child = ((List<?>) child).get(0);
                    @SuppressWarnings("unchecked") Map<String, Object> next = (Map<String, Object>) child;
                    at = next;
                }
                String key = String.join(".", java.util.Arrays.copyOfRange(parts, i0, parts.length));
                at.put(key, r.nextInt(6) == 0 ? fieldValue() : typedValue(field));
            }
            int noise = r.nextInt(6);
            for (int i = 0; i < noise; i++) root.put(NOISE[r.nextInt(NOISE.length)], value(1));
            if (r.nextInt(25) == 0) root.put(CONFLICTS[r.nextInt(CONFLICTS.length)], fieldValue());
            return root;
        }

        /** A value of the field's type in the rule's schema (keyword, ip, long, date), or of another type. */
        private Object typedValue(String field) {
            if (r.nextInt(8) == 0) {
                List<Object> list = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) list.add(typedValue(field));
                return list;
            }
            switch (field) {
                case "destination.ip": case "source.ip": case "x.i": case "a":
                    if (r.nextInt(5) > 0) return r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256);
                    return new String[] {"::1", "fe80::1%eth0", "2001:db8::25", "::ffff:10.1.2.3", "010.1.2.3", "1.2.3", ""}[r.nextInt(7)];
                case "destination.port": case "x.l": case "y.z":
                    if (r.nextInt(3) > 0) return new Token(Integer.toString(r.nextInt(65536)));
                    return r.nextBoolean() ? Integer.toString(r.nextInt(65536)) : new Token(NUMBERS[r.nextInt(NUMBERS.length)]);
                case "@timestamp": case "event.ingested": case "x.t": {
                    if (r.nextInt(6) == 0) return new Token(Long.toString(1_700_000_000_000L + r.nextInt(1_000_000_000)));
                    String t = java.time.Instant.ofEpochMilli(1_700_000_000_000L + (long) r.nextInt(1 << 30) * 97).toString();
                    return r.nextInt(4) == 0 ? t.replace("Z", "+00:00") : t;
                }
                case "x.b":
                    return r.nextBoolean() ? new Token(r.nextBoolean() ? "true" : "false") : (r.nextBoolean() ? "true" : "false");
                case "x.d":
                    return new Token(r.nextBoolean() ? Integer.toString(r.nextInt(1000) - 500) : NUMBERS[r.nextInt(NUMBERS.length)]);
                case "fl": case "lab": case "x.f": { // flattened: an object, whose every value is a leaf
                    if (r.nextInt(10) == 0) return fieldValue(); // a value where its object belongs
                    Map<String, Object> m = new LinkedHashMap<>();
                    for (int i = r.nextInt(5); i > 0; i--) {
                        m.put(r.nextBoolean() ? NOISE[r.nextInt(NOISE.length)] : FIELDS[r.nextInt(FIELDS.length)], value(2));
                    }
                    return m;
                }
                case "w": case "t": // no ignore_above
                    return r.nextInt(10) == 0 ? "w".repeat(1000 + r.nextInt(50)) : r.nextInt(4) == 0 ? fieldValue() : scalar(r.nextInt(STRINGS.length));
                default:
                    return r.nextInt(3) == 0 ? randomText() : STRINGS[r.nextInt(9)];
            }
        }

        /** Mostly what a field holds: a scalar, sometimes an array, rarely an object. */
        private Object fieldValue() {
            int pick = r.nextInt(100);
            if (pick < 55) return scalar(r.nextInt(STRINGS.length));
            if (pick < 80) return new Token(r.nextInt(3) == 0 ? hugeOrPlainNumber() : NUMBERS[r.nextInt(NUMBERS.length)]);
            if (pick < 88) return new Token(r.nextInt(3) == 0 ? "null" : r.nextBoolean() ? "true" : "false");
            if (pick < 97) {
                List<Object> list = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) list.add(r.nextInt(10) == 0 ? value(3) : scalar(r.nextInt(STRINGS.length)));
                return list;
            }
            return value(3);
        }

        private Object value(int depth) {
            int pick = r.nextInt(depth > 4 ? 6 : 10);
            if (pick < 4) return scalar(r.nextInt(STRINGS.length));
            if (pick < 6) return r.nextInt(3) == 0 ? new Token(hugeOrPlainNumber()) : new Token(NUMBERS[r.nextInt(NUMBERS.length)]);
            if (pick == 6) {
                List<Object> list = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) list.add(value(depth + 1));
                return list;
            }
            if (pick == 7) return new Token(r.nextInt(3) == 0 ? "null" : r.nextBoolean() ? "true" : "false");
            Map<String, Object> m = new LinkedHashMap<>();
            for (int i = r.nextInt(4); i > 0; i--) {
                m.put(r.nextBoolean() ? NOISE[r.nextInt(NOISE.length)] : FIELDS[r.nextInt(FIELDS.length)], value(depth + 1));
            }
            return m;
        }

        private Object scalar(int i) {
            return r.nextInt(4) == 0 ? randomText() : STRINGS[i];
        }

        /** A JSON value or token kept as written. */
        private static final class Token {
            final String text;

            Token(String text) {
                this.text = text;
            }
        }

        private void write(Object v, int depth) {
            if (v instanceof Map) {
                @SuppressWarnings("unchecked") Map<String, Object> m = (Map<String, Object>) v;
                out.ascii("{");
                boolean first = true;
                List<Map.Entry<String, Object>> entries = new ArrayList<>(m.entrySet());
                if (!entries.isEmpty() && r.nextInt(40) == 0) entries.add(entries.get(r.nextInt(entries.size()))); // duplicate key
                for (Map.Entry<String, Object> e : entries) {
                    if (!first) {
                        ws();
                        out.ascii(",");
                    }
                    first = false;
                    ws();
                    string(e.getKey(), true);
                    ws();
                    out.ascii(":");
                    ws();
                    write(e.getValue(), depth + 1);
                }
                ws();
                out.ascii("}");
            } else if (v instanceof List) {
                out.ascii("[");
                boolean first = true;
                for (Object e : (List<?>) v) {
                    if (!first) {
                        ws();
                        out.ascii(",");
                    }
                    first = false;
                    ws();
                    write(e, depth + 1);
                }
                ws();
                out.ascii("]");
            } else if (v instanceof Token) {
                String t = ((Token) v).text;
                if (r.nextInt(200) == 0) t = new String[] {"nul", "truex", "True", "nulll", "fals"}[r.nextInt(5)];
                else if (r.nextInt(150) == 0) t = BAD_NUMBERS[r.nextInt(BAD_NUMBERS.length)];
                out.ascii(t);
            } else {
                string((String) v, false);
            }
        }

        /** Containers nested {@code levels} deep, around Jackson's limit of 1000. */
        private void deep(int levels) {
            StringBuilder close = new StringBuilder();
            for (int i = 0; i < levels; i++) {
                boolean array = i > 0 && r.nextBoolean();
                out.ascii(array ? "[" : i == 0 ? "{\"destination\":" : "{\"a\":");
                close.append(array ? ']' : '}');
            }
            out.ascii("25");
            out.ascii(close.reverse().toString());
        }

        private String hugeOrPlainNumber() {
            if (r.nextInt(8) > 0) return Integer.toString(r.nextInt(70000) - 100);
            int digits = new int[] {18, 19, 20, 999, 1000, 1001, 1002}[r.nextInt(7)];
            StringBuilder b = new StringBuilder(r.nextBoolean() ? "-" : "");
            b.append((char) ('1' + r.nextInt(9)));
            for (int i = 1; i < digits; i++) b.append((char) ('0' + r.nextInt(10)));
            if (r.nextInt(3) == 0) b.insert(1 + r.nextInt(b.length() - 1), '.');
            if (r.nextInt(4) == 0) b.append('e').append(r.nextInt(400) - 200);
            if (b.charAt(b.length() - 1) == '.') b.append('0');
            if (b.charAt(0) == '-' && b.charAt(1) == '.') b.insert(1, '0');
            return b.toString();
        }

        private String randomText() {
            StringBuilder b = new StringBuilder();
            int n = r.nextInt(r.nextInt(30) == 0 ? 3000 : 12);
            for (int i = 0; i < n; i++) {
                int k = r.nextInt(20);
                if (k < 12) b.append((char) ('a' + r.nextInt(26)));
                else if (k < 14) b.append("\u00e9\u4e2d\ud83d\ude00\u2028".charAt(r.nextInt(5)));
                else if (k == 14) b.append("\"\\/\b\f\n\r\t".charAt(r.nextInt(8)));
                else if (k == 15) b.append((char) r.nextInt(0x20));
                else if (k == 16) b.append((char) (0xD800 + r.nextInt(0x800))); // lone or paired surrogate halves
                else b.append((char) (0x20 + r.nextInt(0x5F)));
            }
            return b.toString();
        }

        /**
         * A JSON string for {@code s} (where {@code \\u} escapes written in it stand for themselves), each
         * character written raw, escaped or (rarely) followed by broken UTF-8.
         */
        private void string(String s, boolean key) {
            out.ascii("\"");
            boolean spell = r.nextInt(key ? 6 : 3) == 0;
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\\' && i + 5 < s.length() && s.charAt(i + 1) == 'u') {
                    out.ascii(s.substring(i, i + 6));
                    i += 5;
                    continue;
                }
                int how = spell ? r.nextInt(6) : 5;
                if (c == '"' || c == '\\') {
                    out.ascii("\\");
                    out.raw(c);
                } else if (c < 0x20) {
                    if (c == '\n' && r.nextBoolean()) out.ascii("\\n");
                    else if (c == '\t' && r.nextBoolean()) out.ascii("\\t");
                    else hexEscape(c, r.nextBoolean());
                } else if (how == 0) {
                    hexEscape(c, r.nextBoolean());
                } else if (how == 1 && c == '/') {
                    out.ascii("\\/");
                } else if (Character.isSurrogate(c)) {
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1)) && r.nextBoolean()) {
                        out.utf8(s.substring(i, i + 2));
                        i++;
                    } else if (r.nextInt(4) == 0) {
                        out.raw(0xE0 | (c >> 12), 0x80 | ((c >> 6) & 0x3F), 0x80 | (c & 0x3F)); // CESU-style raw surrogate
                    } else {
                        hexEscape(c, r.nextBoolean());
                    }
                } else if (c < 0x80) {
                    out.raw(c);
                } else {
                    out.utf8(String.valueOf(c));
                }
            }
            if (r.nextInt(key ? 400 : 200) == 0) brokenUtf8();
            if (r.nextInt(100) == 0) out.ascii("\\u0000");
            out.ascii("\"");
        }

        private void hexEscape(char c, boolean upper) {
            String hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
            out.ascii("\\u");
            for (int shift = 12; shift >= 0; shift -= 4) out.raw(hex.charAt((c >> shift) & 0xF));
        }

        private void brokenUtf8() {
            int[][] seqs = {{0xC0, 0x80}, {0xC1, 0xBF}, {0xED, 0xA0, 0x80}, {0xF4, 0x90, 0x80, 0x80}, {0xF5, 0x80, 0x80, 0x80},
                {0xF7, 0xBF, 0xBF, 0xBF}, {0xF8, 0x80}, {0x80}, {0xBF}, {0xC3}, {0xE2, 0x82}, {0xF0, 0x9F, 0x98}, {0xFE}, {0xFF},
                {0xC3, 0x28}, {0xE0, 0x80, 0x80}, {0xF0, 0x80, 0x80, 0x80}, {0x7F}};
            out.raw(seqs[r.nextInt(seqs.length)]);
        }

        private void ws() {
            int k = r.nextInt(40);
            if (k < 30) return;
            switch (k) {
                case 30: case 31: out.ascii(" "); break;
                case 32: out.ascii("\t"); break;
                case 33: out.ascii("\n"); break;
                case 34: out.ascii("\r\n"); break;
                case 35: out.ascii("/* c */"); break;
                case 36: out.ascii("// c\n"); break;
                case 37: out.ascii("/**/"); break;
                case 38: out.utf8("/* \u00e9 * / ** */"); break;
                default: out.ascii(r.nextBoolean() ? "\r" : "  ");
            }
        }
    }

    /** Damages a document the ways real inputs get damaged, and the ways parsers get confused. */
    static final class Mutator {
        private static final int[] INTERESTING = {'"', '\\', '{', '}', '[', ']', ',', ':', '/', '*', 0x00, 0x01, 0x1F, ' ',
            '\t', '\n', '\r', 0x7F, 0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xF7, 0xF8, 0xFE,
            0xFF, 'e', 'E', '.', '-', '+', '0', '1', 'u', 'n', 't', 'f', 'a', '#', '\''};
        private final Random r;

        Mutator(Random random) {
            this.r = random;
        }

        byte[] mutate(byte[] doc) {
            byte[] d = doc;
            int rounds = 1 + (r.nextInt(4) == 0 ? r.nextInt(3) : 0);
            for (int i = 0; i < rounds; i++) d = once(d);
            return d;
        }

        private byte[] once(byte[] d) {
            if (d.length == 0) return new byte[] {(byte) pick()};
            int at = r.nextInt(d.length);
            switch (r.nextInt(10)) {
                case 0: return Arrays.copyOf(d, at); // truncation
                case 1: case 2: {
                    byte[] c = d.clone();
                    c[at] = (byte) (r.nextInt(3) == 0 ? r.nextInt(256) : pick());
                    return c;
                }
                case 3: return insert(d, at, new byte[] {(byte) pick()});
                case 4: return delete(d, at, 1 + r.nextInt(Math.min(8, d.length - at)));
                case 5: return duplicateKey(d);
                case 6: {
                    byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
                    return r.nextBoolean() ? insert(d, 0, bom) : insert(d, at, r.nextBoolean() ? bom : "/*x*/".getBytes(StandardCharsets.US_ASCII));
                }
                case 7: {
                    // white space variants: a space becomes another white space or an invalid one
                    byte[] c = d.clone();
                    for (int i = 0; i < c.length; i++) {
                        if (c[i] == ' ' && r.nextInt(4) == 0) c[i] = (byte) new int[] {'\t', '\n', '\r', 0x0B, 0x0C, 0xA0}[r.nextInt(6)];
                    }
                    return c;
                }
                case 8: {
                    int len = 1 + r.nextInt(Math.min(40, d.length - at));
                    return insert(d, r.nextInt(d.length + 1), Arrays.copyOfRange(d, at, at + len)); // splice
                }
                default: {
                    byte[] c = d.clone();
                    c[at] = (byte) (c[at] ^ (1 << r.nextInt(8)));
                    return c;
                }
            }
        }

        private int pick() {
            return INTERESTING[r.nextInt(INTERESTING.length)];
        }

        /** Repeats the first field of a random object inside that object: a duplicate key, often in a skipped subtree. */
        private byte[] duplicateKey(byte[] d) {
            List<Integer> opens = new ArrayList<>();
            for (int i = 0; i + 1 < d.length; i++) {
                if (d[i] == '{' && d[i + 1] == '"') opens.add(i);
            }
            if (opens.isEmpty()) return d;
            int open = opens.get(r.nextInt(opens.size()));
            int close = open + 2;
            while (close < d.length && (d[close] != '"' || d[close - 1] == '\\')) close++;
            if (close >= d.length) return d;
            byte[] key = Arrays.copyOfRange(d, open + 1, close + 1);
            byte[] pair = new byte[key.length + 3];
            System.arraycopy(key, 0, pair, 0, key.length);
            pair[key.length] = ':';
            pair[key.length + 1] = '0';
            pair[key.length + 2] = ',';
            return insert(d, open + 1, pair);
        }

        private static byte[] insert(byte[] d, int at, byte[] what) {
            byte[] c = new byte[d.length + what.length];
            System.arraycopy(d, 0, c, 0, at);
            System.arraycopy(what, 0, c, at, what.length);
            System.arraycopy(d, at, c, at + what.length, d.length - at);
            return c;
        }

        private static byte[] delete(byte[] d, int at, int n) {
            byte[] c = new byte[d.length - n];
            System.arraycopy(d, 0, c, 0, at);
            System.arraycopy(d, at + n, c, at, d.length - at - n);
            return c;
        }
    }

    /** A growable byte buffer. */
    static final class Bytes {
        private byte[] b = new byte[512];
        private int n;

        void clear() {
            n = 0;
        }

        void ascii(String s) {
            for (int i = 0; i < s.length(); i++) add(s.charAt(i));
        }

        void utf8(String s) {
            for (byte x : s.getBytes(StandardCharsets.UTF_8)) add(x);
        }

        void raw(int... bytes) {
            for (int x : bytes) add(x);
        }

        private void add(int x) {
            if (n == b.length) b = Arrays.copyOf(b, n * 2);
            b[n++] = (byte) x;
        }

        byte[] toArray() {
            return Arrays.copyOf(b, n);
        }
    }
}

package org.smtpdetect.event;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The hot-path parser: one validating pass over the UTF-8 bytes that accepts and rejects exactly the documents
 * {@link EventParser} (Jackson configured as Elasticsearch configures it) accepts and rejects, and extracts the
 * same values. Strings are searched 8 bytes at a time (SWAR) for quotes, backslashes, control and non-ASCII
 * bytes; everything is validated (escapes, UTF-8 as Jackson decodes it, numbers, literals, comments, nesting,
 * duplicate keys at any depth, trailing content) but only the schema's values are decoded. Keys are hashed
 * while they are scanned; duplicate detection compares them within their object without allocating, and
 * repeated keyword values come from a small cache, so an ordinary event allocates nothing.
 *
 * <p>Every rejection is confirmed by the reference, which also supplies Jackson's own message: rejections are
 * rare and are dead letters, and a record the scanner rejects is then exactly what the reference makes of it.
 * UTF-16 and UTF-32 input (which Jackson recognises from a BOM or zero bytes at the start) go to the reference
 * directly. Not thread-safe: one per task.
 *
 * <p>The position is passed along in locals and returned by the helpers (negative: a problem, recorded in
 * {@link #problem}) rather than kept in a field, so it stays in a register on the parse's critical path.
 */
public final class EventScanner implements EventReader {
    /** The checks Jackson applies, in the order it applies them; the scanner's own verdict. */
    enum Problem { NONE, EMPTY, NOT_OBJECT, TRAILING, SYNTAX, DUPLICATE, CONSTRAINT, MAPPING }

    /** Jackson's default limits, which Elasticsearch keeps (the string length cap is lifted). */
    static final int MAX_DEPTH = 1000;
    static final int MAX_NUMBER_LENGTH = 1000;
    static final int MAX_NAME_BYTES = 50_000;
    /** Jackson's field-name buffer cannot grow past this many bytes while a name is still being read. */
    static final int NAME_BUFFER_BYTES = 65_540;
    /** Objects with more keys than this get a hash index for duplicate detection. */
    private static final int LINEAR_KEYS = 24;

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    private static final int TRUE = 't' | 'r' << 8 | 'u' << 16 | 'e' << 24;
    private static final int NULL = 'n' | 'u' << 8 | 'l' << 16 | 'l' << 24;
    private static final int FALS = 'f' | 'a' << 8 | 'l' << 16 | 's' << 24;
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long QUOTES = 0x2222222222222222L;
    private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;
    private static final long BELOW_SPACE = 0x2020202020202020L;
    private static final long DOTS = 0x2E2E2E2E2E2E2E2EL;

    /** Returned instead of a position when a problem was found. */
    private static final int FAILED = -1;
    private static final byte OBJECT = 1;
    private static final byte ARRAY = 2;
    /** Kinds of key text: the input bytes, ASCII bytes decoded into {@link #keyBytes}, or wider chars. */
    private static final byte KEY_INPUT = 0;
    private static final byte KEY_ASCII = 1;
    private static final byte KEY_WIDE = 2;

    private final FieldSchema schema;
    private final ParsedEvent event;
    private final Target root;
    private final Map<FieldSchema.Node, Target> targets = new IdentityHashMap<>();
    private final Map<String, Target> conflicts = new HashMap<>();
    private final Map<String, Target> below = new HashMap<>();
    /** The target of each leaf field, by slot. */
    private final Target[] bySlot;
    private final long[] ip = new long[2];
    private final AsciiView view = new AsciiView();
    private final KeywordCache keywords = new KeywordCache();
    private EventParser reference;

    // The document being scanned.
    private byte[] buf;
    private int end;
    private Problem problem;
    private String reason;
    private boolean declined;

    // Open containers; index 1 is the root object.
    private final byte[] kinds = new byte[MAX_DEPTH + 2];
    private final Target[] nodes = new Target[MAX_DEPTH + 2];
    private final int[] counts = new int[MAX_DEPTH + 2];
    private final int[] keyBase = new int[MAX_DEPTH + 2];
    private final long[] keyFilter = new long[2 * (MAX_DEPTH + 2)];
    private int[][] keyIndex = new int[8][];

    // Keys of the open objects, innermost last.
    private int keyTop;
    private int[] keyHash = new int[256];
    /** Per key: kind in bits 56-63, length in bits 32-55, position in bits 0-31. */
    private long[] keyInfo = new long[256];
    private byte[] keyBytes = new byte[256];
    private int keyBytesTop;
    private char[] keyChars = new char[64];
    private int keyCharsTop;

    // The key just read.
    private int curAt;
    private int curLength;
    private int curHash;
    private byte curKind;
    /** The decoded name when {@link #curKind} is not {@link #KEY_INPUT}. */
    private String curText;

    // The number or plain string just read: its bounds in the input.
    private int numStart;
    private int numEnd;
    private boolean numInteger;

    // Decoded text of the string just read (-1 when it was plain ASCII, left in the input).
    private char[] text = new char[256];
    private int textLength;
    private byte[] nameBytes = new byte[64];

    public EventScanner(FieldSchema schema) {
        this.schema = schema;
        this.event = new ParsedEvent(schema);
        this.bySlot = new Target[schema.size()];
        this.root = target(schema.root());
    }

    @Override
    public FieldSchema schema() {
        return schema;
    }

    /** Parses one document; the returned event is reused by the next call. */
    @Override
    public ParsedEvent parse(byte[] data, int offset, int length) {
        ParsedEvent e = scan(data, offset, length);
        return e.isError() && !declined ? reference().parse(data, offset, length) : e;
    }

    /** The scanner's own verdict, without the reference's confirmation of rejections. */
    ParsedEvent scan(byte[] data, int offset, int length) {
        event.reset();
        declined = false;
        problem = Problem.NONE;
        reason = null;
        event.source(data, offset, length); // nested queries read the nested objects from the source
        if (data == null) {
            fail(Problem.EMPTY, "empty input");
        } else if (isBlank(data, offset, offset + length)) {
            fail(Problem.EMPTY, "empty input");
        } else if (otherEncoding(data, offset, length)) {
            declined = true;
            return reference().parse(data, offset, length);
        } else {
            buf = data;
            end = offset + length;
            scanDocument(offset + (hasUtf8Bom(data, offset, length) ? 3 : 0));
            buf = null;
        }
        if (problem != Problem.NONE) event.fail(reason);
        return event;
    }

    /** What the last {@link #scan} found; {@link Problem#NONE} for a document. */
    Problem problem() {
        return problem;
    }

    /** Whether the last {@link #scan} left the input to the reference (UTF-16 or UTF-32). */
    boolean declined() {
        return declined;
    }

    private EventParser reference() {
        if (reference == null) reference = new EventParser(schema);
        return reference;
    }

    private int fail(Problem p, String why) {
        problem = p;
        reason = why;
        return FAILED;
    }

    private int syntax(String what, int at) {
        return fail(Problem.SYNTAX, "invalid JSON: " + what + " at byte " + at);
    }

    private static boolean isBlank(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r') return false;
        }
        return true;
    }

    /**
     * Jackson reads the input as UTF-16 or UTF-32 when it starts with a zero byte, a zero second byte or a
     * UTF-16/32 byte order mark.
     */
    private static boolean otherEncoding(byte[] b, int from, int length) {
        if (length < 2) return false;
        int b0 = b[from] & 0xFF;
        return b0 == 0 || b[from + 1] == 0 || b0 == 0xFE || b0 == 0xFF;
    }

    /** A UTF-8 byte order mark, which Jackson skips when at least 4 bytes are given. */
    private static boolean hasUtf8Bom(byte[] b, int from, int length) {
        return length >= 4 && (b[from] & 0xFF) == 0xEF && (b[from + 1] & 0xFF) == 0xBB && (b[from + 2] & 0xFF) == 0xBF;
    }

    // ---------------------------------------------------------------- structure

    private void scanDocument(int p) {
        p = skipSpace(p);
        if (p < 0) return;
        if (p == end) {
            fail(Problem.NOT_OBJECT, "not a document: expected a JSON object but found nothing");
            return;
        }
        if (buf[p] != '{') {
            rootValue(p, Problem.NOT_OBJECT, "not a document: expected a JSON object");
            return;
        }
        kinds[1] = OBJECT;
        nodes[1] = root;
        counts[1] = 0;
        keyBase[1] = 0;
        keyFilter[2] = 0;
        keyFilter[3] = 0;
        keyTop = 0;
        keyBytesTop = 0;
        keyCharsTop = 0;
        p = scanContainers(p + 1);
        if (p < 0) return;
        p = skipSpace(p);
        if (p >= 0 && p < end) rootValue(p, Problem.TRAILING, "not a document: unexpected content after the JSON object");
    }

    /**
     * A value where the root object should start, or after it: Jackson reads one token there, so a bad token
     * is invalid JSON and a good one is the given problem.
     */
    private void rootValue(int p, Problem problem, String why) {
        int c = buf[p] & 0xFF;
        int next;
        switch (c) {
            case '{': case '[': case '"':
                next = p;
                break;
            case 't': case 'f': case 'n':
                next = literal(p);
                break;
            case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
                next = number(p);
                // Root-level numbers must be followed by white space (or the end); comments do not count.
                if (next >= 0 && next < end && !isRootSpace(buf[next])) next = syntax("expected space separating root-level values", next);
                if (next >= 0 && !numberLength()) next = FAILED;
                break;
            default:
                next = syntax("unexpected character '" + (char) c + "'", p);
        }
        if (next >= 0) fail(problem, why);
    }

    private static boolean isRootSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    /**
     * Scans from just inside the root object to just after its end; returns that position. Containers are
     * tracked by depth in {@link #kinds}, {@link #nodes} (the schema node an object's keys are looked up in, or
     * the target of an array's values; null below fields the schema does not read) and {@link #counts}.
     */
    private int scanContainers(int p) {
        int depth = 1;
        while (true) {
            int c = p < end ? buf[p] & 0xFF : -1;
            if (c <= ' ' || c == '/') {
                p = skipSpace(p);
                if (p < 0) return FAILED;
                if (p == end) return syntax("unexpected end of input inside " + (kinds[depth] == OBJECT ? "an object" : "an array"), p);
                c = buf[p] & 0xFF;
            }
            Target target;
            if (kinds[depth] == OBJECT) {
                if (c == '}') {
                    p++;
                    keyTop = keyBase[depth];
                    if (--depth == 0) return p;
                    continue;
                }
                if (c == ']') return syntax("unexpected ']' in an object", p);
                if (counts[depth]++ > 0) {
                    if (c != ',') return syntax("expected ',' or '}'", p);
                    p++;
                    c = p < end ? buf[p] & 0xFF : -1;
                    if (c == ' ' && p + 1 < end && buf[p + 1] > ' ' && buf[p + 1] != '/') c = buf[++p] & 0xFF; // ", "
                    if (c <= ' ' || c == '/') {
                        p = skipSpace(p);
                        if (p < 0) return FAILED;
                        c = p < end ? buf[p] & 0xFF : -1;
                    }
                }
                if (c != '"') return c < 0 ? syntax("unexpected end of input inside an object", p) : syntax("expected a double-quoted field name", p);
                p = key(p);
                if (p < 0 || !firstInObject(depth)) return FAILED;
                if (p < end && buf[p] == ':') {
                    p++;
                } else {
                    p = skipSpace(p);
                    if (p < 0) return FAILED;
                    if (p == end) return syntax("unexpected end of input after a field name", p);
                    if (buf[p] != ':') return syntax("expected ':' after a field name", p);
                    p++;
                }
                c = p < end ? buf[p] & 0xFF : -1;
                if (c == ' ' && p + 1 < end && buf[p + 1] > ' ' && buf[p + 1] != '/') c = buf[++p] & 0xFF; // ": "
                if (c <= ' ' || c == '/') {
                    p = skipSpace(p);
                    if (p < 0) return FAILED;
                    if (p == end) return syntax("unexpected end of input after a field name", p);
                    c = buf[p] & 0xFF;
                }
                Target node = nodes[depth];
                target = node == null ? null : resolve(node);
            } else {
                if (c == ']') {
                    p++;
                    depth--;
                    continue;
                }
                if (c == '}') return syntax("unexpected '}' in an array", p);
                if (counts[depth]++ > 0) {
                    if (c != ',') return syntax("expected ',' or ']'", p);
                    p++;
                    c = p < end ? buf[p] & 0xFF : -1;
                    if (c == ' ' && p + 1 < end && buf[p + 1] > ' ' && buf[p + 1] != '/') c = buf[++p] & 0xFF;
                    if (c <= ' ' || c == '/') {
                        p = skipSpace(p);
                        if (p < 0) return FAILED;
                        if (p == end) return syntax("unexpected end of input inside an array", p);
                        c = buf[p] & 0xFF;
                    }
                    if (c < 0) return syntax("unexpected end of input inside an array", p);
                }
                target = nodes[depth];
            }
            switch (c) {
                case '"':
                    if (target == null) {
                        p = skipString(p);
                        if (p < 0) return FAILED;
                    } else {
                        if (target.conflict) return objectWhereValueBelongs(target);
                        p = readString(p);
                        if (p < 0 || !stringValue(target)) return FAILED;
                    }
                    break;
                case '{': case '[':
                    p++;
                    if (depth == MAX_DEPTH) return fail(Problem.CONSTRAINT, "not a document: nesting depth exceeds " + MAX_DEPTH);
                    if (target != null && (target.conflict || (c == '{' && target.leafOnly))) {
                        if (target.conflict || (target.type != FieldType.FLATTENED && target.type != FieldType.FLATTENED_KEY)) {
                            return objectWhereValueBelongs(target);
                        }
                        // A flattened field's object: every value below is one of its leaves. Below a flattened
                        // key's own leaf lie other keys of the flattened field: skipped.
                        target = target.type == FieldType.FLATTENED ? belowFlattened(target) : null;
                    }
                    depth++;
                    kinds[depth] = c == '{' ? OBJECT : ARRAY;
                    nodes[depth] = target;
                    counts[depth] = 0;
                    keyBase[depth] = keyTop;
                    keyFilter[2 * depth] = 0;
                    keyFilter[2 * depth + 1] = 0;
                    break;
                case 't': case 'f': case 'n':
                    p = literal(p);
                    if (p < 0) return FAILED;
                    if (target != null) {
                        if (target.conflict) return objectWhereValueBelongs(target);
                        if (c != 'n' && !booleanValue(target, c == 't')) return FAILED;
                    }
                    break;
                case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
                    p = number(p);
                    if (p < 0 || !numberLength()) return FAILED;
                    if (target != null) {
                        if (target.conflict) return objectWhereValueBelongs(target);
                        if (!numberValue(target)) return FAILED;
                    }
                    break;
                default:
                    return syntax("unexpected character '" + (char) c + "'", p);
            }
        }
    }

    private int objectWhereValueBelongs(Target target) {
        return fail(Problem.MAPPING, "not a document: field [" + target.path + "] holds an object where a value belongs");
    }

    private boolean valueWhereObjectBelongs(Target target) {
        fail(Problem.MAPPING, "not a document: field [" + target.path + "] holds a value where an object belongs");
        return false;
    }

    /**
     * Skips white space and comments from {@code p}; returns the position of the next token (the end when there
     * is none). Only space, tab, CR and LF are white space; other control bytes are invalid.
     */
    private int skipSpace(int p) {
        while (p < end) {
            int c = buf[p] & 0xFF;
            if (c > ' ') {
                if (c != '/') return p;
                p = comment(p);
                if (p < 0) return FAILED;
            } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                p++;
            } else {
                return syntax("illegal character (code " + c + ") between tokens", p);
            }
        }
        return p;
    }

    /** A {@code //} or {@code /* *}{@code /} comment at {@code p}; its content is validated as Jackson does. */
    private int comment(int p) {
        p++;
        if (p == end) return syntax("unexpected end of input in a comment", p);
        byte kind = buf[p++];
        if (kind == '/') {
            while (p < end) {
                int c = buf[p] & 0xFF;
                if (c == '\n' || c == '\r') return p + 1;
                if (c < ' ' && c != '\t') return syntax("illegal character (code " + c + ") in a comment", p);
                p = c >= 0x80 ? utf8(p, c) : p + 1;
                if (p < 0) return FAILED;
            }
            return p;
        }
        if (kind != '*') return syntax("expected '*' or '/' after '/' for a comment", p - 1);
        while (p < end) {
            int c = buf[p] & 0xFF;
            if (c == '*') {
                p++;
                if (p == end) break;
                if (buf[p] == '/') return p + 1;
            } else if (c < ' ' && c != '\t' && c != '\n' && c != '\r') {
                return syntax("illegal character (code " + c + ") in a comment", p);
            } else {
                p = c >= 0x80 ? utf8(p, c) : p + 1;
                if (p < 0) return FAILED;
            }
        }
        return syntax("unexpected end of input in a comment", p);
    }

    /**
     * Validates the multi-byte sequence at {@code p} (lead byte {@code lead}) as Jackson does: a lead byte of
     * the 2, 3 or 4 byte forms followed by that many continuation bytes (overlong forms and surrogates pass).
     */
    private int utf8(int p, int lead) {
        int n = continuationBytes(lead);
        if (n < 0) return syntax("invalid UTF-8 start byte 0x" + Integer.toHexString(lead), p);
        p++;
        for (int i = 0; i < n; i++) {
            if (p == end) return syntax("unexpected end of input in a UTF-8 sequence", p);
            if ((buf[p] & 0xC0) != 0x80) return syntax("invalid UTF-8 middle byte 0x" + Integer.toHexString(buf[p] & 0xFF), p);
            p++;
        }
        return p;
    }

    private static int continuationBytes(int lead) {
        if ((lead & 0xE0) == 0xC0) return 1;
        if ((lead & 0xF0) == 0xE0) return 2;
        if ((lead & 0xF8) == 0xF0) return 3;
        return -1;
    }

    /** {@code true}, {@code false} or {@code null} at {@code p}, not followed by a letter or digit. */
    private int literal(int p) {
        if (p + 6 <= end) {
            int word = (int) INTS.get(buf, p);
            int n = word == TRUE || word == NULL ? 4 : word == FALS && buf[p + 4] == 'e' ? 5 : 0;
            if (n > 0) {
                int next = buf[p + n] & 0xFF;
                if (next < '0' || next == ']' || next == '}') return p + n;
            }
        }
        return anyLiteral(p);
    }

    private int anyLiteral(int p) {
        int c = buf[p];
        String word = c == 't' ? "true" : c == 'f' ? "false" : "null";
        int n = word.length();
        for (int i = 0; i < n; i++) {
            if (p + i == end || buf[p + i] != word.charAt(i)) return syntax("unrecognized token (expected '" + word + "')", p + i);
        }
        p += n;
        if (p == end) return p;
        int next = buf[p] & 0xFF;
        if (next < '0' || next == ']' || next == '}') return p;
        // Jackson decodes the following character and refuses a Java identifier part ("truex", "nullé").
        int ch = next;
        if (next >= 0x80) {
            int more = continuationBytes(next);
            if (more < 0) return syntax("invalid UTF-8 start byte 0x" + Integer.toHexString(next), p);
            ch = next & (more == 1 ? 0x1F : more == 2 ? 0x0F : 0x07);
            for (int i = 1; i <= more; i++) {
                if (p + i == end) return syntax("unexpected end of input in a UTF-8 sequence", p + i);
                int d = buf[p + i] & 0xFF;
                if ((d & 0xC0) != 0x80) return syntax("invalid UTF-8 middle byte 0x" + Integer.toHexString(d), p + i);
                ch = (ch << 6) | (d & 0x3F);
            }
        }
        if (Character.isJavaIdentifierPart((char) ch)) return syntax("unrecognized token (expected '" + word + "')", p);
        return p;
    }

    /**
     * A JSON number at {@code p}: {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}. Sets the number's
     * bounds and kind and returns the position after it; the length limit is checked by {@link #numberLength}.
     */
    private int number(int p) {
        // plain integers without a leading zero, the common case, in one loop
        int q = p;
        if (buf[q] == '-') q++;
        if (q < end && buf[q] >= '1' && buf[q] <= '9') {
            q++;
            while (q < end && isDigit(buf[q])) q++;
            if (q == end || (buf[q] != '.' && (buf[q] | 0x20) != 'e')) {
                numStart = p;
                numEnd = q;
                numInteger = true;
                return q;
            }
        }
        return anyNumber(p);
    }

    private int anyNumber(int p) {
        numStart = p;
        if (buf[p] == '-') {
            p++;
            if (p == end) return syntax("unexpected end of input in a number", p);
        }
        int c = buf[p];
        if (c == '0') {
            p++;
            if (p < end && isDigit(buf[p])) return syntax("leading zeroes are not allowed", p);
        } else if (c >= '1' && c <= '9') {
            p++;
            while (p < end && isDigit(buf[p])) p++;
        } else {
            return syntax("expected a digit", p);
        }
        numInteger = true;
        if (p < end && buf[p] == '.') {
            numInteger = false;
            int from = ++p;
            while (p < end && isDigit(buf[p])) p++;
            if (p == from) return syntax("decimal point not followed by a digit", p);
        }
        if (p < end && (buf[p] | 0x20) == 'e') {
            numInteger = false;
            p++;
            if (p == end) return syntax("unexpected end of input in a number", p);
            if (buf[p] == '-' || buf[p] == '+') {
                p++;
                if (p == end) return syntax("unexpected end of input in a number", p);
            }
            int from = p;
            while (p < end && isDigit(buf[p])) p++;
            if (p == from) return syntax("exponent indicator not followed by a digit", p);
        }
        numEnd = p;
        return p;
    }

    /** Jackson's limit on digits (sign, point and exponent marker not counted). */
    private boolean numberLength() {
        if (numEnd - numStart <= MAX_NUMBER_LENGTH) return true;
        int digits = 0;
        for (int i = numStart; i < numEnd; i++) {
            if (isDigit(buf[i])) digits++;
        }
        if (digits > MAX_NUMBER_LENGTH) {
            fail(Problem.CONSTRAINT, "not a document: number of " + digits + " digits exceeds " + MAX_NUMBER_LENGTH);
            return false;
        }
        return true;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    // ---------------------------------------------------------------- strings

    /**
     * Flags (in its high bit) each byte of {@code w} that is a quote, backslash, control or non-ASCII byte; the
     * lowest flagged byte is exact (a borrow only flags bytes above a flagged one). The usual {@code & ~x} terms
     * are left out: they only clear flags of non-ASCII bytes, which are flagged anyway.
     */
    private static long specials(long w) {
        return (((w ^ QUOTES) - ONES) | ((w ^ BACKSLASHES) - ONES) | (w - BELOW_SPACE) | w) & HIGHS;
    }

    /**
     * The index (0-15) of the first special byte in the 16 bytes at {@code p}, or 16. Both words are looked at
     * and their trailing-zero counts combined without a branch, so a string's length (1 to 15 bytes: most
     * strings and names) costs no mispredicted branch.
     */
    private int firstSpecial16(int p) {
        int t1 = Long.numberOfTrailingZeros(specials((long) LONGS.get(buf, p)));
        int t2 = Long.numberOfTrailingZeros(specials((long) LONGS.get(buf, p + 8)));
        return (t1 + (t1 >> 6) * t2) >>> 3;
    }

    /** Flags each '.' byte of {@code w}; the lowest flag is exact. */
    private static long dots(long w) {
        long d = w ^ DOTS;
        return (d - ONES) & ~d & HIGHS;
    }

    /**
     * The position of the next quote, backslash, control or non-ASCII byte from {@code p} (inside a string), or
     * the end of the input.
     */
    private int toSpecial(int p) {
        while (p + 16 <= end) {
            int at = firstSpecial16(p);
            if (at < 16) return p + at;
            p += 16;
        }
        while (p + 8 <= end) {
            long s = specials((long) LONGS.get(buf, p));
            if (s != 0) return p + (Long.numberOfTrailingZeros(s) >>> 3);
            p += 8;
        }
        while (p < end) {
            int c = buf[p] & 0xFF;
            if (c == '"' || c == '\\' || c < ' ' || c >= 0x80) return p;
            p++;
        }
        return p;
    }

    /** Validates the string value at {@code p} (the opening quote); returns the position after it. */
    private int skipString(int p) {
        p = toSpecial(p + 1);
        while (p < end) {
            int c = buf[p] & 0xFF;
            if (c == '"') return p + 1;
            if (c == '\\') {
                p = escape(p);
            } else if (c >= 0x80) {
                p = utf8(p, c);
            } else {
                return syntax("illegal unquoted character (code " + c + ") in a string", p);
            }
            if (p < 0) return FAILED;
            p = toSpecial(p);
        }
        return syntax("unexpected end of input in a string", p);
    }

    /**
     * Validates the escape at {@code p} (the backslash); returns the position after it and leaves the char in
     * {@link #escaped}.
     */
    private int escape(int p) {
        p++;
        if (p == end) return syntax("unexpected end of input in an escape sequence", p);
        int c = buf[p++];
        switch (c) {
            case 'b': escaped = '\b'; return p;
            case 't': escaped = '\t'; return p;
            case 'n': escaped = '\n'; return p;
            case 'f': escaped = '\f'; return p;
            case 'r': escaped = '\r'; return p;
            case '"': case '/': case '\\': escaped = (char) c; return p;
            case 'u': break;
            default: return syntax("unrecognized character escape", p - 1);
        }
        int value = 0;
        for (int i = 0; i < 4; i++, p++) {
            if (p == end) return syntax("unexpected end of input in an escape sequence", p);
            int digit = hexDigit(buf[p]);
            if (digit < 0) return syntax("expected a hex digit in an escape sequence", p);
            value = (value << 4) | digit;
        }
        escaped = (char) value;
        return p;
    }

    private char escaped;

    private static int hexDigit(byte b) {
        if (b >= '0' && b <= '9') return b - '0';
        if (b >= 'a' && b <= 'f') return b - 'a' + 10;
        if (b >= 'A' && b <= 'F') return b - 'A' + 10;
        return -1;
    }

    /**
     * Reads the string at {@code p} (the opening quote); returns the position after it. Plain ASCII without
     * escapes stays in the input, its bounds in {@link #numStart}/{@link #numEnd} and {@link #textLength} -1;
     * anything else is decoded, as Jackson decodes it, into {@link #text}.
     */
    private int readString(int p) {
        int start = p + 1;
        p = toSpecial(start);
        if (p == end) return syntax("unexpected end of input in a string", p);
        if (buf[p] == '"') {
            numStart = start;
            numEnd = p;
            textLength = -1;
            return p + 1;
        }
        int n = 0;
        for (int i = start; i < p; i++) n = put(n, (char) buf[i]);
        while (true) {
            int c = buf[p] & 0xFF;
            if (c == '"') {
                textLength = n;
                return p + 1;
            }
            if (c == '\\') {
                p = escape(p);
                if (p < 0) return FAILED;
                n = put(n, escaped);
            } else if (c >= 0x80) {
                int at = p;
                p = utf8(p, c);
                if (p < 0) return FAILED;
                n = decodeUtf8(at, n);
            } else {
                return syntax("illegal unquoted character (code " + c + ") in a string", p);
            }
            int from = p;
            p = toSpecial(p);
            if (p == end) return syntax("unexpected end of input in a string", p);
            for (int i = from; i < p; i++) n = put(n, (char) buf[i]);
        }
    }

    /** Appends the (validated) multi-byte sequence at {@code at} with Jackson's arithmetic. */
    private int decodeUtf8(int at, int n) {
        int c = buf[at] & 0xFF;
        int more = continuationBytes(c);
        if (more == 1) return put(n, (char) (((c & 0x1F) << 6) | (buf[at + 1] & 0x3F)));
        if (more == 2) return put(n, (char) (((((c & 0x0F) << 6) | (buf[at + 1] & 0x3F)) << 6) | (buf[at + 2] & 0x3F)));
        int v = ((((((c & 0x07) << 6) | (buf[at + 1] & 0x3F)) << 6) | (buf[at + 2] & 0x3F)) << 6 | (buf[at + 3] & 0x3F)) - 0x10000;
        n = put(n, (char) (0xD800 | (v >> 10)));
        return put(n, (char) (0xDC00 | (v & 0x3FF)));
    }

    private int put(int n, char c) {
        if (n == text.length) text = Arrays.copyOf(text, n * 2);
        text[n] = c;
        return n + 1;
    }

    /** The string just read by {@link #readString}: a view of the input for plain ASCII, else a new String. */
    private CharSequence stringText() {
        return textLength < 0 ? view.of(buf, numStart, numEnd - numStart) : new String(text, 0, textLength);
    }

    // ---------------------------------------------------------------- keys

    /**
     * Reads the field name at {@code p} (the opening quote) into {@code cur*} and returns the position after it:
     * plain ASCII names stay in the input, hashed 8 bytes at a time while they are scanned; others are decoded as
     * Jackson decodes names.
     */
    private int key(int p) {
        int start = p + 1;
        if (start + 16 <= end) {
            // most names fit two words with their closing quote: hashed as hashBytes does, without branches
            long w1 = (long) LONGS.get(buf, start);
            long w2 = (long) LONGS.get(buf, start + 8);
            int t1 = Long.numberOfTrailingZeros(specials(w1));
            int t2 = Long.numberOfTrailingZeros(specials(w2));
            int at = (t1 + (t1 >> 6) * t2) >>> 3;
            if (at < 16 && buf[start + at] == '"') {
                long below1 = at >= 8 ? -1L : ~(-1L << (at << 3));
                long below2 = at >= 8 ? ~(-1L << ((at - 8) << 3)) : 0;
                long h = mix(0, w1 & below1);
                return plainKey(start, start + at, at > 8 ? mix(h, w2 & below2) : h);
            }
        }
        return longKey(start);
    }

    private int longKey(int start) {
        int p = start;
        long h = 0;
        while (p + 8 <= end) {
            long w = (long) LONGS.get(buf, p);
            long s = specials(w);
            if (s != 0) {
                int at = Long.numberOfTrailingZeros(s) >>> 3;
                if (buf[p + at] != '"') return escapedKey(start);
                if (at > 0) h = mix(h, w & (-1L >>> (64 - 8 * at)));
                return plainKey(start, p + at, h);
            }
            h = mix(h, w);
            p += 8;
        }
        long w = 0;
        int shift = 0;
        for (; p < end; p++) {
            int c = buf[p] & 0xFF;
            if (c == '"') {
                if (shift > 0) h = mix(h, w);
                return plainKey(start, p, h);
            }
            if (c == '\\' || c < ' ' || c >= 0x80) return escapedKey(start);
            w |= (long) c << shift;
            shift += 8;
        }
        if (end - start >= NAME_BUFFER_BYTES + 1) return nameTooLong();
        return syntax("unexpected end of input in a field name", end);
    }

    private int plainKey(int start, int quote, long h) {
        int length = quote - start;
        if (length > MAX_NAME_BYTES) return nameTooLong();
        curAt = start;
        curLength = length;
        curHash = finish(h, length);
        curKind = KEY_INPUT;
        return quote + 1;
    }

    private int nameTooLong() {
        return fail(Problem.CONSTRAINT, "not a document: field name longer than " + MAX_NAME_BYTES + " bytes");
    }

    /**
     * A name with escapes, control or non-ASCII bytes, read as Jackson reads names: escapes are re-encoded as
     * UTF-8 next to the raw bytes (its buffer limit counts those bytes), and the whole is decoded at the end.
     */
    private int escapedKey(int start) {
        int p = start;
        int n = 0;
        while (true) {
            if (p == end) return syntax("unexpected end of input in a field name", p);
            int c = buf[p] & 0xFF;
            if (c == '"') break;
            if (c < ' ') return syntax("illegal unquoted character (code " + c + ") in a field name", p);
            if (c == '\\') {
                p = escape(p);
                if (p < 0) return FAILED;
                int e = escaped;
                if (e < 0x80) {
                    n = nameByte(n, e);
                } else if (e < 0x800) {
                    n = nameByte(n, 0xC0 | (e >> 6));
                    n = nameByte(n, 0x80 | (e & 0x3F));
                } else {
                    n = nameByte(n, 0xE0 | (e >> 12));
                    n = nameByte(n, 0x80 | ((e >> 6) & 0x3F));
                    n = nameByte(n, 0x80 | (e & 0x3F));
                }
            } else {
                n = nameByte(n, c);
                p++;
            }
            if (n < 0) return nameTooLong();
        }
        if (n > MAX_NAME_BYTES) return nameTooLong();
        return decodeName(n, p) ? p + 1 : FAILED;
    }

    private int nameByte(int n, int b) {
        if (n < 0 || n >= NAME_BUFFER_BYTES) return -1;
        if (n == nameBytes.length) nameBytes = Arrays.copyOf(nameBytes, n * 2);
        nameBytes[n] = (byte) b;
        return n + 1;
    }

    /** Decodes {@link #nameBytes} with the arithmetic of Jackson's name decoder into the current key. */
    private boolean decodeName(int n, int at) {
        int chars = 0;
        boolean ascii = true;
        for (int i = 0; i < n; ) {
            int c = nameBytes[i++] & 0xFF;
            if (c > 127) {
                int needed = continuationBytes(c);
                if (needed < 0) return badName("invalid UTF-8 start byte 0x" + Integer.toHexString(c), at);
                c &= needed == 1 ? 0x1F : needed == 2 ? 0x0F : 0x07;
                if (i + needed > n) return badName("unexpected end of a UTF-8 sequence", at);
                for (int k = 0; k < needed; k++) {
                    int d = nameBytes[i++];
                    if ((d & 0xC0) != 0x80) return badName("invalid UTF-8 middle byte", at);
                    c = (c << 6) | (d & 0x3F);
                }
                if (needed > 2) {
                    c -= 0x10000;
                    chars = put(chars, (char) (0xD800 + (c >> 10)));
                    c = 0xDC00 | (c & 0x03FF);
                }
            }
            if (c > 127) ascii = false;
            chars = put(chars, (char) c);
        }
        curText = new String(text, 0, chars);
        curLength = chars;
        if (ascii) {
            if (keyBytesTop + chars > keyBytes.length) keyBytes = Arrays.copyOf(keyBytes, Math.max(keyBytes.length * 2, keyBytesTop + chars));
            for (int i = 0; i < chars; i++) keyBytes[keyBytesTop + i] = (byte) text[i];
            curAt = keyBytesTop;
            keyBytesTop += chars;
            curKind = KEY_ASCII;
            curHash = finish(hashBytes(keyBytes, curAt, chars), chars);
        } else {
            if (keyCharsTop + chars > keyChars.length) keyChars = Arrays.copyOf(keyChars, Math.max(keyChars.length * 2, keyCharsTop + chars));
            System.arraycopy(text, 0, keyChars, keyCharsTop, chars);
            curAt = keyCharsTop;
            keyCharsTop += chars;
            curKind = KEY_WIDE;
            curHash = curText.hashCode() | 1;
        }
        return true;
    }

    private boolean badName(String what, int at) {
        syntax(what + " in a field name", at);
        return false;
    }

    private static long mix(long h, long w) {
        return (h + w) * 0x9E3779B97F4A7C15L;
    }

    /** The key hash: the well-mixed high half, with the length folded in; even for ASCII keys. */
    private static int finish(long h, int length) {
        return (int) ((h + length) * 0xC2B2AE3D27D4EB4FL >>> 32) & ~1;
    }

    /** The hash {@link #key} computes while scanning, over any bytes. */
    static long hashBytes(byte[] b, int from, int length) {
        long h = 0;
        int p = from;
        int to = from + length;
        for (; p + 8 <= to; p += 8) h = mix(h, (long) LONGS.get(b, p));
        if (p < to) {
            long w = 0;
            for (int shift = 0; p < to; p++, shift += 8) w |= (long) (b[p] & 0xFF) << shift;
            h = mix(h, w);
        }
        return h;
    }

    /**
     * Jackson's duplicate detection: a name may appear once per object. Records the current key. A 128-bit
     * filter of the object's key hashes settles most keys without a search.
     */
    private boolean firstInObject(int depth) {
        long bit = 1L << (curHash >>> 26);
        int half = 2 * depth + ((curHash >>> 25) & 1);
        long seen = keyFilter[half];
        keyFilter[half] = seen | bit;
        int count = keyTop - keyBase[depth];
        if ((seen & bit) != 0 || count >= LINEAR_KEYS || keyTop == keyHash.length) return searchAndRecord(depth, count, (seen & bit) != 0);
        keyHash[keyTop] = curHash;
        keyInfo[keyTop++] = info();
        return true;
    }

    private long info() {
        return (long) curKind << 56 | (long) curLength << 32 | curAt;
    }

    private boolean searchAndRecord(int depth, int count, boolean maybeSeen) {
        int base = keyBase[depth];
        if (!maybeSeen) {
            if (count >= LINEAR_KEYS) keyIndex(depth, count);
        } else if (count < LINEAR_KEYS) {
            for (int i = base; i < keyTop; i++) {
                if (keyHash[i] == curHash && sameKey(i)) return duplicate();
            }
        } else {
            int[] index = keyIndex(depth, count);
            int mask = index.length - 1;
            for (int slot = slot(curHash, mask); ; slot = (slot + 1) & mask) {
                int k = index[slot] - 1;
                if (k < base || k >= keyTop) break;
                if (keyHash[k] == curHash && sameKey(k)) return duplicate();
            }
        }
        if (keyTop == keyHash.length) {
            keyHash = Arrays.copyOf(keyHash, keyTop * 2);
            keyInfo = Arrays.copyOf(keyInfo, keyTop * 2);
        }
        keyHash[keyTop] = curHash;
        keyInfo[keyTop] = info();
        if (count >= LINEAR_KEYS) insert(keyIndex[depth], keyTop, base);
        keyTop++;
        return true;
    }

    private boolean duplicate() {
        String name = curKind != KEY_INPUT ? curText : new String(buf, curAt, curLength, StandardCharsets.ISO_8859_1);
        fail(Problem.DUPLICATE, "not a document: Duplicate field '" + name + "'");
        return false;
    }

    /**
     * The hash index of the object at depth {@code d} once it holds {@code count} keys: built when the object
     * reaches {@link #LINEAR_KEYS} keys, doubled when it is half full. Slots hold key numbers + 1; a slot whose
     * number lies outside the object's keys is empty, so indexes are reused without clearing.
     */
    private int[] keyIndex(int d, int count) {
        if (d >= keyIndex.length) keyIndex = Arrays.copyOf(keyIndex, Math.max(d + 1, keyIndex.length * 2));
        int[] index = keyIndex[d];
        if (count == LINEAR_KEYS || index == null || 2 * (count + 1) > index.length) {
            int size = Integer.highestOneBit(Math.max(64, 4 * (count + 1)));
            if (index == null || index.length < size) index = keyIndex[d] = new int[size];
            Arrays.fill(index, 0);
            for (int k = keyBase[d]; k < keyTop; k++) insert(index, k, keyBase[d]);
        }
        return index;
    }

    private void insert(int[] index, int k, int base) {
        int mask = index.length - 1;
        int slot = slot(keyHash[k], mask);
        while (index[slot] - 1 >= base && index[slot] - 1 < keyTop) slot = (slot + 1) & mask;
        index[slot] = k + 1;
    }

    private boolean sameKey(int k) {
        long info = keyInfo[k];
        if ((int) (info >>> 32 & 0xFFFFFF) != curLength) return false;
        int kind = (int) (info >>> 56);
        int at = (int) info;
        if (kind == KEY_WIDE || curKind == KEY_WIDE) {
            return kind == curKind && Arrays.equals(keyChars, at, at + curLength, keyChars, curAt, curAt + curLength);
        }
        byte[] a = kind == KEY_INPUT ? buf : keyBytes;
        byte[] b = curKind == KEY_INPUT ? buf : keyBytes;
        return Arrays.equals(a, at, at + curLength, b, curAt, curAt + curLength);
    }

    // ---------------------------------------------------------------- schema

    /** A schema node compiled for byte lookups: children found by the hash {@link #key} computes. */
    private static final class Target {
        final FieldSchema.Node node;
        final String path;
        /** A key that goes below the leaf field {@link #path}: the document is rejected. */
        final boolean conflict;
        /**
         * Below a flattened field, reached through a dotted key or inside its object: every key leads back here
         * and every value below is one of the field's leaves.
         */
        final boolean belowFlattened;
        final boolean leaf;
        final boolean leafOnly;
        /** A flattened field reached by its own name: an object (or array of objects) belongs here, no value. */
        final boolean flattenedObject;
        final int slot;
        final FieldType type;
        Target[] children = new Target[0];
        byte[][] names = new byte[0][];
        int[] table = new int[1];
        /** A filter of the children's hashes: most keys are not children and stop here. */
        long childBits;
        /** The last keyword value of this field, so a repeated value is found with two word compares. */
        String lastValue;
        int lastLength;
        long lastWord1;
        long lastWord2;
        /** First bytes of the children's names: a dotted key can only lead somewhere if it starts with one. */
        final boolean[] firstBytes = new boolean[256];

        Target(FieldSchema.Node node, boolean conflict) {
            this(node, conflict, false);
        }

        Target(FieldSchema.Node node, boolean conflict, boolean belowFlattened) {
            this.node = node;
            this.path = node.path;
            this.conflict = conflict;
            this.belowFlattened = belowFlattened;
            this.leaf = !conflict && (belowFlattened || node.isLeaf());
            this.leafOnly = leaf && (belowFlattened || !node.isObject());
            this.slot = node.slot;
            this.type = node.type;
            this.flattenedObject = leaf && type == FieldType.FLATTENED && !belowFlattened;
        }

        /** Each name's first 16 bytes as two little-endian words, zero beyond the name. */
        long[] words = new long[0];

        Target child(byte[] b, int from, int length, int hash) {
            if ((childBits & (1L << (hash >>> 26))) == 0) return null;
            boolean short16 = length <= 16 && from + 16 <= b.length;
            long w1 = 0;
            long w2 = 0;
            if (short16) {
                w1 = (long) LONGS.get(b, from) & below(length);
                w2 = (long) LONGS.get(b, from + 8) & below(length - 8);
            }
            int mask = table.length - 1;
            for (int slot = slot(hash, mask); ; slot = (slot + 1) & mask) {
                int c = table[slot] - 1;
                if (c < 0) return null;
                byte[] name = names[c];
                if (name.length != length) continue;
                if (short16 ? words[2 * c] == w1 && words[2 * c + 1] == w2 : Arrays.equals(name, 0, length, b, from, from + length)) {
                    return children[c];
                }
            }
        }
    }

    /** A mask of the low {@code n} bytes of a word (none for n <= 0, all for n >= 8). */
    static long below(int n) {
        return n >= 8 ? -1L : n <= 0 ? 0 : ~(-1L << (n << 3));
    }

    private static int slot(int hash, int mask) {
        return (hash >>> 1) & mask;
    }

    private Target target(FieldSchema.Node node) {
        Target t = new Target(node, false);
        targets.put(node, t);
        if (node.isLeaf()) bySlot[node.slot] = t;
        int ascii = 0;
        for (String name : node.children.keySet()) {
            if (isAscii(name)) ascii++;
        }
        t.children = new Target[ascii];
        t.names = new byte[ascii][];
        t.words = new long[2 * ascii];
        t.table = new int[Integer.highestOneBit(Math.max(1, ascii) * 4)];
        int i = 0;
        for (Map.Entry<String, FieldSchema.Node> e : node.children.entrySet()) {
            Target child = target(e.getValue());
            if (!isAscii(e.getKey())) continue; // reached only by decoded names, through resolve(String)
            byte[] name = e.getKey().getBytes(StandardCharsets.US_ASCII);
            t.children[i] = child;
            t.names[i] = name;
            byte[] padded = Arrays.copyOf(name, Math.max(16, name.length));
            t.words[2 * i] = (long) LONGS.get(padded, 0) & below(name.length);
            t.words[2 * i + 1] = (long) LONGS.get(padded, 8) & below(name.length - 8);
            if (name.length > 0) t.firstBytes[name[0] & 0xFF] = true;
            int mask = t.table.length - 1;
            int hash = finish(hashBytes(name, 0, name.length), name.length);
            t.childBits |= 1L << (hash >>> 26);
            int slot = slot(hash, mask);
            while (t.table[slot] != 0) slot = (slot + 1) & mask;
            t.table[slot] = i + 1;
            i++;
        }
        return t;
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) return false;
        }
        return true;
    }

    /** Where the current key of an object at {@code node} leads, as {@link EventParser#resolve} decides. */
    private Target resolve(Target node) {
        if (node.belowFlattened) return node; // keys inside a flattened field's object are its leaves' paths
        if (curKind != KEY_INPUT) {
            FieldSchema.Node n = EventParser.resolve(node.node, curText);
            if (n == null) return null;
            if (n.slot == EventParser.LEAF_CONFLICT) return conflict(n.path);
            return n.belowFlattened ? belowFlattened(bySlot[n.slot]) : targets.get(n);
        }
        Target t = node.child(buf, curAt, curLength, curHash);
        if (t != null || curLength == 0 || !node.firstBytes[buf[curAt] & 0xFF]) return t;
        int to = curAt + curLength;
        int dot = indexOfDot(curAt, to);
        if (dot < 0) return null;
        Target n = node;
        int from = curAt;
        while (true) {
            int length = (dot < 0 ? to : dot) - from;
            n = n.child(buf, from, length, finish(hashBytes(buf, from, length), length));
            if (n == null || dot < 0) return n;
            if (n.leafOnly) {
                if (n.type == FieldType.FLATTENED) return belowFlattened(n); // a value below it is one of its leaves
                if (n.type == FieldType.FLATTENED_KEY) return null; // another key of the flattened field
                return conflict(n.path);
            }
            from = dot + 1;
            dot = indexOfDot(from, to);
        }
    }

    private Target conflict(String leafPath) {
        return conflicts.computeIfAbsent(leafPath, p -> new Target(new FieldSchema.Node(p), true));
    }

    /** The target standing for everything below the flattened field {@code field}. */
    private Target belowFlattened(Target field) {
        return below.computeIfAbsent(field.path, p -> new Target(field.node, false, true));
    }

    private int indexOfDot(int from, int to) {
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long d = dots((long) LONGS.get(buf, i));
            if (d != 0) return i + (Long.numberOfTrailingZeros(d) >>> 3);
        }
        for (; i < to; i++) {
            if (buf[i] == '.') return i;
        }
        return -1;
    }

    // ---------------------------------------------------------------- values

    /** The value of the string just read by {@link #readString}, for the leaf field {@code t}. */
    private boolean stringValue(Target t) {
        if (!t.leaf || t.flattenedObject) return valueWhereObjectBelongs(t);
        FieldValues values = event.values(t.slot);
        try {
            switch (t.type) {
                case KEYWORD:
                    if (textLength < 0) {
                        if (numEnd - numStart <= EventParser.KEYWORD_IGNORE_ABOVE) values.addString(keyword(t, numStart, numEnd - numStart));
                    } else if (textLength <= EventParser.KEYWORD_IGNORE_ABOVE) {
                        values.addString(new String(text, 0, textLength));
                    }
                    break;
                case WILDCARD: case TEXT: case FLATTENED: case FLATTENED_KEY: // no ignore_above
                    values.addString(textLength < 0 ? keyword(t, numStart, numEnd - numStart) : new String(text, 0, textLength));
                    break;
                case IP:
                    if (!IpAddresses.parse(stringText(), ip)) throw Coercions.MALFORMED;
                    values.addIp(ip[0], ip[1]);
                    break;
                case LONG: {
                    CharSequence s = stringText();
                    if (s.length() > 0) values.addLong(Coercions.longFromString(s)); // "" indexes as null
                    break;
                }
                case DOUBLE: {
                    CharSequence s = stringText();
                    if (s.length() > 0) values.addDouble(Coercions.doubleFromString(s.toString()));
                    break;
                }
                case DATE:
                    values.addLong(Coercions.dateFromString(stringText()));
                    break;
                case BOOLEAN: {
                    CharSequence s = stringText();
                    if (s.length() > 0) values.addLong(Coercions.booleanFromString(s) ? 1 : 0);
                    break;
                }
                default:
                    throw new IllegalStateException("unhandled type " + t.type);
            }
        } catch (Coercions.Malformed e) {
            event.ignore(t.path);
        }
        return true;
    }

    private boolean booleanValue(Target t, boolean value) {
        if (!t.leaf || t.flattenedObject) return valueWhereObjectBelongs(t);
        FieldValues values = event.values(t.slot);
        switch (t.type) {
            case KEYWORD: case WILDCARD: case TEXT: case FLATTENED: case FLATTENED_KEY:
                values.addString(value ? "true" : "false");
                break;
            case BOOLEAN:
                values.addLong(value ? 1 : 0);
                break;
            default:
                event.ignore(t.path);
        }
        return true;
    }

    private boolean numberValue(Target t) {
        if (!t.leaf || t.flattenedObject) return valueWhereObjectBelongs(t);
        FieldValues values = event.values(t.slot);
        int length = numEnd - numStart;
        try {
            switch (t.type) {
                case KEYWORD:
                    if (length <= EventParser.KEYWORD_IGNORE_ABOVE) values.addString(keyword(t, numStart, length));
                    break;
                case WILDCARD: case TEXT: case FLATTENED: case FLATTENED_KEY:
                    values.addString(keyword(t, numStart, length));
                    break;
                case IP:
                    if (!IpAddresses.parse(view.of(buf, numStart, length), ip)) throw Coercions.MALFORMED;
                    values.addIp(ip[0], ip[1]);
                    break;
                case LONG: case DATE:
                    values.addLong(numInteger ? integer() : Coercions.longFromDouble(doubleValue()));
                    break;
                case DOUBLE:
                    // Jackson converts an integer through a long when it fits: -0 is 0.0, not -0.0.
                    values.addDouble(numInteger && fitsLong() ? (double) integer() : doubleValue());
                    break;
                default:
                    throw Coercions.MALFORMED;
            }
        } catch (Coercions.Malformed e) {
            event.ignore(t.path);
        }
        return true;
    }

    /**
     * The keyword at {@code buf[from, from+length)} (ASCII): the field's previous value when it is the same
     * (compared as two words), else from the cache.
     */
    private String keyword(Target t, int from, int length) {
        if (length <= 16 && from + 16 <= buf.length) {
            long w1 = (long) LONGS.get(buf, from) & below(length);
            long w2 = (long) LONGS.get(buf, from + 8) & below(length - 8);
            if (t.lastValue != null && t.lastLength == length && t.lastWord1 == w1 && t.lastWord2 == w2) return t.lastValue;
            String v = keywords.get(buf, from, length);
            t.lastValue = v;
            t.lastLength = length;
            t.lastWord1 = w1;
            t.lastWord2 = w2;
            return v;
        }
        return keywords.get(buf, from, length);
    }

    /** The integer just read, or malformed when it does not fit a long (Jackson's BigInteger). */
    private long integer() throws Coercions.Malformed {
        int p = numStart;
        boolean negative = buf[p] == '-';
        if (negative) p++;
        long v = 0; // accumulated negatively so that Long.MIN_VALUE fits
        for (; p < numEnd; p++) {
            int d = buf[p] - '0';
            if (v < (Long.MIN_VALUE + d) / 10) throw Coercions.MALFORMED;
            v = v * 10 - d;
        }
        if (!negative) {
            if (v == Long.MIN_VALUE) throw Coercions.MALFORMED;
            v = -v;
        }
        return v;
    }

    private boolean fitsLong() {
        try {
            integer();
            return true;
        } catch (Coercions.Malformed e) {
            return false;
        }
    }

    private double doubleValue() {
        return Double.parseDouble(new String(buf, numStart, numEnd - numStart, StandardCharsets.ISO_8859_1));
    }

    /** A reusable view of ASCII bytes as chars, for the fast paths of the coercions. */
    static final class AsciiView implements CharSequence {
        private byte[] b;
        private int from;
        private int length;

        AsciiView of(byte[] bytes, int offset, int len) {
            b = bytes;
            from = offset;
            length = len;
            return this;
        }

        @Override
        public int length() {
            return length;
        }

        /** Callers stay within {@link #length}: the fast paths check lengths before they look at chars. */
        @Override
        public char charAt(int index) {
            return (char) b[from + index];
        }

        @Override
        public CharSequence subSequence(int start, int stop) {
            return toString().substring(start, stop);
        }

        @Override
        public String toString() {
            return new String(b, from, length, StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * Keyword values by their bytes, so repeated values ({@code network}, {@code tcp}) are not allocated again:
     * a direct-mapped table of recent short values.
     */
    static final class KeywordCache {
        private static final int SIZE = 256;
        private static final int MAX_LENGTH = 64;
        private final byte[][] keys = new byte[SIZE][];
        private final String[] values = new String[SIZE];

        String get(byte[] b, int from, int length) {
            if (length > MAX_LENGTH) return new String(b, from, length, StandardCharsets.ISO_8859_1);
            int slot = finish(hashBytes(b, from, length), length) >>> 1 & (SIZE - 1);
            byte[] k = keys[slot];
            if (k != null && k.length == length && Arrays.equals(k, 0, length, b, from, from + length)) return values[slot];
            String s = new String(b, from, length, StandardCharsets.ISO_8859_1);
            keys[slot] = Arrays.copyOfRange(b, from, from + length);
            values[slot] = s;
            return s;
        }
    }
}

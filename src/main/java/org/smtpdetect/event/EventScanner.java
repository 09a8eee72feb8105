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
    private static final long ONES = 0x0101010101010101L;
    private static final long HIGHS = 0x8080808080808080L;
    private static final long QUOTES = 0x2222222222222222L;
    private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;
    private static final long BELOW_SPACE = 0x2020202020202020L;

    private static final int EOF = -1;
    private static final int ERROR = -2;
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
    private final long[] ip = new long[2];
    private final AsciiView view = new AsciiView();
    private final KeywordCache keywords = new KeywordCache();
    private EventParser reference;

    // The document being scanned.
    private byte[] buf;
    private int pos;
    private int end;
    private Problem problem;
    private String reason;
    private boolean declined;

    // Open containers; index 1 is the root object.
    private int depth;
    private final byte[] kinds = new byte[MAX_DEPTH + 2];
    private final Target[] nodes = new Target[MAX_DEPTH + 2];
    private final int[] counts = new int[MAX_DEPTH + 2];
    private final int[] keyBase = new int[MAX_DEPTH + 2];
    private int[][] keyIndex = new int[8][];

    // Keys of the open objects, innermost last.
    private int keyTop;
    private int[] keyHash = new int[256];
    private int[] keyAt = new int[256];
    private int[] keyLength = new int[256];
    private byte[] keyKind = new byte[256];
    private byte[] keyBytes = new byte[256];
    private int keyBytesTop;
    private char[] keyChars = new char[64];
    private int keyCharsTop;

    // The key just read.
    private int curAt;
    private int curLength;
    private int curHash;
    private byte curKind;
    private String curText;

    // The number just read.
    private int numStart;
    private int numEnd;
    private boolean numInteger;

    // Decoded text of the string just read, when it was not plain ASCII.
    private char[] text = new char[256];
    private int textLength;
    private byte[] nameBytes = new byte[64];

    public EventScanner(FieldSchema schema) {
        this.schema = schema;
        this.event = new ParsedEvent(schema);
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
        if (data == null) {
            fail(Problem.EMPTY, "empty input");
            event.fail(reason);
            return event;
        }
        buf = data;
        pos = offset;
        end = offset + length;
        if (isBlank()) {
            fail(Problem.EMPTY, "empty input");
        } else if (otherEncoding()) {
            declined = true;
            return reference().parse(data, offset, length);
        } else {
            scanDocument();
        }
        buf = null;
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

    private boolean fail(Problem p, String why) {
        problem = p;
        reason = why;
        return false;
    }

    private boolean syntax(String what) {
        return fail(Problem.SYNTAX, "invalid JSON: " + what + " at byte " + pos);
    }

    private boolean isBlank() {
        for (int i = pos; i < end; i++) {
            byte b = buf[i];
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') return false;
        }
        return true;
    }

    /**
     * Jackson reads the input as UTF-16 or UTF-32 when it starts with a zero byte, a zero second byte or a
     * UTF-16/32 byte order mark; a UTF-8 BOM it skips (when at least 4 bytes are given).
     */
    private boolean otherEncoding() {
        int n = end - pos;
        if (n >= 2) {
            int b0 = buf[pos] & 0xFF;
            if (b0 == 0 || buf[pos + 1] == 0 || b0 == 0xFE || b0 == 0xFF) return true;
        }
        if (n >= 4 && (buf[pos] & 0xFF) == 0xEF && (buf[pos + 1] & 0xFF) == 0xBB && (buf[pos + 2] & 0xFF) == 0xBF) {
            pos += 3;
        }
        return false;
    }

    // ---------------------------------------------------------------- structure

    private void scanDocument() {
        int c = nextToken();
        if (c == ERROR) return;
        if (c == EOF) {
            fail(Problem.NOT_OBJECT, "not a document: expected a JSON object but found nothing");
            return;
        }
        if (c != '{') {
            rootValue(c, Problem.NOT_OBJECT, "not a document: expected a JSON object");
            return;
        }
        pos++;
        depth = 1;
        kinds[1] = OBJECT;
        nodes[1] = root;
        counts[1] = 0;
        keyBase[1] = 0;
        keyTop = 0;
        keyBytesTop = 0;
        keyCharsTop = 0;
        if (!scanContainers()) return;
        c = nextToken();
        if (c >= 0) rootValue(c, Problem.TRAILING, "not a document: unexpected content after the JSON object");
    }

    /**
     * A value where the root object should start, or after it: Jackson reads one token there, so a bad token
     * is invalid JSON and a good one is the given problem.
     */
    private void rootValue(int c, Problem problem, String why) {
        boolean ok;
        switch (c) {
            case '{': case '[': case '"':
                ok = true;
                break;
            case 't': case 'f': case 'n':
                ok = literal(c);
                break;
            case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
                // Root-level numbers must be followed by white space (or the end); comments do not count.
                ok = number() && (pos == end || isRootSpace(buf[pos])) && numberLength();
                if (!ok && this.problem == Problem.NONE) syntax("expected space separating root-level values");
                break;
            default:
                ok = syntax("unexpected character '" + (char) c + "'");
        }
        if (ok) fail(problem, why);
    }

    private static boolean isRootSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }

    /** Scans from just inside the root object to just after its end. */
    private boolean scanContainers() {
        while (true) {
            int c = nextToken();
            if (c < 0) return c == EOF ? syntax("unexpected end of input inside " + (kinds[depth] == OBJECT ? "an object" : "an array")) : false;
            Target target;
            if (kinds[depth] == OBJECT) {
                if (c == '}') {
                    pos++;
                    keyTop = keyBase[depth];
                    if (--depth == 0) return true;
                    continue;
                }
                if (c == ']') return syntax("unexpected ']' in an object");
                if (counts[depth]++ > 0) {
                    if (c != ',') return syntax("expected ',' or '}'");
                    pos++;
                    c = nextToken();
                    if (c < 0) return c == EOF ? syntax("unexpected end of input inside an object") : false;
                }
                if (c != '"') return syntax("expected a double-quoted field name");
                if (!key() || !firstInObject()) return false;
                c = nextToken();
                if (c < 0) return c == EOF ? syntax("unexpected end of input after a field name") : false;
                if (c != ':') return syntax("expected ':' after a field name");
                pos++;
                c = nextToken();
                if (c < 0) return c == EOF ? syntax("unexpected end of input after a field name") : false;
                Target node = nodes[depth];
                target = node == null ? null : resolve(node);
            } else {
                if (c == ']') {
                    pos++;
                    depth--;
                    continue;
                }
                if (c == '}') return syntax("unexpected '}' in an array");
                if (counts[depth]++ > 0) {
                    if (c != ',') return syntax("expected ',' or ']'");
                    pos++;
                    c = nextToken();
                    if (c < 0) return c == EOF ? syntax("unexpected end of input inside an array") : false;
                }
                target = nodes[depth];
            }
            switch (c) {
                case '{': case '[':
                    pos++;
                    if (depth == MAX_DEPTH) {
                        return fail(Problem.CONSTRAINT, "not a document: nesting depth exceeds " + MAX_DEPTH);
                    }
                    if (target != null && (target.conflict || (c == '{' && target.leafOnly))) return objectWhereValueBelongs(target);
                    depth++;
                    kinds[depth] = c == '{' ? OBJECT : ARRAY;
                    nodes[depth] = target;
                    counts[depth] = 0;
                    keyBase[depth] = keyTop;
                    break;
                case '"':
                    if (target != null && target.conflict) return objectWhereValueBelongs(target);
                    if (target == null) {
                        if (!skipString()) return false;
                    } else if (!stringValue(target)) {
                        return false;
                    }
                    break;
                case 't': case 'f': case 'n':
                    if (!literal(c)) return false;
                    if (target != null && target.conflict) return objectWhereValueBelongs(target);
                    if (c != 'n' && target != null && !booleanValue(target, c == 't')) return false;
                    break;
                case '-': case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
                    if (!number() || !numberLength()) return false;
                    if (target != null && target.conflict) return objectWhereValueBelongs(target);
                    if (target != null && !numberValue(target)) return false;
                    break;
                default:
                    return syntax("unexpected character '" + (char) c + "'");
            }
        }
    }

    private boolean objectWhereValueBelongs(Target target) {
        return fail(Problem.MAPPING, "not a document: field [" + target.path + "] holds an object where a value belongs");
    }

    private boolean valueWhereObjectBelongs(Target target) {
        return fail(Problem.MAPPING, "not a document: field [" + target.path + "] holds a value where an object belongs");
    }

    /**
     * Skips white space and comments; returns the next byte (not consumed), {@link #EOF} or {@link #ERROR}.
     * Only space, tab, CR and LF are white space; other control bytes are invalid.
     */
    private int nextToken() {
        while (pos < end) {
            int c = buf[pos] & 0xFF;
            if (c > ' ') {
                if (c != '/') return c;
                if (!comment()) return ERROR;
            } else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
                pos++;
            } else {
                syntax("illegal character (code " + c + ") between tokens");
                return ERROR;
            }
        }
        return EOF;
    }

    /** A {@code //} or {@code /* *}{@code /} comment at {@code pos}; its content is validated as Jackson does. */
    private boolean comment() {
        pos++;
        if (pos == end) return syntax("unexpected end of input in a comment");
        byte kind = buf[pos++];
        if (kind == '/') {
            while (pos < end) {
                int c = buf[pos] & 0xFF;
                if (c == '\n' || c == '\r') {
                    pos++;
                    return true;
                }
                if (c < ' ' && c != '\t') return syntax("illegal character (code " + c + ") in a comment");
                if (c >= 0x80) {
                    if (!utf8(c)) return false;
                } else {
                    pos++;
                }
            }
            return true;
        }
        if (kind != '*') return syntax("expected '*' or '/' after '/' for a comment");
        while (pos < end) {
            int c = buf[pos] & 0xFF;
            if (c == '*') {
                pos++;
                if (pos == end) break;
                if (buf[pos] == '/') {
                    pos++;
                    return true;
                }
            } else if (c < ' ' && c != '\t' && c != '\n' && c != '\r') {
                return syntax("illegal character (code " + c + ") in a comment");
            } else if (c >= 0x80) {
                if (!utf8(c)) return false;
            } else {
                pos++;
            }
        }
        return syntax("unexpected end of input in a comment");
    }

    /**
     * Validates the multi-byte sequence at {@code pos} (lead byte {@code lead}) as Jackson does: a lead byte of
     * the 2, 3 or 4 byte forms followed by that many continuation bytes (overlong forms and surrogates pass).
     */
    private boolean utf8(int lead) {
        int n = continuationBytes(lead);
        if (n < 0) return syntax("invalid UTF-8 start byte 0x" + Integer.toHexString(lead));
        pos++;
        for (int i = 0; i < n; i++) {
            if (pos == end) return syntax("unexpected end of input in a UTF-8 sequence");
            if ((buf[pos] & 0xC0) != 0x80) return syntax("invalid UTF-8 middle byte 0x" + Integer.toHexString(buf[pos] & 0xFF));
            pos++;
        }
        return true;
    }

    private static int continuationBytes(int lead) {
        if ((lead & 0xE0) == 0xC0) return 1;
        if ((lead & 0xF0) == 0xE0) return 2;
        if ((lead & 0xF8) == 0xF0) return 3;
        return -1;
    }

    /** {@code true}, {@code false} or {@code null} at {@code pos}, not followed by a letter or digit. */
    private boolean literal(int c) {
        String word = c == 't' ? "true" : c == 'f' ? "false" : "null";
        int n = word.length();
        for (int i = 0; i < n; i++) {
            if (pos + i == end || buf[pos + i] != word.charAt(i)) {
                pos += i;
                return syntax("unrecognized token (expected '" + word + "')");
            }
        }
        pos += n;
        if (pos == end) return true;
        int next = buf[pos] & 0xFF;
        if (next < '0' || next == ']' || next == '}') return true;
        // Jackson decodes the following character and refuses a Java identifier part ("truex", "nullé").
        int ch = next;
        if (next >= 0x80) {
            int more = continuationBytes(next);
            if (more < 0) return syntax("invalid UTF-8 start byte 0x" + Integer.toHexString(next));
            ch = next & (more == 1 ? 0x1F : more == 2 ? 0x0F : 0x07);
            for (int i = 1; i <= more; i++) {
                if (pos + i == end) {
                    pos += i;
                    return syntax("unexpected end of input in a UTF-8 sequence");
                }
                int d = buf[pos + i] & 0xFF;
                if ((d & 0xC0) != 0x80) return syntax("invalid UTF-8 middle byte 0x" + Integer.toHexString(d));
                ch = (ch << 6) | (d & 0x3F);
            }
        }
        if (Character.isJavaIdentifierPart((char) ch)) return syntax("unrecognized token (expected '" + word + "')");
        return true;
    }

    /**
     * A JSON number at {@code pos}: {@code -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?}. Sets the number's
     * bounds and kind; the length limit is checked by {@link #numberLength}.
     */
    private boolean number() {
        numStart = pos;
        if (buf[pos] == '-') {
            pos++;
            if (pos == end) return syntax("unexpected end of input in a number");
        }
        int c = buf[pos];
        if (c == '0') {
            pos++;
            if (pos < end && isDigit(buf[pos])) return syntax("leading zeroes are not allowed");
        } else if (c >= '1' && c <= '9') {
            pos++;
            while (pos < end && isDigit(buf[pos])) pos++;
        } else {
            return syntax("expected a digit");
        }
        numInteger = true;
        if (pos < end && buf[pos] == '.') {
            numInteger = false;
            pos++;
            int from = pos;
            while (pos < end && isDigit(buf[pos])) pos++;
            if (pos == from) return syntax("decimal point not followed by a digit");
        }
        if (pos < end && (buf[pos] | 0x20) == 'e') {
            numInteger = false;
            pos++;
            if (pos == end) return syntax("unexpected end of input in a number");
            if (buf[pos] == '-' || buf[pos] == '+') {
                pos++;
                if (pos == end) return syntax("unexpected end of input in a number");
            }
            int from = pos;
            while (pos < end && isDigit(buf[pos])) pos++;
            if (pos == from) return syntax("exponent indicator not followed by a digit");
        }
        numEnd = pos;
        return true;
    }

    /** Jackson's limit on digits (sign, point and exponent marker not counted). */
    private boolean numberLength() {
        if (numEnd - numStart <= MAX_NUMBER_LENGTH) return true;
        int digits = 0;
        for (int i = numStart; i < numEnd; i++) {
            if (isDigit(buf[i])) digits++;
        }
        if (digits > MAX_NUMBER_LENGTH) {
            return fail(Problem.CONSTRAINT, "not a document: number of " + digits + " digits exceeds " + MAX_NUMBER_LENGTH);
        }
        return true;
    }

    private static boolean isDigit(byte b) {
        return b >= '0' && b <= '9';
    }

    // ---------------------------------------------------------------- strings

    /** The first byte of {@code w} (little-endian) that is a quote, backslash, control or non-ASCII byte. */
    private static long specials(long w) {
        long q = w ^ QUOTES;
        long b = w ^ BACKSLASHES;
        return ((q - ONES) & ~q | (b - ONES) & ~b | (w - BELOW_SPACE) & ~w | w) & HIGHS;
    }

    /**
     * Moves {@code pos} (inside a string) to the next quote, backslash, control or non-ASCII byte; false at the
     * end of the input.
     */
    private boolean toSpecial() {
        int p = pos;
        while (p + 8 <= end) {
            long s = specials((long) LONGS.get(buf, p));
            if (s != 0) {
                pos = p + (Long.numberOfTrailingZeros(s) >>> 3);
                return true;
            }
            p += 8;
        }
        while (p < end) {
            int c = buf[p] & 0xFF;
            if (c == '"' || c == '\\' || c < ' ' || c >= 0x80) {
                pos = p;
                return true;
            }
            p++;
        }
        pos = p;
        return false;
    }

    /** Validates a string value at {@code pos} (the opening quote) and moves past it. */
    private boolean skipString() {
        pos++;
        while (toSpecial()) {
            int c = buf[pos] & 0xFF;
            if (c == '"') {
                pos++;
                return true;
            }
            if (c == '\\') {
                if (escape() < 0) return false;
            } else if (c >= 0x80) {
                if (!utf8(c)) return false;
            } else {
                return syntax("illegal unquoted character (code " + c + ") in a string");
            }
        }
        return syntax("unexpected end of input in a string");
    }

    /** Decodes the escape at {@code pos} (the backslash) and moves past it; the char, or -1 when invalid. */
    private int escape() {
        pos++;
        if (pos == end) return badEscape("unexpected end of input in an escape sequence");
        int c = buf[pos++];
        switch (c) {
            case 'b': return '\b';
            case 't': return '\t';
            case 'n': return '\n';
            case 'f': return '\f';
            case 'r': return '\r';
            case '"': case '/': case '\\': return c;
            case 'u': break;
            default:
                pos--;
                return badEscape("unrecognized character escape");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            if (pos == end) return badEscape("unexpected end of input in an escape sequence");
            int digit = hexDigit(buf[pos]);
            if (digit < 0) return badEscape("expected a hex digit in an escape sequence");
            value = (value << 4) | digit;
            pos++;
        }
        return value;
    }

    private int badEscape(String what) {
        syntax(what);
        return -1;
    }

    private static int hexDigit(byte b) {
        if (b >= '0' && b <= '9') return b - '0';
        if (b >= 'a' && b <= 'f') return b - 'a' + 10;
        if (b >= 'A' && b <= 'F') return b - 'A' + 10;
        return -1;
    }

    /**
     * Reads the string at {@code pos} (the opening quote). Plain ASCII without escapes stays in the input and
     * true is returned with the bounds in {@link #numStart}/{@link #numEnd}; anything else is decoded, as
     * Jackson decodes it, into {@link #text}. False when invalid (then {@link #problem} is set).
     */
    private boolean readString() {
        int start = ++pos;
        if (!toSpecial()) return syntax("unexpected end of input in a string");
        if (buf[pos] == '"') {
            numStart = start;
            numEnd = pos++;
            textLength = -1;
            return true;
        }
        int n = 0;
        for (int i = start; i < pos; i++) n = put(n, (char) buf[i]);
        while (true) {
            int c = buf[pos] & 0xFF;
            if (c == '"') {
                pos++;
                textLength = n;
                return true;
            }
            if (c == '\\') {
                int e = escape();
                if (e < 0) return false;
                n = put(n, (char) e);
            } else if (c >= 0x80) {
                int at = pos;
                if (!utf8(c)) return false;
                n = decodeUtf8(at, n);
            } else {
                return syntax("illegal unquoted character (code " + c + ") in a string");
            }
            int from = pos;
            if (!toSpecial()) return syntax("unexpected end of input in a string");
            for (int i = from; i < pos; i++) n = put(n, (char) buf[i]);
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
     * Reads the field name at {@code pos} (the opening quote) into {@code cur*}: plain ASCII names stay in the
     * input, hashed 8 bytes at a time while they are scanned; others are decoded as Jackson decodes names.
     */
    private boolean key() {
        int start = pos + 1;
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
        pos = end;
        if (end - start >= NAME_BUFFER_BYTES + 1) return nameTooLong();
        return syntax("unexpected end of input in a field name");
    }

    private boolean plainKey(int start, int quote, long h) {
        int length = quote - start;
        if (length > MAX_NAME_BYTES) {
            pos = quote;
            return nameTooLong();
        }
        pos = quote + 1;
        curAt = start;
        curLength = length;
        curHash = finish(h, length);
        curKind = KEY_INPUT;
        curText = null;
        return true;
    }

    private boolean nameTooLong() {
        return fail(Problem.CONSTRAINT, "not a document: field name longer than " + MAX_NAME_BYTES + " bytes");
    }

    /**
     * A name with escapes, control or non-ASCII bytes, read as Jackson reads names: escapes are re-encoded as
     * UTF-8 next to the raw bytes (its buffer limit counts those bytes), and the whole is decoded at the end.
     */
    private boolean escapedKey(int start) {
        pos = start;
        int n = 0;
        while (true) {
            if (pos == end) return syntax("unexpected end of input in a field name");
            int c = buf[pos] & 0xFF;
            if (c == '"') break;
            if (c < ' ') return syntax("illegal unquoted character (code " + c + ") in a field name");
            if (c == '\\') {
                int e = escape();
                if (e < 0) return false;
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
                pos++;
            }
            if (n < 0) return nameTooLong();
        }
        if (n > MAX_NAME_BYTES) return nameTooLong();
        pos++;
        return decodeName(n);
    }

    private int nameByte(int n, int b) {
        if (n < 0 || n >= NAME_BUFFER_BYTES) return -1;
        if (n == nameBytes.length) nameBytes = Arrays.copyOf(nameBytes, n * 2);
        nameBytes[n] = (byte) b;
        return n + 1;
    }

    /** Decodes {@link #nameBytes} with the arithmetic of Jackson's name decoder into the current key. */
    private boolean decodeName(int n) {
        int chars = 0;
        boolean ascii = true;
        for (int i = 0; i < n; ) {
            int c = nameBytes[i++] & 0xFF;
            if (c > 127) {
                int needed = continuationBytes(c);
                if (needed < 0) return syntax("invalid UTF-8 start byte 0x" + Integer.toHexString(c) + " in a field name");
                c &= needed == 1 ? 0x1F : needed == 2 ? 0x0F : 0x07;
                if (i + needed > n) return syntax("unexpected end of input in a field name");
                for (int k = 0; k < needed; k++) {
                    int d = nameBytes[i++];
                    if ((d & 0xC0) != 0x80) return syntax("invalid UTF-8 middle byte in a field name");
                    c = (c << 6) | (d & 0x3F);
                }
                if (needed > 2) {
                    c -= 0x10000;
                    chars = putText(chars, (char) (0xD800 + (c >> 10)));
                    c = 0xDC00 | (c & 0x03FF);
                }
            }
            if (c > 127) ascii = false;
            chars = putText(chars, (char) c);
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

    private int putText(int n, char c) {
        if (n == text.length) text = Arrays.copyOf(text, n * 2);
        text[n] = c;
        return n + 1;
    }

    private static long mix(long h, long w) {
        h = (h ^ w) * 0x9E3779B97F4A7C15L;
        return h ^ (h >>> 29);
    }

    private static int finish(long h, int length) {
        h = (h ^ length) * 0xC2B2AE3D27D4EB4FL;
        return (int) (h ^ (h >>> 32)) & ~1;
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

    /** Jackson's duplicate detection: a name may appear once per object. Records the current key. */
    private boolean firstInObject() {
        int base = keyBase[depth];
        int count = keyTop - base;
        if (count < LINEAR_KEYS) {
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
            int n = keyTop * 2;
            keyHash = Arrays.copyOf(keyHash, n);
            keyAt = Arrays.copyOf(keyAt, n);
            keyLength = Arrays.copyOf(keyLength, n);
            keyKind = Arrays.copyOf(keyKind, n);
        }
        keyHash[keyTop] = curHash;
        keyAt[keyTop] = curAt;
        keyLength[keyTop] = curLength;
        keyKind[keyTop] = curKind;
        if (count >= LINEAR_KEYS) insert(keyIndex[depth], keyTop);
        keyTop++;
        return true;
    }

    private boolean duplicate() {
        String name = curText != null ? curText : new String(buf, curAt, curLength, StandardCharsets.ISO_8859_1);
        return fail(Problem.DUPLICATE, "not a document: Duplicate field '" + name + "'");
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
            for (int k = keyBase[d]; k < keyTop; k++) insert(index, k);
        }
        return index;
    }

    private void insert(int[] index, int k) {
        int mask = index.length - 1;
        int base = keyBase[depth];
        int slot = slot(keyHash[k], mask);
        while (index[slot] - 1 >= base && index[slot] - 1 < keyTop) slot = (slot + 1) & mask;
        index[slot] = k + 1;
    }

    private boolean sameKey(int k) {
        if (keyLength[k] != curLength) return false;
        byte kind = keyKind[k];
        if (kind == KEY_WIDE || curKind == KEY_WIDE) {
            return kind == curKind && Arrays.equals(keyChars, keyAt[k], keyAt[k] + curLength, keyChars, curAt, curAt + curLength);
        }
        byte[] a = kind == KEY_INPUT ? buf : keyBytes;
        byte[] b = curKind == KEY_INPUT ? buf : keyBytes;
        return Arrays.equals(a, keyAt[k], keyAt[k] + curLength, b, curAt, curAt + curLength);
    }

    // ---------------------------------------------------------------- schema

    /** A schema node compiled for byte lookups: children found by the hash {@link #key} computes. */
    private static final class Target {
        final FieldSchema.Node node;
        final String path;
        /** A key that goes below the leaf field {@link #path}: the document is rejected. */
        final boolean conflict;
        final boolean leaf;
        final boolean leafOnly;
        final int slot;
        final FieldType type;
        Target[] children = new Target[0];
        byte[][] names = new byte[0][];
        int[] table = new int[1];

        Target(FieldSchema.Node node, boolean conflict) {
            this.node = node;
            this.path = node.path;
            this.conflict = conflict;
            this.leaf = !conflict && node.isLeaf();
            this.leafOnly = leaf && !node.isObject();
            this.slot = node.slot;
            this.type = node.type;
        }

        Target child(byte[] b, int from, int length, int hash) {
            int mask = table.length - 1;
            for (int slot = slot(hash, mask); ; slot = (slot + 1) & mask) {
                int c = table[slot] - 1;
                if (c < 0) return null;
                byte[] name = names[c];
                if (name.length == length && Arrays.equals(name, 0, length, b, from, from + length)) return children[c];
            }
        }
    }

    private static int slot(int hash, int mask) {
        return (hash >>> 1) & mask;
    }

    private Target target(FieldSchema.Node node) {
        Target t = new Target(node, false);
        targets.put(node, t);
        int ascii = 0;
        for (String name : node.children.keySet()) {
            if (isAscii(name)) ascii++;
        }
        t.children = new Target[ascii];
        t.names = new byte[ascii][];
        t.table = new int[Integer.highestOneBit(Math.max(1, ascii) * 4)];
        int i = 0;
        for (Map.Entry<String, FieldSchema.Node> e : node.children.entrySet()) {
            Target child = target(e.getValue());
            if (!isAscii(e.getKey())) continue; // reached only by decoded names, through resolve(String)
            byte[] name = e.getKey().getBytes(StandardCharsets.US_ASCII);
            t.children[i] = child;
            t.names[i] = name;
            int mask = t.table.length - 1;
            int slot = slot(finish(hashBytes(name, 0, name.length), name.length), mask);
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
        if (curKind != KEY_INPUT) {
            FieldSchema.Node n = EventParser.resolve(node.node, curText);
            if (n == null) return null;
            return n.slot == EventParser.LEAF_CONFLICT ? conflict(n.path) : targets.get(n);
        }
        Target t = node.child(buf, curAt, curLength, curHash);
        if (t != null) return t;
        int to = curAt + curLength;
        int dot = indexOfDot(curAt, to);
        if (dot < 0) return null;
        Target n = node;
        int from = curAt;
        while (true) {
            int length = (dot < 0 ? to : dot) - from;
            n = n.child(buf, from, length, finish(hashBytes(buf, from, length), length));
            if (n == null || dot < 0) return n;
            if (n.leafOnly) return conflict(n.path);
            from = dot + 1;
            dot = indexOfDot(from, to);
        }
    }

    private Target conflict(String leafPath) {
        return conflicts.computeIfAbsent(leafPath, p -> new Target(new FieldSchema.Node(p), true));
    }

    private int indexOfDot(int from, int to) {
        for (int i = from; i < to; i++) {
            if (buf[i] == '.') return i;
        }
        return -1;
    }

    // ---------------------------------------------------------------- values

    private boolean stringValue(Target t) {
        if (!readString()) return false;
        if (!t.leaf) return valueWhereObjectBelongs(t);
        FieldValues values = event.values(t.slot);
        try {
            switch (t.type) {
                case KEYWORD:
                    if (textLength < 0) {
                        if (numEnd - numStart <= EventParser.KEYWORD_IGNORE_ABOVE) values.addString(keywords.get(buf, numStart, numEnd - numStart));
                    } else if (textLength <= EventParser.KEYWORD_IGNORE_ABOVE) {
                        values.addString(new String(text, 0, textLength));
                    }
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
        if (!t.leaf) return valueWhereObjectBelongs(t);
        FieldValues values = event.values(t.slot);
        switch (t.type) {
            case KEYWORD:
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
        if (!t.leaf) return valueWhereObjectBelongs(t);
        FieldValues values = event.values(t.slot);
        int length = numEnd - numStart;
        try {
            switch (t.type) {
                case KEYWORD:
                    if (length <= EventParser.KEYWORD_IGNORE_ABOVE) values.addString(keywords.get(buf, numStart, length));
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

        @Override
        public char charAt(int index) {
            if (index < 0 || index >= length) throw new IndexOutOfBoundsException(index);
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

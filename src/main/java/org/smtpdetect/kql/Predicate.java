package org.smtpdetect.kql;

import org.smtpdetect.event.EventParser;
import org.smtpdetect.event.FieldSchema;
import org.smtpdetect.event.FieldValues;
import org.smtpdetect.event.IpAddresses;
import org.smtpdetect.event.NestedObjects;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.event.TextAnalysis;

import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A compiled KQL clause. Leaves test "any value of the field" as Elasticsearch's term, wildcard, range and
 * exists queries do; a missing field fails every leaf, so {@code not} of it holds (must_not excludes nothing).
 */
public abstract class Predicate {
    /** Resolves field names to slots of the schema the events will be parsed with. */
    public abstract void bind(FieldSchema schema);

    public abstract boolean test(ParsedEvent event);

    /** The clause in KQL, for explanations. */
    public abstract String describe();

    /** A leaf over one field. */
    abstract static class Leaf extends Predicate {
        final String field;
        int slot = -1;

        Leaf(String field) {
            this.field = field;
        }

        @Override
        public void bind(FieldSchema schema) {
            slot = schema.slotOf(field);
            if (slot < 0) throw new IllegalStateException("schema lacks field " + field);
        }

        @Override
        public final boolean test(ParsedEvent event) {
            FieldValues v = event.values(slot);
            for (int i = 0, n = v.size(); i < n; i++) {
                if (matches(v, i)) return true;
            }
            return false;
        }

        abstract boolean matches(FieldValues v, int i);
    }

    static final class Exists extends Leaf {
        Exists(String field) {
            super(field);
        }

        @Override
        boolean matches(FieldValues v, int i) {
            return true;
        }

        @Override
        public String describe() {
            return field + ":*";
        }
    }

    static final class KeywordIn extends Leaf {
        private final Set<String> values;

        KeywordIn(String field, Set<String> values) {
            super(field);
            this.values = Set.copyOf(values);
        }

        @Override
        boolean matches(FieldValues v, int i) {
            return values.contains(v.stringAt(i));
        }

        @Override
        public String describe() {
            return field + ":" + group(values.stream().sorted().map(Predicate::quoteIfNeeded).collect(Collectors.toList()));
        }
    }

    static final class KeywordWildcard extends Leaf {
        private final List<String> parts;

        KeywordWildcard(String field, List<String> parts) {
            super(field);
            this.parts = List.copyOf(parts);
        }

        @Override
        boolean matches(FieldValues v, int i) {
            return wildcardMatch(v.stringAt(i), parts);
        }

        static boolean wildcardMatch(String s, List<String> parts) {
            String first = parts.get(0);
            String last = parts.get(parts.size() - 1);
            if (s.length() < first.length() + last.length() || !s.startsWith(first) || !s.endsWith(last)) return false;
            int from = first.length();
            int end = s.length() - last.length();
            for (int p = 1; p < parts.size() - 1; p++) {
                String mid = parts.get(p);
                int at = s.indexOf(mid, from);
                if (at < 0 || at + mid.length() > end) return false;
                from = at + mid.length();
            }
            return true;
        }

        @Override
        public String describe() {
            return field + ":" + String.join("*", parts);
        }
    }

    static final class IpIn extends Leaf {
        private final IpAddresses.Block[] blocks;
        private final String text;

        IpIn(String field, List<IpAddresses.Block> blocks, String text) {
            super(field);
            this.blocks = blocks.toArray(new IpAddresses.Block[0]);
            this.text = text;
        }

        @Override
        boolean matches(FieldValues v, int i) {
            long hi = v.ipHiAt(i);
            long lo = v.ipLoAt(i);
            for (IpAddresses.Block b : blocks) {
                if (b.contains(hi, lo)) return true;
            }
            return false;
        }

        @Override
        public String describe() {
            return field + ":" + text;
        }
    }

    /** Exact values of long, date and boolean fields (all stored as longs). */
    static final class LongIn extends Leaf {
        private final long[] values;
        private final String text;

        LongIn(String field, long[] values, String text) {
            super(field);
            this.values = values.clone();
            this.text = text;
        }

        @Override
        boolean matches(FieldValues v, int i) {
            long x = v.longAt(i);
            for (long c : values) {
                if (c == x) return true;
            }
            return false;
        }

        @Override
        public String describe() {
            return field + ":" + text;
        }
    }

    static final class DoubleIn extends Leaf {
        private final double[] values;
        private final String text;

        DoubleIn(String field, double[] values, String text) {
            super(field);
            this.values = values.clone();
            this.text = text;
        }

        @Override
        boolean matches(FieldValues v, int i) {
            double x = v.doubleAt(i);
            for (double c : values) {
                if (Double.compare(c, x) == 0) return true;
            }
            return false;
        }

        @Override
        public String describe() {
            return field + ":" + text;
        }
    }

    /** A range on a field; {@code compare} gives sign(value - bound). */
    abstract static class RangeLeaf extends Leaf {
        final String operator;
        final String bound;

        RangeLeaf(String field, String operator, String bound) {
            super(field);
            this.operator = operator;
            this.bound = bound;
        }

        @Override
        boolean matches(FieldValues v, int i) {
            int c = compare(v, i);
            switch (operator) {
                case "<": return c < 0;
                case "<=": return c <= 0;
                case ">": return c > 0;
                default: return c >= 0;
            }
        }

        abstract int compare(FieldValues v, int i);

        @Override
        public String describe() {
            return field + " " + operator + " " + quoteIfNeeded(bound);
        }
    }

    /** A range query with several bounds: one value of the field within all of them. */
    static final class Bounded extends Leaf {
        private final RangeLeaf[] bounds;

        Bounded(String field, List<RangeLeaf> bounds) {
            super(field);
            this.bounds = bounds.toArray(new RangeLeaf[0]);
        }

        @Override
        public void bind(FieldSchema schema) {
            super.bind(schema);
            for (RangeLeaf b : bounds) b.bind(schema);
        }

        @Override
        boolean matches(FieldValues v, int i) {
            for (RangeLeaf b : bounds) {
                if (!b.matches(v, i)) return false;
            }
            return true;
        }

        @Override
        public String describe() {
            return Arrays.stream(bounds).map(Predicate::describe).collect(Collectors.joining(" and ", "(", ")"));
        }
    }

    static final class LongRange extends RangeLeaf {
        private final long value;

        LongRange(String field, String operator, long value, String bound) {
            super(field, operator, bound);
            this.value = value;
        }

        @Override
        int compare(FieldValues v, int i) {
            return Long.compare(v.longAt(i), value);
        }
    }

    static final class DoubleRange extends RangeLeaf {
        private final double value;

        DoubleRange(String field, String operator, double value, String bound) {
            super(field, operator, bound);
            this.value = value;
        }

        @Override
        int compare(FieldValues v, int i) {
            return Double.compare(v.doubleAt(i), value);
        }
    }

    static final class IpRange extends RangeLeaf {
        private final long hi;
        private final long lo;

        IpRange(String field, String operator, long hi, long lo, String bound) {
            super(field, operator, bound);
            this.hi = hi;
            this.lo = lo;
        }

        @Override
        int compare(FieldValues v, int i) {
            return IpAddresses.compare(v.ipHiAt(i), v.ipLoAt(i), hi, lo);
        }
    }

    /** Keyword ranges compare UTF-8 bytes, which orders like code points. */
    static final class KeywordRange extends RangeLeaf {
        KeywordRange(String field, String operator, String bound) {
            super(field, operator, bound);
        }

        @Override
        int compare(FieldValues v, int i) {
            return compareCodePoints(v.stringAt(i), bound);
        }

        static int compareCodePoints(String a, String b) {
            int i = 0;
            int j = 0;
            while (i < a.length() && j < b.length()) {
                int ca = a.codePointAt(i);
                int cb = b.codePointAt(j);
                if (ca != cb) return Integer.compare(ca, cb);
                i += Character.charCount(ca);
                j += Character.charCount(cb);
            }
            return Integer.compare(a.length() - i, b.length() - j);
        }
    }

    /**
     * Elasticsearch's {@code wildcard} query on a keyword field: {@code *} any sequence, {@code ?} one code point,
     * {@code \\} escapes the next character (a trailing one is literal), case-sensitive unless the field's
     * normalizer lowercases (then pattern and values are lowercased, as Elasticsearch normalizes both).
     */
    static final class KeywordPattern extends Leaf {
        static final int ANY_ONE = -1;
        static final int ANY_MANY = -2;

        private final String pattern;
        private final int[] tokens;
        private final boolean lowercase;

        KeywordPattern(String field, String pattern, boolean lowercase) {
            super(field);
            this.pattern = pattern;
            this.lowercase = lowercase;
            this.tokens = tokens(lowercase ? FieldQueries.lowercase(pattern) : pattern);
        }

        static int[] tokens(String pattern) {
            int[] out = new int[pattern.length()];
            int n = 0;
            for (int i = 0; i < pattern.length(); ) {
                int c = pattern.codePointAt(i);
                i += Character.charCount(c);
                if (c == '*') {
                    out[n++] = ANY_MANY;
                } else if (c == '?') {
                    out[n++] = ANY_ONE;
                } else if (c == '\\' && i < pattern.length()) {
                    int escaped = pattern.codePointAt(i);
                    i += Character.charCount(escaped);
                    out[n++] = escaped;
                } else {
                    out[n++] = c;
                }
            }
            return java.util.Arrays.copyOf(out, n);
        }

        @Override
        boolean matches(FieldValues v, int i) {
            String s = v.stringAt(i);
            return matches(tokens, lowercase ? FieldQueries.lowercase(s) : s);
        }

        /** Greedy match with backtracking to the last {@code *}: O(pattern x value) at worst. */
        static boolean matches(int[] tokens, String s) {
            int p = 0;
            int i = 0;
            int starP = -1;
            int starI = -1;
            while (i < s.length()) {
                int c = s.codePointAt(i);
                if (p < tokens.length && (tokens[p] == ANY_ONE || tokens[p] == c)) {
                    p++;
                    i += Character.charCount(c);
                } else if (p < tokens.length && tokens[p] == ANY_MANY) {
                    starP = p++;
                    starI = i;
                } else if (starP >= 0) {
                    p = starP + 1;
                    starI += Character.charCount(s.codePointAt(starI));
                    i = starI;
                } else {
                    return false;
                }
            }
            while (p < tokens.length && tokens[p] == ANY_MANY) p++;
            return p == tokens.length;
        }

        @Override
        public String describe() {
            return field + (lowercase ? " (lowercased)" : "") + " matches " + quoteIfNeeded(pattern);
        }
    }

    /** Exact values of a keyword field whose normalizer lowercases (Elastic Defend's {@code .caseless}). */
    static final class LowercaseKeywordIn extends Leaf {
        private final Set<String> values;

        LowercaseKeywordIn(String field, Set<String> lowercased) {
            super(field);
            this.values = Set.copyOf(lowercased);
        }

        @Override
        boolean matches(FieldValues v, int i) {
            return values.contains(FieldQueries.lowercase(v.stringAt(i)));
        }

        @Override
        public String describe() {
            return field + " (lowercased):" + group(values.stream().sorted().map(Predicate::quoteIfNeeded).collect(Collectors.toList()));
        }
    }

    /** Elasticsearch's {@code range} query with both bounds inclusive on an ip field: one value within both. */
    static final class IpBetween extends Leaf {
        private final long fromHi;
        private final long fromLo;
        private final long toHi;
        private final long toLo;
        private final String text;

        IpBetween(String field, long[] from, long[] to, String text) {
            super(field);
            this.fromHi = from[0];
            this.fromLo = from[1];
            this.toHi = to[0];
            this.toLo = to[1];
            this.text = text;
        }

        @Override
        boolean matches(FieldValues v, int i) {
            long hi = v.ipHiAt(i);
            long lo = v.ipLoAt(i);
            return IpAddresses.compare(hi, lo, fromHi, fromLo) >= 0 && IpAddresses.compare(hi, lo, toHi, toLo) <= 0;
        }

        @Override
        public String describe() {
            return field + ":[" + text + "]";
        }
    }

    /** A {@code range} query with both bounds inclusive on a keyword field (code point order). */
    static final class KeywordBetween extends Leaf {
        private final String from;
        private final String to;

        KeywordBetween(String field, String from, String to) {
            super(field);
            this.from = from;
            this.to = to;
        }

        @Override
        boolean matches(FieldValues v, int i) {
            String s = v.stringAt(i);
            return KeywordRange.compareCodePoints(s, from) >= 0 && KeywordRange.compareCodePoints(s, to) <= 0;
        }

        @Override
        public String describe() {
            return field + ":[" + quoteIfNeeded(from) + " to " + quoteIfNeeded(to) + "]";
        }
    }

    /** Elasticsearch's {@code match} on a text field: any token of any value is one of the query's tokens. */
    static final class TextTerms extends Leaf {
        private final TextAnalysis analysis;
        private final Set<String> terms;
        private final String text;

        TextTerms(String field, TextAnalysis analysis, Set<String> terms, String text) {
            super(field);
            this.analysis = analysis;
            this.terms = Set.copyOf(terms);
            this.text = text;
        }

        @Override
        boolean matches(FieldValues v, int i) {
            for (String t : v.tokensAt(i, analysis).terms()) {
                if (terms.contains(t)) return true;
            }
            return false;
        }

        @Override
        public String describe() {
            return field + " (text):" + text;
        }
    }

    /**
     * {@code match_phrase} on a text field: the query's tokens at the same relative positions within one value
     * (values of an array are 100 positions apart in Elasticsearch, so a phrase never spans two).
     */
    static final class TextPhrase extends Leaf {
        private final TextAnalysis analysis;
        private final String[] terms;
        private final int[] positions;
        private final String text;

        TextPhrase(String field, TextAnalysis analysis, TextAnalysis.Tokens phrase, String text) {
            super(field);
            this.analysis = analysis;
            this.terms = phrase.terms();
            this.positions = phrase.positions();
            this.text = text;
        }

        @Override
        boolean matches(FieldValues v, int i) {
            TextAnalysis.Tokens t = v.tokensAt(i, analysis);
            String[] vt = t.terms();
            int[] vp = t.positions();
            for (int s = 0; s < vt.length; s++) {
                if (!vt[s].equals(terms[0])) continue;
                boolean all = true;
                for (int k = 1; k < terms.length && all; k++) {
                    all = hasTokenAt(vt, vp, s, vp[s] + positions[k] - positions[0], terms[k]);
                }
                if (all) return true;
            }
            return false;
        }

        private static boolean hasTokenAt(String[] vt, int[] vp, int from, int position, String term) {
            for (int j = from; j < vt.length && vp[j] <= position; j++) {
                if (vp[j] == position && vt[j].equals(term)) return true;
            }
            return false;
        }

        @Override
        public String describe() {
            return field + " (text):" + quoteIfNeeded(text);
        }
    }

    /**
     * A {@code query_string} wildcard on a text field: some token of some value matches the pattern, whose literal
     * parts the field's analyzer normalized (lowercased), as Elasticsearch normalizes wildcard patterns.
     */
    static final class TextPattern extends Leaf {
        private final TextAnalysis analysis;
        private final List<String> parts;

        TextPattern(String field, TextAnalysis analysis, List<String> normalizedParts) {
            super(field);
            this.analysis = analysis;
            this.parts = List.copyOf(normalizedParts);
        }

        @Override
        boolean matches(FieldValues v, int i) {
            for (String t : v.tokensAt(i, analysis).terms()) {
                if (KeywordWildcard.wildcardMatch(t, parts)) return true;
            }
            return false;
        }

        @Override
        public String describe() {
            return field + " (text tokens) matches " + String.join("*", parts);
        }
    }

    /**
     * Elasticsearch's {@code nested} query: some object of the nested field, indexed as a document of its own,
     * satisfies the inner query (whose fields are relative to the object). The objects are read from the event's
     * source each time, and parsed over the inner query's fields.
     */
    static final class Nested extends Predicate {
        private final String path;
        private final Predicate inner;
        private final FieldSchema innerSchema;
        private EventParser parser;

        Nested(String path, Predicate inner, FieldSchema innerSchema) {
            this.path = path;
            this.inner = inner;
            this.innerSchema = innerSchema;
        }

        @Override
        public void bind(FieldSchema schema) {
            if (parser == null) {
                inner.bind(innerSchema);
                parser = new EventParser(innerSchema);
            }
        }

        @Override
        public boolean test(ParsedEvent event) {
            if (event.sourceData() == null) return false;
            for (byte[] object : NestedObjects.find(event.sourceData(), event.sourceOffset(), event.sourceLength(), path)) {
                ParsedEvent o = parser.parse(object);
                if (!o.isError() && inner.test(o)) return true;
            }
            return false;
        }

        @Override
        public String describe() {
            return path + ":{ " + inner.describe() + " }";
        }
    }

    /** A clause that can never hold (e.g. a term with a decimal part on a long field, as Elasticsearch). */
    static final class Never extends Predicate {
        private final String text;

        Never(String text) {
            this.text = text;
        }

        @Override
        public void bind(FieldSchema schema) {
        }

        @Override
        public boolean test(ParsedEvent event) {
            return false;
        }

        @Override
        public String describe() {
            return text;
        }
    }

    static final class Not extends Predicate {
        final Predicate inner;

        Not(Predicate inner) {
            this.inner = inner;
        }

        @Override
        public void bind(FieldSchema schema) {
            inner.bind(schema);
        }

        @Override
        public boolean test(ParsedEvent event) {
            return !inner.test(event);
        }

        @Override
        public String describe() {
            return "not " + inner.describe();
        }
    }

    abstract static class Composite extends Predicate {
        final Predicate[] clauses;

        Composite(List<Predicate> clauses) {
            this.clauses = clauses.toArray(new Predicate[0]);
        }

        @Override
        public void bind(FieldSchema schema) {
            for (Predicate c : clauses) c.bind(schema);
        }

        List<Predicate> clauses() {
            return Arrays.asList(clauses);
        }

        String join(String op) {
            return "(" + Arrays.stream(clauses).map(Predicate::describe).collect(Collectors.joining(" " + op + " ")) + ")";
        }
    }

    static final class And extends Composite {
        And(List<Predicate> clauses) {
            super(clauses);
        }

        @Override
        public boolean test(ParsedEvent event) {
            for (Predicate c : clauses) {
                if (!c.test(event)) return false;
            }
            return true;
        }

        @Override
        public String describe() {
            return join("and");
        }
    }

    static final class Or extends Composite {
        Or(List<Predicate> clauses) {
            super(clauses);
        }

        @Override
        public boolean test(ParsedEvent event) {
            for (Predicate c : clauses) {
                if (c.test(event)) return true;
            }
            return false;
        }

        @Override
        public String describe() {
            return join("or");
        }
    }

    static String group(List<String> values) {
        return values.size() == 1 ? values.get(0) : "(" + String.join(" or ", values) + ")";
    }

    static String quoteIfNeeded(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' || "\\():<>\"*{}".indexOf(c) >= 0) return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        }
        return s.isEmpty() ? "\"\"" : s;
    }
}

package org.smtpdetect.kql;

import org.smtpdetect.event.Coercions;
import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.IpAddresses;
import org.smtpdetect.event.TextAnalysis;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Elasticsearch's term, terms, range, wildcard and exists queries on one typed field, as predicates: the value
 * parsing and comparison each field type implies (CIDR on ip, long coercion, exact keyword), shared by the KQL
 * compiler and rule exceptions. A value Elasticsearch rejects (which fails the whole search) throws
 * {@link InvalidValueException}.
 */
public final class FieldQueries {
    /** A query value Elasticsearch rejects for the field's type; {@link #index()} is its position in the list. */
    public static final class InvalidValueException extends IllegalArgumentException {
        private final int index;

        InvalidValueException(int index, String message) {
            super(message);
            this.index = index;
        }

        /** Index of the offending value in the values given, or -1 for a single value. */
        public int index() {
            return index;
        }
    }

    private FieldQueries() {}

    /** {@code exists}: the field holds at least one indexed value. */
    public static Predicate exists(String field) {
        return new Predicate.Exists(field);
    }

    /**
     * {@code term}/{@code terms}: any value of the field equals one of {@code values} as the field's type compares
     * them. A decimal on a long field can match nothing (Elasticsearch answers no documents for that value).
     */
    public static Predicate terms(String field, FieldType type, List<String> values) {
        List<String> texts = new ArrayList<>();
        for (String v : values) texts.add(Predicate.quoteIfNeeded(v));
        String shown = Predicate.group(texts);
        switch (type) {
            case KEYWORD: case WILDCARD: case FLATTENED: case FLATTENED_KEY:
                return new Predicate.KeywordIn(field, new LinkedHashSet<>(values));
            case TEXT: {
                List<Predicate> phrases = new ArrayList<>();
                for (String v : values) phrases.add(phrase(field, TextAnalysis.STANDARD, v));
                return anyOf(phrases);
            }
            case IP: {
                List<IpAddresses.Block> blocks = new ArrayList<>();
                for (int i = 0; i < values.size(); i++) {
                    IpAddresses.Block b = IpAddresses.parseBlock(values.get(i));
                    if (b == null) {
                        throw new InvalidValueException(i, "'" + values.get(i) + "' is not an IP address or CIDR block for ip field [" + field + "]");
                    }
                    blocks.add(b);
                }
                return new Predicate.IpIn(field, blocks, shown);
            }
            case LONG: case DATE: case BOOLEAN: {
                List<Long> exact = new ArrayList<>();
                for (int i = 0; i < values.size(); i++) {
                    Long x = exactLong(field, type, values.get(i), i);
                    if (x != null) exact.add(x);
                }
                if (exact.isEmpty()) return new Predicate.Never(field + ":" + shown);
                return new Predicate.LongIn(field, exact.stream().mapToLong(Long::longValue).toArray(), shown);
            }
            case DOUBLE: {
                double[] ds = new double[values.size()];
                for (int i = 0; i < ds.length; i++) ds[i] = number(field, values.get(i), i).doubleValue();
                return new Predicate.DoubleIn(field, ds, shown);
            }
            default:
                throw new IllegalStateException(type.toString());
        }
    }

    /**
     * {@code match} on a text field: the value analysed with the standard analyzer, any of its tokens (no token,
     * as for {@code "..."}, matches nothing).
     */
    public static Predicate match(String field, TextAnalysis analysis, String value) {
        TextAnalysis.Tokens t = analysis.analyze(value);
        if (t.size() == 0) return new Predicate.Never(field + ":" + Predicate.quoteIfNeeded(value) + " (no tokens)");
        return new Predicate.TextTerms(field, analysis, new LinkedHashSet<>(List.of(t.terms())), Predicate.quoteIfNeeded(value));
    }

    /** {@code match_phrase} on a text field: the value's tokens in order within one value of the field. */
    public static Predicate phrase(String field, TextAnalysis analysis, String value) {
        TextAnalysis.Tokens t = analysis.analyze(value);
        if (t.size() == 0) return new Predicate.Never(field + ":\"" + value + "\" (no tokens)");
        if (t.size() == 1) return new Predicate.TextTerms(field, analysis, Set.of(t.terms()[0]), "\"" + value + "\"");
        return new Predicate.TextPhrase(field, analysis, t, value);
    }

    /** A wildcard pattern (literal parts between {@code *}) on a text field: some token matches it, lowercased. */
    public static Predicate textPattern(String field, TextAnalysis analysis, List<String> parts) {
        List<String> normalized = new ArrayList<>();
        for (String p : parts) normalized.add(p.isEmpty() ? p : analysis.normalize(p));
        return new Predicate.TextPattern(field, analysis, normalized);
    }

    /** {@link #terms} on a keyword field whose normalizer lowercases: values and query both lowercased. */
    public static Predicate lowercaseTerms(String field, List<String> values) {
        Set<String> lowered = new LinkedHashSet<>();
        for (String v : values) lowered.add(lowercase(v));
        return new Predicate.LowercaseKeywordIn(field, lowered);
    }

    /** {@code wildcard} ({@code *}, {@code ?}, {@code \} escapes): keyword fields only, as Elasticsearch. */
    public static Predicate wildcard(String field, FieldType type, String pattern) {
        if (!type.isKeywordLike()) {
            throw new InvalidValueException(-1, "wildcard queries only work on keyword fields; [" + field + "] is " + type);
        }
        return new Predicate.KeywordPattern(field, pattern, false);
    }

    /** {@link #wildcard} on a keyword field whose normalizer lowercases. */
    public static Predicate lowercaseWildcard(String field, String pattern) {
        return new Predicate.KeywordPattern(field, pattern, true);
    }

    /** {@code range} with inclusive bounds {@code gte} and {@code lte}: one value of the field within both. */
    public static Predicate between(String field, FieldType type, String gte, String lte) {
        switch (type) {
            case IP: {
                long[] from = new long[2];
                long[] to = new long[2];
                if (!IpAddresses.parse(gte, from)) throw new InvalidValueException(0, "'" + gte + "' is not an IP address for ip field [" + field + "]");
                if (!IpAddresses.parse(lte, to)) throw new InvalidValueException(1, "'" + lte + "' is not an IP address for ip field [" + field + "]");
                return new Predicate.IpBetween(field, from, to, gte + " to " + lte);
            }
            case KEYWORD: case WILDCARD: case FLATTENED: case FLATTENED_KEY:
                return new Predicate.KeywordBetween(field, gte, lte);
            default:
                throw new InvalidValueException(-1, "a range of '" + gte + "' to '" + lte + "' does not fit " + type + " field [" + field + "]");
        }
    }

    public static Predicate allOf(List<Predicate> clauses) {
        return clauses.size() == 1 ? clauses.get(0) : new Predicate.And(clauses);
    }

    public static Predicate anyOf(List<Predicate> clauses) {
        return clauses.size() == 1 ? clauses.get(0) : new Predicate.Or(clauses);
    }

    public static Predicate not(Predicate clause) {
        return new Predicate.Not(clause);
    }

    /** True when the predicate can hold for no event (a term Elasticsearch answers with no documents). */
    public static boolean isNever(Predicate p) {
        return p instanceof Predicate.Never;
    }

    /** Lucene's {@code LowerCaseFilter}: {@link Character#toLowerCase(int)} per code point, no locale rules. */
    public static String lowercase(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x80 || (c >= 'A' && c <= 'Z')) return lowercaseSlow(s);
        }
        return s;
    }

    private static String lowercaseSlow(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); ) {
            int c = s.codePointAt(i);
            b.appendCodePoint(Character.toLowerCase(c));
            i += Character.charCount(c);
        }
        return b.toString();
    }

    /** The long a term matches, or null when it can match nothing (a decimal part on a long field). */
    private static Long exactLong(String field, FieldType type, String s, int index) {
        if (type == FieldType.BOOLEAN) {
            if (s.equals("true")) return 1L;
            if (s.equals("false")) return 0L;
            throw new InvalidValueException(index, "'" + s + "' is not a boolean for field [" + field + "]");
        }
        if (type == FieldType.DATE) return date(field, s, index);
        BigDecimal d = number(field, s, index);
        if (d.stripTrailingZeros().scale() > 0) return null;
        try {
            return d.longValueExact();
        } catch (ArithmeticException e) {
            throw new InvalidValueException(index, "'" + s + "' is out of range for long field [" + field + "]");
        }
    }

    static BigDecimal number(String field, String s, int index) {
        try {
            return new BigDecimal(s);
        } catch (NumberFormatException e) {
            throw new InvalidValueException(index, "'" + s + "' is not a number for numeric field [" + field + "]");
        }
    }

    static long date(String field, String s, int index) {
        if (s.startsWith("now")) {
            throw new InvalidValueException(index, "date math ('now') is not supported: executions run in event time");
        }
        try {
            return Coercions.dateFromString(s);
        } catch (Coercions.Malformed e) {
            throw new InvalidValueException(index, "'" + s + "' is not a date for field [" + field + "]");
        }
    }
}

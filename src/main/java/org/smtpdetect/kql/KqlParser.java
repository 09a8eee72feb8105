package org.smtpdetect.kql;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses KQL (Kibana Query Language) exactly as Kibana's grammar ({@code kbn-es-query} {@code grammar.peggy}):
 * {@code not} binds tighter than {@code and}, which binds tighter than {@code or}; keywords are case-insensitive;
 * unquoted values may contain spaces and stop at a keyword or special character; nested queries
 * {@code path:{...}}; field names may be quoted or patterns with {@code *}.
 *
 * <p>Escapes, as the grammar has them: in a quoted string {@code \t \r \n \\uXXXX \\ \"} are escapes and any other
 * backslash is itself ({@code "C:\Program Files"} keeps its backslash); unquoted, {@code \t \r \n \\uXXXX}, a
 * backslash before one of {@code \():<>"*{}} or before a keyword ({@code \or}) are escapes, and any other backslash
 * is a syntax error. Whitespace is space, tab, CR, LF and no-break space.
 */
public final class KqlParser {
    private static final String SPECIAL = "\\():<>\"*{}";

    private final String q;
    private int pos;

    private KqlParser(String query) {
        this.q = query;
    }

    public static KqlNode parse(String query) {
        KqlParser p = new KqlParser(query);
        p.skipSpace();
        if (p.pos == query.length()) throw p.error("empty query", 0);
        KqlNode node = p.orQuery();
        p.skipSpace();
        if (p.pos != query.length()) throw p.error("expected 'or', 'and' or the end of the query", p.pos);
        return node;
    }

    private KqlNode orQuery() {
        int start = pos;
        List<KqlNode> clauses = new ArrayList<>();
        clauses.add(andQuery());
        while (keywordBetweenSpaces("or")) clauses.add(andQuery());
        return clauses.size() == 1 ? clauses.get(0) : new KqlNode.Or(clauses, start);
    }

    private KqlNode andQuery() {
        int start = pos;
        List<KqlNode> clauses = new ArrayList<>();
        clauses.add(notQuery());
        while (keywordBetweenSpaces("and")) clauses.add(notQuery());
        return clauses.size() == 1 ? clauses.get(0) : new KqlNode.And(clauses, start);
    }

    private KqlNode notQuery() {
        int start = pos;
        if (notKeyword()) return new KqlNode.Not(subQuery(), start);
        return subQuery();
    }

    private KqlNode subQuery() {
        if (peek() == '(') {
            pos++;
            skipSpace();
            KqlNode inner = orQuery();
            skipSpace();
            expect(')');
            return inner;
        }
        return expression();
    }

    private KqlNode expression() {
        int start = pos;
        if (pos >= q.length()) throw error("expected a field query", pos);
        KqlNode.Literal field = literal();
        if (field == null) throw error("expected a field name", pos);
        int afterField = pos;
        skipSpace();
        String op = rangeOperator();
        if (op != null) {
            checkField(field);
            skipSpace();
            int valuePos = pos;
            KqlNode.Literal value = literal();
            if (value == null) throw error("expected a value after '" + op + "'", valuePos);
            if (value.hasWildcard()) throw error("wildcards are not allowed in range values", valuePos);
            return new KqlNode.Range(field.text(), field.hasWildcard(), op, value, start);
        }
        if (peek() == ':') {
            checkField(field);
            pos++;
            skipSpace();
            if (peek() == '{') {
                if (field.hasWildcard()) throw error("a nested query needs a nested field's path, not a pattern", field.position());
                pos++;
                skipSpace();
                KqlNode inner = orQuery();
                skipSpace();
                expect('}');
                return new KqlNode.Nested(field.text(), inner, start);
            }
            return new KqlNode.FieldMatch(field.text(), field.hasWildcard(), listOfValues(), start);
        }
        pos = afterField;
        throw error("a value without a field name is not supported (write field:value)", start);
    }

    private void checkField(KqlNode.Literal field) {
        if (field.text().isEmpty()) throw error("empty field name", field.position());
    }

    private KqlNode.ValueExpr listOfValues() {
        if (peek() == '(') {
            pos++;
            skipSpace();
            KqlNode.ValueExpr v = orValues();
            skipSpace();
            expect(')');
            return v;
        }
        int start = pos;
        KqlNode.Literal v = literal();
        if (v == null) throw error("expected a value", start);
        return v;
    }

    private KqlNode.ValueExpr orValues() {
        int start = pos;
        List<KqlNode.ValueExpr> values = new ArrayList<>();
        values.add(andValues());
        while (keywordBetweenSpaces("or")) values.add(andValues());
        return values.size() == 1 ? values.get(0) : new KqlNode.ValueOr(values, start);
    }

    private KqlNode.ValueExpr andValues() {
        int start = pos;
        List<KqlNode.ValueExpr> values = new ArrayList<>();
        values.add(notValues());
        while (keywordBetweenSpaces("and")) values.add(notValues());
        return values.size() == 1 ? values.get(0) : new KqlNode.ValueAnd(values, start);
    }

    private KqlNode.ValueExpr notValues() {
        int start = pos;
        if (notKeyword()) return new KqlNode.ValueNot(listOfValues(), start);
        return listOfValues();
    }

    /** A quoted or unquoted literal, or null if none starts here. */
    private KqlNode.Literal literal() {
        int start = pos;
        if (peek() == '"') return quoted();
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean any = false;
        while (pos < q.length()) {
            char c = q.charAt(pos);
            if (c == '\\') {
                cur.append(unquotedEscape());
                any = true;
            } else if (c == '*') {
                parts.add(cur.toString());
                cur.setLength(0);
                pos++;
                any = true;
            } else if (SPECIAL.indexOf(c) >= 0 || atKeyword()) {
                break;
            } else {
                cur.append(c);
                pos++;
                any = true;
            }
        }
        if (!any) return null;
        parts.add(cur.toString());
        // Kibana trims the whole unquoted sequence with JavaScript's trim().
        parts.set(0, trimStart(parts.get(0)));
        parts.set(parts.size() - 1, trimEnd(parts.get(parts.size() - 1)));
        return new KqlNode.Literal(List.copyOf(parts), false, start);
    }

    private KqlNode.Literal quoted() {
        int start = pos;
        pos++;
        StringBuilder b = new StringBuilder();
        while (true) {
            if (pos >= q.length()) throw error("unterminated quoted string", start);
            char c = q.charAt(pos);
            if (c == '"') {
                pos++;
                return new KqlNode.Literal(List.of(b.toString()), true, start);
            }
            String escaped = c == '\\' ? commonEscape() : null;
            if (escaped != null) {
                b.append(escaped);
            } else if (c == '\\' && pos + 1 < q.length() && (q.charAt(pos + 1) == '\\' || q.charAt(pos + 1) == '"')) {
                b.append(q.charAt(pos + 1));
                pos += 2;
            } else {
                b.append(c); // any other backslash is a literal character in a quoted string
                pos++;
            }
        }
    }

    /** {@code \t \r \n \\uXXXX} at {@code pos} (a backslash): consumes it and returns what it stands for, or null. */
    private String commonEscape() {
        if (pos + 1 >= q.length()) return null;
        switch (q.charAt(pos + 1)) {
            case 't': pos += 2; return "\t";
            case 'r': pos += 2; return "\r";
            case 'n': pos += 2; return "\n";
            case 'u': {
                if (pos + 6 > q.length()) return null;
                for (int i = pos + 2; i < pos + 6; i++) {
                    if (Character.digit(q.charAt(i), 16) < 0) return null;
                }
                char c = (char) Integer.parseInt(q.substring(pos + 2, pos + 6), 16);
                pos += 6;
                return String.valueOf(c);
            }
            default: return null;
        }
    }

    /** An escape in an unquoted literal; anything but the grammar's escapes is a syntax error, as in Kibana. */
    private String unquotedEscape() {
        int start = pos;
        String common = commonEscape();
        if (common != null) return common;
        if (pos + 1 >= q.length()) throw error("a backslash at the end of an unquoted value escapes nothing", start);
        char n = q.charAt(pos + 1);
        if (SPECIAL.indexOf(n) >= 0) {
            pos += 2;
            return String.valueOf(n);
        }
        for (String kw : new String[] {"or", "and", "not"}) {
            if (q.regionMatches(true, pos + 1, kw, 0, kw.length())) {
                pos += 1 + kw.length();
                return q.substring(pos - kw.length(), pos);
            }
        }
        throw error("invalid escape '\\" + n + "' in an unquoted value (quote the value, or write \\\\ for a backslash)", start);
    }

    /** True if a keyword starts here as the grammar's lookahead sees it: space or/and space, or not space. */
    private boolean atKeyword() {
        if (isSpace(peek()) && (keywordAt(pos + 1, "or") || keywordAt(pos + 1, "and"))) return true;
        return q.regionMatches(true, pos, "not", 0, 3) && pos + 3 < q.length() && isSpace(q.charAt(pos + 3));
    }

    private boolean keywordAt(int i, String kw) {
        return q.regionMatches(true, i, kw, 0, kw.length()) && i + kw.length() < q.length() && isSpace(q.charAt(i + kw.length()));
    }

    /** Consumes {@code Space+ kw Space+} if present. */
    private boolean keywordBetweenSpaces(String kw) {
        int i = pos;
        if (i >= q.length() || !isSpace(q.charAt(i))) return false;
        while (i < q.length() && isSpace(q.charAt(i))) i++;
        if (!q.regionMatches(true, i, kw, 0, kw.length())) return false;
        i += kw.length();
        if (i >= q.length() || !isSpace(q.charAt(i))) return false;
        while (i < q.length() && isSpace(q.charAt(i))) i++;
        pos = i;
        return true;
    }

    /** Consumes {@code not Space+} if present. */
    private boolean notKeyword() {
        int i = pos;
        if (!q.regionMatches(true, i, "not", 0, 3)) return false;
        i += 3;
        if (i >= q.length() || !isSpace(q.charAt(i))) return false;
        while (i < q.length() && isSpace(q.charAt(i))) i++;
        pos = i;
        return true;
    }

    private String rangeOperator() {
        for (String op : new String[] {"<=", ">=", "<", ">"}) {
            if (q.startsWith(op, pos)) {
                pos += op.length();
                return op;
            }
        }
        return null;
    }

    private void expect(char c) {
        if (peek() != c) throw error("expected '" + c + "'", pos);
        pos++;
    }

    private char peek() {
        return pos < q.length() ? q.charAt(pos) : '\0';
    }

    private void skipSpace() {
        while (pos < q.length() && isSpace(q.charAt(pos))) pos++;
    }

    /** The grammar's {@code Space}: space, tab, CR, LF and no-break space. */
    static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\u00A0';
    }

    /** JavaScript's {@code String.prototype.trim} whitespace: Unicode spaces, line terminators and BOM. */
    static boolean isJsWhitespace(char c) {
        return c == '\t' || c == '\n' || c == 0x0B || c == '\f' || c == '\r' || c == ' ' || c == '\u00A0' || c == '\uFEFF'
                || c == '\u2028' || c == '\u2029' || Character.getType(c) == Character.SPACE_SEPARATOR;
    }

    private static String trimStart(String s) {
        int i = 0;
        while (i < s.length() && isJsWhitespace(s.charAt(i))) i++;
        return s.substring(i);
    }

    private static String trimEnd(String s) {
        int i = s.length();
        while (i > 0 && isJsWhitespace(s.charAt(i - 1))) i--;
        return s.substring(0, i);
    }

    private KqlSyntaxException error(String message, int at) {
        return new KqlSyntaxException(message, q, at);
    }
}

package org.smtpdetect.kql;

import java.util.ArrayList;
import java.util.List;

/**
 * Parses KQL (Kibana Query Language) with the grammar and precedence of Kibana's {@code kuery.peg}:
 * {@code not} binds tighter than {@code and}, which binds tighter than {@code or}; keywords are
 * case-insensitive; unquoted values may contain spaces and stop at a keyword or special character; escapes are
 * {@code \\ \( \) \: \< \> \" \* \{ \}}, {@code \t \r \n}, {@code \\uXXXX} and escaped keywords.
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
            return new KqlNode.Range(field.text(), op, value, start);
        }
        if (peek() == ':') {
            checkField(field);
            pos++;
            skipSpace();
            if (peek() == '{') throw error("nested field queries (field:{...}) are not supported", pos);
            return new KqlNode.FieldMatch(field.text(), listOfValues(), start);
        }
        pos = afterField;
        throw error("a value without a field name is not supported (write field:value)", start);
    }

    private void checkField(KqlNode.Literal field) {
        if (field.hasWildcard()) throw error("wildcards in field names are not supported", field.position());
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
                cur.append(escape(false));
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
        // Kibana trims the whole unquoted sequence.
        parts.set(0, stripLeading(parts.get(0)));
        parts.set(parts.size() - 1, parts.get(parts.size() - 1).stripTrailing());
        return new KqlNode.Literal(List.copyOf(parts), false, start);
    }

    private static String stripLeading(String s) {
        int i = 0;
        while (i < s.length() && isSpace(s.charAt(i))) i++;
        return s.substring(i);
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
            if (c == '\\') {
                b.append(escape(true));
            } else {
                b.append(c);
                pos++;
            }
        }
    }

    /** Consumes an escape sequence at {@code pos} (a backslash) and returns what it stands for. */
    private String escape(boolean inQuotes) {
        int start = pos;
        if (pos + 1 >= q.length()) throw error("dangling backslash", start);
        char n = q.charAt(pos + 1);
        switch (n) {
            case 't': pos += 2; return "\t";
            case 'r': pos += 2; return "\r";
            case 'n': pos += 2; return "\n";
            case 'u': {
                if (pos + 6 > q.length()) throw error("incomplete \\u escape", start);
                String hex = q.substring(pos + 2, pos + 6);
                try {
                    int cp = Integer.parseInt(hex, 16);
                    pos += 6;
                    return String.valueOf((char) cp);
                } catch (NumberFormatException e) {
                    throw error("invalid \\u escape", start);
                }
            }
            default:
        }
        if (inQuotes) {
            if (n == '\\' || n == '"') {
                pos += 2;
                return String.valueOf(n);
            }
            throw error("invalid escape '\\" + n + "' in a quoted string", start);
        }
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
        throw error("invalid escape '\\" + n + "'", start);
    }

    /** True if a keyword (or/and between spaces, or not followed by space) starts at {@code pos}. */
    private boolean atKeyword() {
        int save = pos;
        boolean kw = keywordBetweenSpaces("or") || keywordBetweenSpaces("and") || notKeyword();
        pos = save;
        return kw;
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

    private static boolean isSpace(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
    }

    private KqlSyntaxException error(String message, int at) {
        return new KqlSyntaxException(message, q, at);
    }
}

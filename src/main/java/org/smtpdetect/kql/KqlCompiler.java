package org.smtpdetect.kql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.smtpdetect.event.FieldSchema;
import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.event.IpAddresses;
import org.smtpdetect.event.TextAnalysis;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a KQL syntax tree into a {@link Predicate} using field types, the way Elasticsearch evaluates the query
 * Kibana's detection engine sends for it ({@link KqlDsl}: {@code match} for an unquoted value, {@code match_phrase}
 * for a quoted one, {@code query_string} for a value with wildcards, {@code exists}, {@code range}). Each field's
 * type then decides the comparison: exact on keyword, CIDR on ip, coercion on numbers, analysis on text. Anything
 * Elasticsearch would reject, or that the compiler does not support, fails here with the position.
 */
public final class KqlCompiler {
    /** {@code query_string}'s whitespace (Lucene's classic query parser): a wildcard value splits into terms there. */
    private static final String QUERY_STRING_WHITESPACE = " \t\n\r\u3000";

    private final FieldTypes types;
    private final String query;
    private final Map<String, FieldType> fields = new LinkedHashMap<>();
    private final List<String> warnings;
    /** Inside {@code path:{...}}: the nested path the fields are relative to; null at the top. */
    private final String nestedPath;

    /** The field (or field pattern) a value expression applies to. */
    private record Target(String name, boolean pattern, FieldType type) {}

    private KqlCompiler(FieldTypes types, String query) {
        this(types, query, null, new ArrayList<>());
    }

    private KqlCompiler(FieldTypes types, String query, String nestedPath, List<String> warnings) {
        this.types = types;
        this.query = query;
        this.nestedPath = nestedPath;
        this.warnings = warnings;
    }

    /** A field's full name: inside a nested query, below its path. */
    private String full(String field) {
        return nestedPath == null ? field : nestedPath + "." + field;
    }

    public static CompiledQuery compile(String query, FieldTypes types) {
        return compile(query, List.of(), types);
    }

    /**
     * A rule's query with its query-bar filters, as Kibana's {@code buildEsQuery} combines them: the KQL and each
     * enabled filter in a {@code bool} filter, each negated filter in its {@code must_not}.
     */
    public static CompiledQuery compile(String query, List<JsonNode> filters, FieldTypes types) {
        KqlCompiler c = new KqlCompiler(types, query);
        KqlNode tree = KqlParser.parse(query);
        Predicate kql = c.node(tree);
        List<Predicate> clauses = new ArrayList<>(kql instanceof Predicate.And and ? and.clauses() : List.of(kql));
        List<Predicate> all = new ArrayList<>(List.of(kql));
        ObjectNode dsl = JsonNodeFactory.instance.objectNode();
        ObjectNode bool = dsl.putObject("bool");
        bool.putArray("must");
        ArrayNode filter = bool.putArray("filter");
        filter.add(KqlDsl.toElasticsearchQuery(tree));
        bool.putArray("should");
        ArrayNode mustNot = bool.putArray("must_not");
        for (FilterCompiler.Compiled f : FilterCompiler.compile(filters, types, c.fields)) {
            Predicate p = f.negate() ? new Predicate.Not(f.predicate()) : f.predicate();
            all.add(p);
            clauses.add(p);
            (f.negate() ? mustNot : filter).add(f.query().deepCopy());
        }
        Predicate root = all.size() == 1 ? kql : new Predicate.And(all);
        return new CompiledQuery(query, root, clauses, c.fields, c.warnings, dsl);
    }

    private Predicate node(KqlNode n) {
        if (n instanceof KqlNode.Or or) return new Predicate.Or(nodes(or.clauses()));
        if (n instanceof KqlNode.And and) return new Predicate.And(nodes(and.clauses()));
        if (n instanceof KqlNode.Not not) return new Predicate.Not(node(not.clause()));
        if (n instanceof KqlNode.FieldMatch m) {
            if (m.fieldPattern() && nestedPath != null) {
                throw new KqlSyntaxException("field patterns inside a nested query are not supported", query, m.position());
            }
            Target t = m.fieldPattern() ? new Target(m.field(), true, null) : new Target(m.field(), false, typeOf(m.field(), m.position()));
            return values(t, m.values());
        }
        if (n instanceof KqlNode.Nested nested) return nested(nested);
        KqlNode.Range r = (KqlNode.Range) n;
        if (r.fieldPattern()) {
            return never(r.field() + " " + r.operator() + " " + r.value().text(), "Elasticsearch answers a range query on a field pattern ["
                    + r.field() + "] with no documents (it does not expand field names in range queries)");
        }
        return range(r, typeOf(r.field(), r.position()));
    }

    private List<Predicate> nodes(List<KqlNode> ns) {
        List<Predicate> out = new ArrayList<>();
        for (KqlNode n : ns) out.add(node(n));
        return out;
    }

    private Predicate nested(KqlNode.Nested n) {
        String path = full(n.path());
        if (!types.isNested(path)) {
            throw new KqlSyntaxException("[" + path + "] is not mapped as nested in the field type table; Elasticsearch rejects a"
                    + " nested query on it", query, n.position());
        }
        KqlCompiler inner = new KqlCompiler(types, query, path, warnings);
        Predicate p = inner.node(n.query());
        return new Predicate.Nested(n.path(), p, FieldSchema.of(inner.fields));
    }

    private FieldType typeOf(String field, int position) {
        String name = full(field);
        java.util.Optional<String> under = types.nestedPathOf(name);
        if (under.isPresent() && !under.get().equals(nestedPath)) {
            throw new KqlSyntaxException("field [" + name + "] lies under the nested field [" + under.get()
                    + "]: Elasticsearch matches it only in a nested query (" + under.get() + ":{...})", query, position);
        }
        FieldType t = types.typeOf(name).orElseThrow(() -> new KqlSyntaxException("field [" + name
                + "] has no type in the field type table (kql/field-types.tsv): give it its mapping type with --field-types FILE",
                query, position));
        fields.put(field, t);
        return t;
    }

    private Predicate values(Target target, KqlNode.ValueExpr v) {
        if (v instanceof KqlNode.ValueNot not) return new Predicate.Not(values(target, not.value()));
        if (v instanceof KqlNode.ValueAnd and) {
            List<Predicate> ps = new ArrayList<>();
            for (KqlNode.ValueExpr e : and.values()) ps.add(values(target, e));
            return new Predicate.And(ps);
        }
        if (v instanceof KqlNode.ValueOr or) {
            // Plain terms of one non-text field collapse into one set lookup; the rest stay separate clauses.
            List<KqlNode.Literal> terms = new ArrayList<>();
            List<Predicate> others = new ArrayList<>();
            for (KqlNode.ValueExpr e : or.values()) {
                if (!target.pattern() && target.type() != FieldType.TEXT && e instanceof KqlNode.Literal l && !l.hasWildcard()) {
                    terms.add(l);
                } else {
                    others.add(values(target, e));
                }
            }
            if (!terms.isEmpty()) others.add(0, terms(target.name(), target.type(), terms));
            return others.size() == 1 ? others.get(0) : new Predicate.Or(others);
        }
        KqlNode.Literal l = (KqlNode.Literal) v;
        if (target.pattern()) return patternValue(target.name(), l);
        return literal(target.name(), target.type(), l);
    }

    private Predicate literal(String field, FieldType type, KqlNode.Literal l) {
        if (l.isMatchAll()) return new Predicate.Exists(field);
        if (l.hasWildcard()) return queryString(field, type, l);
        if (l.json() == null) {
            throw new KqlSyntaxException("an unquoted null is sent to Elasticsearch as a JSON null, which its match query rejects;"
                    + " quote it (\"null\") to match the word", query, l.position());
        }
        if (type == FieldType.TEXT) {
            TextAnalysis a = types.analysisOf(full(field));
            return l.quoted() ? FieldQueries.phrase(field, a, l.text()) : FieldQueries.match(field, a, l.text());
        }
        // match and match_phrase on a field that is not analysed are one term query.
        return terms(field, type, List.of(l));
    }

    /**
     * {@code query_string} with the value's wildcards: Lucene's query parser splits it into terms at whitespace
     * (Kibana escapes every other special character) and any term may match; {@code *} alone is exists.
     */
    private Predicate queryString(String field, FieldType type, KqlNode.Literal l) {
        if (!type.isKeywordLike() && type != FieldType.TEXT) {
            throw new KqlSyntaxException("wildcards only work on keyword and text fields; [" + field + "] is " + type
                    + " (Elasticsearch rejects the query_string query Kibana sends)", query, l.position());
        }
        List<Predicate> terms = new ArrayList<>();
        for (List<String> term : splitAtWhitespace(l.parts())) {
            boolean wildcard = term.size() > 1;
            if (wildcard && term.size() == 2 && term.get(0).isEmpty() && term.get(1).isEmpty()) {
                terms.add(new Predicate.Exists(field));
            } else if (wildcard) {
                terms.add(type == FieldType.TEXT ? FieldQueries.textPattern(field, types.analysisOf(full(field)), term)
                        : new Predicate.KeywordWildcard(field, term));
            } else {
                terms.add(type == FieldType.TEXT ? FieldQueries.match(field, types.analysisOf(full(field)), term.get(0))
                        : new Predicate.KeywordIn(field, java.util.Set.of(term.get(0))));
            }
        }
        return FieldQueries.anyOf(terms);
    }

    /** The value's parts (literal pieces between wildcards) cut at query_string whitespace into terms. */
    static List<List<String>> splitAtWhitespace(List<String> parts) {
        List<List<String>> terms = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        StringBuilder piece = new StringBuilder();
        boolean any = false;
        for (int p = 0; p < parts.size(); p++) {
            if (p > 0) {
                cur.add(piece.toString());
                piece.setLength(0);
                any = true;
            }
            String s = parts.get(p);
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (QUERY_STRING_WHITESPACE.indexOf(c) >= 0) {
                    if (any || piece.length() > 0) {
                        cur.add(piece.toString());
                        terms.add(List.copyOf(cur));
                    }
                    cur.clear();
                    piece.setLength(0);
                    any = false;
                } else {
                    piece.append(c);
                }
            }
        }
        if (any || piece.length() > 0) {
            cur.add(piece.toString());
            terms.add(List.copyOf(cur));
        }
        return terms;
    }

    /**
     * A value on a field pattern. Kibana's detection engine resolves no field names (it builds the query with an
     * index pattern of no fields), so Elasticsearch sees the pattern itself: {@code exists} and
     * {@code query_string} expand it over the mapped fields, {@code match} and {@code match_phrase} do not and
     * match nothing.
     */
    private Predicate patternValue(String pattern, KqlNode.Literal l) {
        if (!l.isMatchAll() && !l.hasWildcard()) {
            return never(pattern + ":" + Predicate.quoteIfNeeded(l.text()), "Elasticsearch answers a " + (l.quoted() ? "match_phrase" : "match")
                    + " query on the field pattern [" + pattern + "] with no documents (only exists and wildcard values expand field patterns)");
        }
        List<String> templates = types.templatesMatching(pattern);
        if (!templates.isEmpty()) {
            throw new KqlSyntaxException("field pattern [" + pattern + "] matches fields that dynamic templates map (" + String.join(", ", templates)
                    + "); their names exist only in the data, so the pattern cannot be expanded over the field type table", query, l.position());
        }
        List<Predicate> per = new ArrayList<>();
        for (String f : types.fieldsMatching(pattern)) {
            if (types.nestedPathOf(f).isPresent()) continue; // outside a nested query these match nothing
            FieldType t = typeOf(f, l.position());
            per.add(l.isMatchAll() ? new Predicate.Exists(f) : queryString(f, t, l));
        }
        if (per.isEmpty()) return never(pattern + ":" + l.text(), "no field in the field type table matches [" + pattern + "]");
        return FieldQueries.anyOf(per);
    }

    private Predicate never(String clause, String why) {
        warnings.add("clause " + clause + " can never match: " + why);
        return new Predicate.Never(clause);
    }

    private Predicate terms(String field, FieldType type, List<KqlNode.Literal> literals) {
        List<String> texts = new ArrayList<>();
        for (KqlNode.Literal l : literals) {
            if (l.json() == null) {
                throw new KqlSyntaxException("an unquoted null is sent to Elasticsearch as a JSON null, which its match query rejects;"
                        + " quote it (\"null\") to match the word", query, l.position());
            }
            texts.add(l.text());
        }
        try {
            return FieldQueries.terms(field, type, texts);
        } catch (FieldQueries.InvalidValueException e) {
            throw new KqlSyntaxException(e.getMessage(), query, literals.get(Math.max(0, e.index())).position());
        }
    }

    private Predicate range(KqlNode.Range r, FieldType type) {
        return rangePredicate(r.field(), type, r.operator(), r.value().text(),
                message -> new KqlSyntaxException(message, query, r.value().position()));
    }

    /** {@code field op bound} as Elasticsearch's range query compares it on the field's type. */
    static Predicate rangePredicate(String field, FieldType type, String op, String text,
                                    java.util.function.Function<String, KqlSyntaxException> error) {
        try {
            switch (type) {
                case KEYWORD: case WILDCARD: case FLATTENED: case FLATTENED_KEY:
                    return new Predicate.KeywordRange(field, op, text);
                case IP: {
                    long[] a = new long[2];
                    if (!IpAddresses.parse(text, a)) throw error.apply("'" + text + "' is not an IP address for ip field [" + field + "]");
                    return new Predicate.IpRange(field, op, a[0], a[1], text);
                }
                case LONG: {
                    // Integer bound equivalent to a decimal one: v > 25.5 is v > 25, v >= 25.5 is v >= 26.
                    BigDecimal d = FieldQueries.number(field, text, -1);
                    RoundingMode mode = op.equals(">") || op.equals("<=") ? RoundingMode.FLOOR : RoundingMode.CEILING;
                    BigDecimal rounded = d.setScale(0, mode);
                    long bound = rounded.max(BigDecimal.valueOf(Long.MIN_VALUE)).min(BigDecimal.valueOf(Long.MAX_VALUE)).longValue();
                    return new Predicate.LongRange(field, op, bound, text);
                }
                case DATE:
                    return new Predicate.LongRange(field, op, FieldQueries.date(field, text, -1), text);
                case DOUBLE:
                    return new Predicate.DoubleRange(field, op, FieldQueries.number(field, text, -1).doubleValue(), text);
                default:
                    throw error.apply("range queries are not supported on " + type + " field [" + field + "]");
            }
        } catch (FieldQueries.InvalidValueException e) {
            throw error.apply(e.getMessage());
        }
    }
}

package org.smtpdetect.kql;

import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.event.IpAddresses;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a KQL syntax tree into a {@link Predicate} using field types, the way Elasticsearch turns Kibana's
 * bool query into per-type term, wildcard, range and exists queries. Anything Elasticsearch would reject or
 * that the compiler does not support fails here, with the position.
 */
public final class KqlCompiler {
    private final FieldTypes types;
    private final String query;
    private final Map<String, FieldType> fields = new LinkedHashMap<>();

    private KqlCompiler(FieldTypes types, String query) {
        this.types = types;
        this.query = query;
    }

    public static CompiledQuery compile(String query, FieldTypes types) {
        KqlCompiler c = new KqlCompiler(types, query);
        Predicate root = c.node(KqlParser.parse(query));
        return new CompiledQuery(query, root, c.fields);
    }

    private Predicate node(KqlNode n) {
        if (n instanceof KqlNode.Or or) return new Predicate.Or(nodes(or.clauses()));
        if (n instanceof KqlNode.And and) return new Predicate.And(nodes(and.clauses()));
        if (n instanceof KqlNode.Not not) return new Predicate.Not(node(not.clause()));
        if (n instanceof KqlNode.FieldMatch m) return values(m.field(), typeOf(m.field(), m.position()), m.values());
        KqlNode.Range r = (KqlNode.Range) n;
        return range(r, typeOf(r.field(), r.position()));
    }

    private List<Predicate> nodes(List<KqlNode> ns) {
        List<Predicate> out = new ArrayList<>();
        for (KqlNode n : ns) out.add(node(n));
        return out;
    }

    private FieldType typeOf(String field, int position) {
        types.nestedPathOf(field).ifPresent(path -> {
            throw new KqlSyntaxException("field [" + field + "] lies under the nested field [" + path
                    + "]: Elasticsearch matches it only in a nested query (" + path + ":{...}), which is not supported", query, position);
        });
        FieldType t = types.typeOf(field).orElseThrow(() -> new KqlSyntaxException(
                "field [" + field + "] has no supported type in the ECS field type table (ecs-field-types.tsv)",
                query, position));
        fields.put(field, t);
        return t;
    }

    private Predicate values(String field, FieldType type, KqlNode.ValueExpr v) {
        if (v instanceof KqlNode.ValueNot not) return new Predicate.Not(values(field, type, not.value()));
        if (v instanceof KqlNode.ValueAnd and) {
            List<Predicate> ps = new ArrayList<>();
            for (KqlNode.ValueExpr e : and.values()) ps.add(values(field, type, e));
            return new Predicate.And(ps);
        }
        if (v instanceof KqlNode.ValueOr or) {
            // Plain terms of one field collapse into one set lookup; the rest stay separate clauses.
            List<KqlNode.Literal> terms = new ArrayList<>();
            List<Predicate> others = new ArrayList<>();
            for (KqlNode.ValueExpr e : or.values()) {
                if (e instanceof KqlNode.Literal l && !l.hasWildcard()) terms.add(l);
                else others.add(values(field, type, e));
            }
            if (!terms.isEmpty()) others.add(0, terms(field, type, terms));
            return others.size() == 1 ? others.get(0) : new Predicate.Or(others);
        }
        KqlNode.Literal l = (KqlNode.Literal) v;
        if (l.isMatchAll()) return new Predicate.Exists(field);
        if (l.hasWildcard()) {
            if (type != FieldType.KEYWORD) {
                throw new KqlSyntaxException("wildcards only work on keyword fields; [" + field + "] is " + type, query, l.position());
            }
            return new Predicate.KeywordWildcard(field, l.parts());
        }
        return terms(field, type, List.of(l));
    }

    private Predicate terms(String field, FieldType type, List<KqlNode.Literal> literals) {
        List<String> texts = new ArrayList<>();
        for (KqlNode.Literal l : literals) texts.add(l.text());
        try {
            return FieldQueries.terms(field, type, texts);
        } catch (FieldQueries.InvalidValueException e) {
            throw new KqlSyntaxException(e.getMessage(), query, literals.get(Math.max(0, e.index())).position());
        }
    }

    private BigDecimal number(String field, KqlNode.Literal l) {
        try {
            return FieldQueries.number(field, l.text(), -1);
        } catch (FieldQueries.InvalidValueException e) {
            throw new KqlSyntaxException(e.getMessage(), query, l.position());
        }
    }

    private long date(String field, KqlNode.Literal l) {
        try {
            return FieldQueries.date(field, l.text(), -1);
        } catch (FieldQueries.InvalidValueException e) {
            throw new KqlSyntaxException(e.getMessage(), query, l.position());
        }
    }

    private Predicate range(KqlNode.Range r, FieldType type) {
        String field = r.field();
        String op = r.operator();
        String text = r.value().text();
        switch (type) {
            case KEYWORD:
                return new Predicate.KeywordRange(field, op, text);
            case IP: {
                long[] a = new long[2];
                if (!IpAddresses.parse(text, a)) throw new KqlSyntaxException("'" + text + "' is not an IP address for ip field [" + field + "]", query, r.value().position());
                return new Predicate.IpRange(field, op, a[0], a[1], text);
            }
            case LONG: {
                // Integer bound equivalent to a decimal one: v > 25.5 is v > 25, v >= 25.5 is v >= 26.
                BigDecimal d = number(field, r.value());
                RoundingMode mode = op.equals(">") || op.equals("<=") ? RoundingMode.FLOOR : RoundingMode.CEILING;
                BigDecimal rounded = d.setScale(0, mode);
                long bound = rounded.max(BigDecimal.valueOf(Long.MIN_VALUE)).min(BigDecimal.valueOf(Long.MAX_VALUE)).longValue();
                return new Predicate.LongRange(field, op, bound, text);
            }
            case DATE:
                return new Predicate.LongRange(field, op, date(field, r.value()), text);
            case DOUBLE:
                return new Predicate.DoubleRange(field, op, number(field, r.value()).doubleValue(), text);
            default:
                throw new KqlSyntaxException("range queries are not supported on " + type + " field [" + field + "]", query, r.position());
        }
    }
}

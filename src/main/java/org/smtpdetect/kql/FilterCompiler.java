package org.smtpdetect.kql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.FieldTypes;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A rule's query-bar filters ({@code [[rule.filters]]}) as Kibana's {@code buildEsQuery} applies them: each enabled
 * filter's query (its {@code query}, or for a legacy filter the object without {@code meta}) is a {@code bool}
 * filter clause beside the KQL, a negated one ({@code meta.negate}) a {@code must_not} clause; disabled ones are
 * dropped. The queries are compiled to predicates the way Elasticsearch evaluates them. The DSL Kibana's filter
 * builders produce is supported (phrase, phrases, exists, range, and the wildcard, term, terms, match and bool
 * queries of custom filters); anything else fails with the filter and the query type.
 */
final class FilterCompiler {
    /** One filter, compiled: its query as sent, its predicate, and whether it is negated. */
    record Compiled(JsonNode query, Predicate predicate, boolean negate) {}

    private final FieldTypes types;
    private final Map<String, FieldType> fields;
    private final String at;

    private FilterCompiler(FieldTypes types, Map<String, FieldType> fields, String at) {
        this.types = types;
        this.fields = fields;
        this.at = at;
    }

    /** Compiles the enabled filters; a filter that cannot be honoured throws with its index and why. */
    static List<Compiled> compile(List<JsonNode> filters, FieldTypes types, Map<String, FieldType> fields) {
        List<Compiled> out = new ArrayList<>();
        for (int i = 0; i < filters.size(); i++) {
            JsonNode f = filters.get(i);
            JsonNode meta = f.path("meta");
            if (meta.path("disabled").asBoolean(false)) continue;
            JsonNode query = f.get("query");
            if (query == null) {
                ObjectNode legacy = ((ObjectNode) f).deepCopy();
                legacy.remove("meta");
                legacy.remove("$state");
                query = legacy;
            }
            FilterCompiler c = new FilterCompiler(types, fields, "filters[" + i + "]");
            out.add(new Compiled(query, c.query(query), meta.path("negate").asBoolean(false)));
        }
        return out;
    }

    private Predicate query(JsonNode q) {
        if (!q.isObject() || q.size() != 1) throw error("must be one query object, found " + q);
        String kind = q.fieldNames().next();
        JsonNode body = q.get(kind);
        switch (kind) {
            case "match_all": return new Predicate.And(List.of());
            case "bool": return bool(body);
            case "exists": return new Predicate.Exists(field(text(body, "field")).name);
            case "match_phrase": return match(body, true);
            case "match": return match(body, false);
            case "term": return term(body);
            case "terms": return terms(body);
            case "wildcard": return wildcard(body);
            case "range": return range(body);
            default:
                throw error("has a " + kind + " query, which the rule core does not evaluate (supported: bool, match_phrase, match,"
                        + " term, terms, wildcard, exists, range, match_all)");
        }
    }

    private Predicate bool(JsonNode body) {
        List<Predicate> all = new ArrayList<>();
        for (String k : List.of("must", "filter")) for (JsonNode c : list(body.get(k))) all.add(query(c));
        for (JsonNode c : list(body.get("must_not"))) all.add(new Predicate.Not(query(c)));
        List<JsonNode> should = list(body.get("should"));
        JsonNode msm = body.get("minimum_should_match");
        // Without minimum_should_match, should clauses are optional once the bool has a must or filter clause.
        int min = msm == null ? (all.isEmpty() && !should.isEmpty() ? 1 : 0) : minimumShouldMatch(msm);
        if (min > 1) throw error("has minimum_should_match " + msm + "; only 1 is supported");
        if (min == 1) {
            List<Predicate> any = new ArrayList<>();
            for (JsonNode c : should) any.add(query(c));
            all.add(new Predicate.Or(any));
        }
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!Set.of("must", "filter", "must_not", "should", "minimum_should_match", "boost").contains(k)) {
                throw error("has bool option " + k + ", which the rule core does not evaluate");
            }
        }
        return new Predicate.And(all);
    }

    private int minimumShouldMatch(JsonNode msm) {
        if (msm.canConvertToInt()) return msm.asInt();
        if (msm.isTextual() && msm.asText().matches("\\d+")) return Integer.parseInt(msm.asText());
        throw error("has minimum_should_match " + msm + "; only 1 is supported");
    }

    private static List<JsonNode> list(JsonNode n) {
        List<JsonNode> out = new ArrayList<>();
        if (n == null || n.isNull()) return out;
        if (n.isArray()) n.forEach(out::add);
        else out.add(n);
        return out;
    }

    private record Field(String name, FieldType type) {}

    private Field field(String name) {
        if (types.nestedPathOf(name).isPresent()) throw error("names [" + name + "], which lies under a nested field");
        FieldType t = types.typeOf(name).orElseThrow(() -> error("names field [" + name
                + "], which has no type in the field type table (kql/field-types.tsv): give it its mapping type with --field-types FILE"));
        fields.put(name, t);
        return new Field(name, t);
    }

    /** The single field of {@code {field: value}} or {@code {field: {query|value: ..., options}}}. */
    private Map.Entry<String, JsonNode> single(JsonNode body, String kind) {
        if (!body.isObject() || body.size() != 1) throw error("has a " + kind + " query on more or less than one field");
        return body.fields().next();
    }

    private Predicate match(JsonNode body, boolean phrase) {
        Map.Entry<String, JsonNode> e = single(body, phrase ? "match_phrase" : "match");
        JsonNode v = e.getValue();
        if (v.isObject()) {
            for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!k.equals("query") && !k.equals("boost")) throw error("has " + (phrase ? "match_phrase" : "match") + " option " + k + ", which the rule core does not evaluate");
            }
            v = v.get("query");
        }
        if (v == null || v.isNull() || v.isContainerNode()) throw error("has a match query without a value");
        Field f = field(e.getKey());
        String value = v.asText();
        if (f.type == FieldType.TEXT) {
            return phrase ? FieldQueries.phrase(f.name, types.analysisOf(f.name), value) : FieldQueries.match(f.name, types.analysisOf(f.name), value);
        }
        return values(f, List.of(value));
    }

    private Predicate term(JsonNode body) {
        Map.Entry<String, JsonNode> e = single(body, "term");
        JsonNode v = e.getValue();
        boolean caseInsensitive = false;
        if (v.isObject()) {
            caseInsensitive = v.path("case_insensitive").asBoolean(false);
            v = v.get("value");
        }
        if (v == null || v.isContainerNode()) throw error("has a term query without a value");
        Field f = field(e.getKey());
        if (f.type == FieldType.TEXT) throw error("has a term query on text field [" + f.name + "], which the rule core does not evaluate");
        if (caseInsensitive) {
            if (!f.type.isKeywordLike()) throw error("has a case-insensitive term on " + f.type + " field [" + f.name + "]");
            return FieldQueries.lowercaseTerms(f.name, List.of(v.asText()));
        }
        return values(f, List.of(v.asText()));
    }

    private Predicate terms(JsonNode body) {
        Map.Entry<String, JsonNode> e = single(body, "terms");
        if (!e.getValue().isArray()) throw error("has a terms query without a list of values");
        Field f = field(e.getKey());
        if (f.type == FieldType.TEXT) throw error("has a terms query on text field [" + f.name + "], which the rule core does not evaluate");
        List<String> vs = new ArrayList<>();
        e.getValue().forEach(x -> vs.add(x.asText()));
        return values(f, vs);
    }

    private Predicate values(Field f, List<String> values) {
        try {
            return FieldQueries.terms(f.name, f.type, values);
        } catch (FieldQueries.InvalidValueException ex) {
            throw error(ex.getMessage());
        }
    }

    private Predicate wildcard(JsonNode body) {
        Map.Entry<String, JsonNode> e = single(body, "wildcard");
        JsonNode v = e.getValue();
        boolean caseInsensitive = false;
        if (v.isObject()) {
            caseInsensitive = v.path("case_insensitive").asBoolean(false);
            for (Iterator<String> it = v.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!Set.of("value", "wildcard", "case_insensitive", "boost", "rewrite").contains(k)) {
                    throw error("has wildcard option " + k + ", which the rule core does not evaluate");
                }
            }
            v = v.has("value") ? v.get("value") : v.get("wildcard");
        }
        if (v == null || !v.isTextual()) throw error("has a wildcard query without a pattern");
        Field f = field(e.getKey());
        if (!f.type.isKeywordLike()) {
            throw error("has a wildcard query on " + f.type + " field [" + f.name + "]; the rule core evaluates wildcards on keyword fields");
        }
        return caseInsensitive ? FieldQueries.lowercaseWildcard(f.name, v.asText()) : FieldQueries.wildcard(f.name, f.type, v.asText());
    }

    private Predicate range(JsonNode body) {
        Map.Entry<String, JsonNode> e = single(body, "range");
        Field f = field(e.getKey());
        List<Predicate.RangeLeaf> bounds = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = e.getValue().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> b = it.next();
            String op;
            switch (b.getKey()) {
                case "gte": op = ">="; break;
                case "gt": op = ">"; break;
                case "lte": op = "<="; break;
                case "lt": op = "<"; break;
                case "boost": continue;
                default: throw error("has range option " + b.getKey() + ", which the rule core does not evaluate");
            }
            if (b.getValue().isNull()) continue; // an open bound
            bounds.add((Predicate.RangeLeaf) KqlCompiler.rangePredicate(f.name, f.type, op, b.getValue().asText(), this::error));
        }
        if (bounds.isEmpty()) return new Predicate.Exists(f.name);
        return new Predicate.Bounded(f.name, bounds);
    }

    private static String text(JsonNode body, String key) {
        JsonNode v = body.get(key);
        return v == null ? "" : v.asText();
    }

    private KqlSyntaxException error(String problem) {
        return new KqlSyntaxException(at + " " + problem);
    }
}

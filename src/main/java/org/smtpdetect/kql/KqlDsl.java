package org.smtpdetect.kql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * KQL to the Elasticsearch query DSL exactly as Kibana's {@code toElasticsearchQuery} (kbn-es-query) builds it
 * for the detection engine, which passes an index pattern with no fields: field names are sent as written (a
 * pattern stays a pattern), an unquoted value becomes {@code match}, a quoted one {@code match_phrase}, a value
 * with wildcards {@code query_string} (with Kibana's escaping of the query string's reserved characters),
 * {@code *} {@code exists}, {@code and} a {@code bool} filter, {@code or} a {@code bool} should with
 * {@code minimum_should_match: 1}, {@code not} a {@code bool} must_not, {@code path:{...}} a {@code nested}
 * query with {@code score_mode: none}.
 */
public final class KqlDsl {
    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private KqlDsl() {}

    public static ObjectNode toElasticsearchQuery(KqlNode n) {
        return node(n, null);
    }

    private static ObjectNode node(KqlNode n, String nestedPath) {
        if (n instanceof KqlNode.Or or) return should(or.clauses().stream().map(c -> node(c, nestedPath)).toList());
        if (n instanceof KqlNode.And and) return filter(and.clauses().stream().map(c -> node(c, nestedPath)).toList());
        if (n instanceof KqlNode.Not not) return mustNot(node(not.clause(), nestedPath));
        if (n instanceof KqlNode.FieldMatch m) return values(full(m.field(), nestedPath), m.values());
        if (n instanceof KqlNode.Nested nested) {
            String path = full(nested.path(), nestedPath);
            ObjectNode q = JSON.objectNode();
            q.putObject("nested").put("path", path).<ObjectNode>set("query", node(nested.query(), path)).put("score_mode", "none");
            return q;
        }
        KqlNode.Range r = (KqlNode.Range) n;
        ObjectNode range = JSON.objectNode();
        ObjectNode bounds = range.putObject("range").putObject(full(r.field(), nestedPath));
        putValue(bounds, operator(r.operator()), r.value().json());
        return should(List.of(range));
    }

    private static String full(String field, String nestedPath) {
        return nestedPath == null ? field : nestedPath + "." + field;
    }

    private static String operator(String op) {
        switch (op) {
            case "<": return "lt";
            case "<=": return "lte";
            case ">": return "gt";
            default: return "gte";
        }
    }

    private static ObjectNode values(String field, KqlNode.ValueExpr v) {
        if (v instanceof KqlNode.ValueOr or) return should(or.values().stream().map(e -> values(field, e)).toList());
        if (v instanceof KqlNode.ValueAnd and) return filter(and.values().stream().map(e -> values(field, e)).toList());
        if (v instanceof KqlNode.ValueNot not) return mustNot(values(field, not.value()));
        KqlNode.Literal l = (KqlNode.Literal) v;
        ObjectNode q = JSON.objectNode();
        if (l.isMatchAll()) {
            if (field.equals("*")) {
                q.putObject("match_all");
                return q;
            }
            q.putObject("exists").put("field", field);
        } else if (l.hasWildcard()) {
            ObjectNode qs = q.putObject("query_string");
            qs.putArray("fields").add(field);
            qs.put("query", toQueryStringQuery(l.parts()));
        } else {
            putValue(q.putObject(l.quoted() ? "match_phrase" : "match"), field, l.json());
        }
        return should(List.of(q));
    }

    /** Kibana's wildcard {@code toQueryStringQuery}: each literal part escaped, joined by {@code *}. */
    static String toQueryStringQuery(List<String> parts) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) b.append('*');
            String p = parts.get(i);
            for (int j = 0; j < p.length(); j++) {
                char c = p.charAt(j);
                if ("+-=&|><!(){}[]^\"~*?:\\/".indexOf(c) >= 0) b.append('\\');
                b.append(c);
            }
        }
        return b.toString();
    }

    private static void putValue(ObjectNode o, String key, Object value) {
        if (value == null) o.putNull(key);
        else if (value instanceof Boolean bool) o.put(key, bool);
        else o.put(key, value.toString());
    }

    private static ObjectNode should(List<ObjectNode> clauses) {
        ObjectNode q = JSON.objectNode();
        ObjectNode bool = q.putObject("bool");
        ArrayNode should = bool.putArray("should");
        clauses.forEach(should::add);
        bool.put("minimum_should_match", 1);
        return q;
    }

    private static ObjectNode filter(List<ObjectNode> clauses) {
        ObjectNode q = JSON.objectNode();
        ArrayNode filter = q.putObject("bool").putArray("filter");
        clauses.forEach(filter::add);
        return q;
    }

    private static ObjectNode mustNot(JsonNode clause) {
        ObjectNode q = JSON.objectNode();
        q.putObject("bool").set("must_not", clause);
        return q;
    }
}

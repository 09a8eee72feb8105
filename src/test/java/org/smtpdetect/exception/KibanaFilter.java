package org.smtpdetect.exception;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The Elasticsearch clauses Kibana builds for an exception item, written after its
 * {@code build_exception_filter.ts} (elastic-semantics.md section 6) from the item's raw JSON: the reference the
 * differential test searches with. Independent of the code under test.
 */
final class KibanaFilter {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private KibanaFilter() {}

    /** {@code buildExceptionItemFilter}: the item's clauses, OR-ed with the other items' in one {@code should}. */
    static ArrayNode itemClauses(JsonNode item, Path lists) {
        ArrayNode entries = (ArrayNode) item.get("entries");
        ArrayNode out = F.arrayNode();
        JsonNode osTypes = item.get("os_types");
        if (osTypes != null && osTypes.size() > 0) {
            for (String field : List.of("host.os.type", "host.os.name.caseless")) {
                for (JsonNode os : osTypes) {
                    ArrayNode filter = F.arrayNode();
                    filter.add(inner(F.objectNode().put("field", field).put("operator", "included").put("type", "match")
                            .put("value", os.asText()), null, lists));
                    for (JsonNode e : entries) filter.add(inner(e, null, lists));
                    out.add(bool("filter", filter));
                }
            }
        } else if (entries.size() == 1) {
            out.add(inner(entries.get(0), null, lists));
        } else {
            ArrayNode filter = F.arrayNode();
            for (JsonNode e : entries) filter.add(inner(e, null, lists));
            out.add(bool("filter", filter));
        }
        return out;
    }

    /** {@code createInnerAndClauses}. */
    private static JsonNode inner(JsonNode entry, String parent, Path lists) {
        String field = parent == null ? entry.get("field").asText() : parent + "." + entry.get("field").asText();
        boolean excluded = "excluded".equals(entry.path("operator").asText());
        switch (entry.get("type").asText()) {
            case "exists":
                return exclusion(excluded, shouldOne(F.objectNode().set("exists", F.objectNode().put("field", field))));
            case "match":
                return exclusion(excluded, shouldOne(matchPhrase(field, entry.get("value").asText())));
            case "match_any": {
                JsonNode values = entry.get("value");
                if (values.size() == 1) return exclusion(excluded, shouldOne(matchPhrase(field, values.get(0).asText())));
                ArrayNode should = F.arrayNode();
                for (JsonNode v : values) should.add(shouldOne(matchPhrase(field, v.asText())));
                ObjectNode b = F.objectNode().put("minimum_should_match", 1);
                b.set("should", should);
                return exclusion(excluded, F.objectNode().set("bool", b));
            }
            case "wildcard":
                return exclusion(excluded, bool("filter", F.objectNode().set("wildcard", F.objectNode().put(field, entry.get("value").asText()))));
            case "list":
                return list(entry, field, excluded, lists);
            case "nested": {
                JsonNode inner = entry.get("entries");
                JsonNode query;
                if (inner.size() == 1) {
                    query = inner(inner.get(0), field, lists);
                } else {
                    ArrayNode filter = F.arrayNode();
                    for (JsonNode e : inner) filter.add(inner(e, field, lists));
                    query = bool("filter", filter);
                }
                ObjectNode nested = F.objectNode().put("path", field);
                nested.set("query", query);
                nested.put("score_mode", "none");
                return F.objectNode().set("nested", nested);
            }
            default:
                throw new IllegalArgumentException(entry.toString());
        }
    }

    /** {@code buildListClause}, with the values as Kibana's list import stores them. */
    private static JsonNode list(JsonNode entry, String field, boolean excluded, Path lists) {
        JsonNode list = entry.get("list");
        List<String> values = importedValues(lists.resolve(list.get("id").asText() + ".txt"));
        if (list.get("type").asText().equals("ip_range")) {
            ArrayNode clauses = F.arrayNode();
            List<String> cidrs = new ArrayList<>();
            for (String v : values) {
                if (v.contains("-")) {
                    String[] parts = v.split("-", -1);
                    ObjectNode range = F.objectNode();
                    range.set(field, F.objectNode().put("gte", parts[0]).put("lte", parts[1]));
                    clauses.add(F.objectNode().set("range", range));
                } else {
                    cidrs.add(v);
                }
            }
            if (!cidrs.isEmpty()) clauses.add(terms(field, cidrs));
            ObjectNode b = F.objectNode();
            b.set(excluded ? "must_not" : "should", clauses);
            b.put("minimum_should_match", 1);
            return F.objectNode().set("bool", b);
        }
        return bool(excluded ? "must_not" : "filter", terms(field, values));
    }

    /** Kibana's import: blank lines skipped, values trimmed, duplicates dropped. */
    private static List<String> importedValues(Path file) {
        try {
            Set<String> values = new LinkedHashSet<>();
            for (String line : Files.readAllLines(file)) {
                if (!line.trim().isEmpty()) values.add(line.trim());
            }
            return new ArrayList<>(values);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode terms(String field, List<String> values) {
        ArrayNode a = F.arrayNode();
        values.forEach(a::add);
        ObjectNode t = F.objectNode();
        t.set(field, a);
        return F.objectNode().set("terms", t);
    }

    private static JsonNode matchPhrase(String field, String value) {
        return F.objectNode().set("match_phrase", F.objectNode().put(field, value));
    }

    private static JsonNode shouldOne(JsonNode clause) {
        ObjectNode b = F.objectNode().put("minimum_should_match", 1);
        b.set("should", F.arrayNode().add(clause));
        return F.objectNode().set("bool", b);
    }

    private static JsonNode bool(String occur, JsonNode clauses) {
        ObjectNode b = F.objectNode();
        b.set(occur, clauses);
        return F.objectNode().set("bool", b);
    }

    /** {@code buildExclusionClause}. */
    private static JsonNode exclusion(boolean excluded, JsonNode clause) {
        return excluded ? bool("must_not", clause) : clause;
    }
}

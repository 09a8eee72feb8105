package org.smtpdetect.exception;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import org.smtpdetect.rule.JsonFields;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads exception lists from the formats users already have:
 * <ul>
 *   <li>Kibana's export ({@code POST /api/exception_lists/_export}, {@code .ndjson}): list objects, one line per
 *       item, and a summary line, which is skipped; several lists per file;</li>
 *   <li>elastic/detection-rules' exceptions TOML ({@code .toml}): {@code [metadata]}, {@code [[exceptions]]} with
 *       {@code [exceptions.container]} and {@code [[exceptions.items]]}, entries in
 *       {@code [[exceptions.items.entries]]} (a list reference as {@code list_vals = {id, type}}).</li>
 * </ul>
 * Structure only: field types and values are checked when the lists are compiled ({@link ExceptionSet}).
 */
final class ExceptionFiles {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LIST_TYPES = Set.of("detection", "rule_default", "endpoint");
    private static final Set<String> OS_TYPES = Set.of("linux", "macos", "windows");
    /** Kibana's value-list types; only the first three are inlined into the query. */
    private static final Set<String> VALUE_LIST_TYPES = Set.of("keyword", "ip", "ip_range", "binary", "boolean",
            "byte", "date", "date_nanos", "date_range", "double", "double_range", "float", "float_range", "geo_point",
            "geo_shape", "half_float", "integer", "integer_range", "long", "long_range", "shape", "short", "text");
    static final Set<String> INLINED_VALUE_LIST_TYPES = Set.of("keyword", "ip", "ip_range");

    private ExceptionFiles() {}

    /** The lists in one file; the format follows the extension ({@code .ndjson}/{@code .json} or {@code .toml}). */
    static List<ExceptionList> parse(String name, String text) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".toml")) return toml(name, text);
        if (lower.endsWith(".ndjson") || lower.endsWith(".json")) return ndjson(name, text);
        throw new ExceptionFormatException(name + ": unknown exceptions format; use .ndjson (Kibana's exception list export) "
                + "or .toml (detection-rules exceptions)");
    }

    private static List<ExceptionList> ndjson(String name, String text) {
        String[] lines = text.split("\r\n|\n|\r", -1);
        List<JsonNode> lists = new ArrayList<>();
        List<String> listAt = new ArrayList<>();
        List<JsonNode> items = new ArrayList<>();
        List<String> itemAt = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.isBlank()) continue;
            String at = name + ":" + (i + 1);
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new ExceptionFormatException(at + ": not valid JSON: " + e.getOriginalMessage());
            }
            if (node == null || !node.isObject()) throw new ExceptionFormatException(at + ": expected a JSON object (a list, an item or the export summary)");
            if (node.has("exported_exception_list_count") || node.has("exported_exception_list_item_count")) continue;
            if (node.has("entries") || node.has("item_id")) {
                items.add(node);
                itemAt.add(at);
            } else {
                lists.add(node);
                listAt.add(at);
            }
        }
        Map<String, ListBuilder> byKey = new LinkedHashMap<>();
        for (int i = 0; i < lists.size(); i++) {
            ListBuilder b = list(new Node(lists.get(i), listAt.get(i), ""));
            if (byKey.putIfAbsent(b.key(), b) != null) {
                throw new ExceptionFormatException(listAt.get(i) + ": list '" + b.listId + "' is defined twice in " + name);
            }
        }
        for (int i = 0; i < items.size(); i++) {
            Node n = new Node(items.get(i), itemAt.get(i), "");
            ExceptionItem item = item(n, null, null);
            ListBuilder b = byKey.get(item.listId() + "\u0000" + item.namespaceType());
            if (b == null) {
                throw n.error("list_id", "names list '" + item.listId() + "' (namespace " + item.namespaceType()
                        + "), which this file does not define: export the list with its items");
            }
            b.add(item);
        }
        List<ExceptionList> out = new ArrayList<>();
        for (ListBuilder b : byKey.values()) out.add(b.build());
        return out;
    }

    private static List<ExceptionList> toml(String name, String text) {
        JsonNode root;
        try {
            root = new TomlMapper().readTree(text);
        } catch (JsonProcessingException e) {
            throw new ExceptionFormatException(name + ": not valid TOML: " + e.getOriginalMessage());
        }
        TomlLines lines = new TomlLines(text);
        JsonNode exceptions = root.get("exceptions");
        if (exceptions == null || !exceptions.isArray() || exceptions.isEmpty()) {
            throw new ExceptionFormatException(name + ": no [[exceptions]] table (detection-rules exceptions format)");
        }
        List<ExceptionList> out = new ArrayList<>();
        for (int j = 0; j < exceptions.size(); j++) {
            String prefix = "exceptions[" + j + "].";
            Node exception = new Node(exceptions.get(j), name + ":" + lines.exception(j), prefix);
            JsonNode container = exceptions.get(j).get("container");
            if (container == null || !container.isObject()) throw exception.error("container", "is required ([exceptions.container])");
            ListBuilder b = list(new Node(container, name + ":" + lines.exception(j), prefix + "container."));
            JsonNode items = exceptions.get(j).get("items");
            if (items != null && !items.isNull()) {
                if (!items.isArray()) throw exception.error("items", "must be an array of tables ([[exceptions.items]])");
                for (int k = 0; k < items.size(); k++) {
                    Node n = new Node(items.get(k), name + ":" + lines.item(j, k), prefix + "items[" + k + "].");
                    ExceptionItem item = item(n, b, lines.entryLines(j, k, name));
                    if (!item.listId().equals(b.listId)) {
                        throw n.error("list_id", "is '" + item.listId() + "' but the container's list_id is '" + b.listId + "'");
                    }
                    b.add(item);
                }
            }
            out.add(b.build());
        }
        return out;
    }

    /** A list under construction: its identity and the items attached so far. */
    private static final class ListBuilder {
        final String listId;
        final String namespaceType;
        final String id;
        final String name;
        final String type;
        final String at;
        final Map<String, ExceptionItem> items = new LinkedHashMap<>();

        ListBuilder(String listId, String namespaceType, String id, String name, String type, String at) {
            this.listId = listId;
            this.namespaceType = namespaceType;
            this.id = id;
            this.name = name;
            this.type = type;
            this.at = at;
        }

        String key() {
            return listId + "\u0000" + namespaceType;
        }

        void add(ExceptionItem item) {
            ExceptionItem previous = items.putIfAbsent(item.itemId(), item);
            if (previous != null) {
                throw new ExceptionFormatException(item.at() + ": item_id '" + item.itemId() + "' appears twice in list '"
                        + listId + "' (also at " + previous.at() + ")");
            }
        }

        ExceptionList build() {
            return new ExceptionList(listId, namespaceType, id, name, type, at, List.copyOf(items.values()));
        }
    }

    private static ListBuilder list(Node n) {
        String listId = n.text("list_id", null);
        String type = n.text("type", "detection");
        if (!LIST_TYPES.contains(type)) {
            throw n.error("type", "is '" + type + "': only detection, rule_default and endpoint lists hold rule exceptions"
                    + " (the other types are Elastic Defend artifacts)");
        }
        return new ListBuilder(listId, namespace(n), n.text("id", ""), n.text("name", listId), type, n.at());
    }

    /**
     * An item. {@code container} is the TOML container whose list_id an item may omit; {@code entryLines} the
     * lines of its {@code [[exceptions.items.entries]]} headers (TOML) or null (NDJSON: the item's line).
     */
    private static ExceptionItem item(Node n, ListBuilder container, List<String> entryLines) {
        String itemId = n.text("item_id", "");
        if (itemId.isEmpty()) itemId = n.text("id", "");
        if (itemId.isEmpty()) throw n.error("item_id", "is required");
        String listId = container == null ? n.text("list_id", null) : n.text("list_id", container.listId);
        String type = n.text("type", "simple");
        if (!type.equals("simple")) throw n.error("type", "must be \"simple\" (an exception item), found " + type);
        String name = n.text("name", null);
        Instant expire = null;
        String expireText = n.text("expire_time", "");
        if (!expireText.isEmpty()) {
            try {
                expire = OffsetDateTime.parse(expireText).toInstant();
            } catch (DateTimeParseException e) {
                throw n.error("expire_time", "must be an ISO 8601 date-time such as 2025-01-31T00:00:00.000Z, found " + expireText);
            }
        }
        List<String> osTypes = n.strings("os_types");
        for (String os : osTypes) {
            if (!OS_TYPES.contains(os)) throw n.error("os_types", "holds '" + os + "'; Kibana knows linux, macos and windows");
        }
        JsonNode entries = n.node().get("entries");
        if (entries == null || !entries.isArray() || entries.isEmpty()) throw n.error("entries", "must be a non-empty array");
        String label = "item '" + itemId + "' ";
        List<Entry> out = new ArrayList<>();
        for (int i = 0; i < entries.size(); i++) {
            String at = entryLines != null && i < entryLines.size() ? entryLines.get(i) : n.at();
            out.add(entry(new Node(entries.get(i), at, n.prefix() + "entries[" + i + "]."), label, n.prefix().length(), false));
        }
        return new ExceptionItem(listId, container == null ? namespace(n) : n.text("namespace_type", container.namespaceType),
                itemId, n.text("id", ""), name, expire, List.copyOf(osTypes), List.copyOf(out), n.at() + ": " + label.strip());
    }

    private static Entry entry(Node n, String label, int itemPrefixLength, boolean inNested) {
        String type = n.text("type", null);
        String field = n.text("field", null);
        if (field.isBlank()) throw n.error("field", "is empty");
        String at = n.at() + ": " + label + n.prefix().substring(itemPrefixLength, n.prefix().length() - 1);
        if (type.equals("nested")) {
            if (inNested) throw n.error("type", "nested entries cannot hold nested entries");
            JsonNode inner = n.node().get("entries");
            if (inner == null || !inner.isArray() || inner.isEmpty()) throw n.error("entries", "must be a non-empty array of match, match_any or exists entries");
            List<Entry> entries = new ArrayList<>();
            for (int i = 0; i < inner.size(); i++) {
                entries.add(entry(new Node(inner.get(i), n.at(), n.prefix() + "entries[" + i + "]."), label, itemPrefixLength, true));
            }
            return new Entry.Nested(field, List.copyOf(entries), at);
        }
        Entry.Operator operator = Entry.Operator.of(n.text("operator", null));
        if (operator == null) throw n.error("operator", "must be included or excluded, found " + n.text("operator", null));
        if (inNested && !type.equals("match") && !type.equals("match_any") && !type.equals("exists")) {
            throw n.error("type", "is '" + type + "'; inside a nested entry Kibana allows only match, match_any and exists");
        }
        switch (type) {
            case "match":
                return new Entry.Match(field, operator, n.nonEmpty("value"), at);
            case "wildcard":
                return new Entry.Wildcard(field, operator, n.nonEmpty("value"), at);
            case "match_any": {
                List<String> values = n.strings("value");
                if (values.isEmpty()) throw n.error("value", "must be a non-empty array of strings");
                for (String v : values) {
                    if (v.isEmpty()) throw n.error("value", "holds an empty string");
                }
                return new Entry.MatchAny(field, operator, List.copyOf(values), at);
            }
            case "exists":
                return new Entry.Exists(field, operator, at);
            case "list": {
                JsonNode list = n.node().has("list") ? n.node().get("list") : n.node().get("list_vals");
                String key = n.node().has("list") ? "list" : "list_vals";
                if (list == null || !list.isObject()) throw n.error("list", "is required: {id, type} of the value list");
                Node l = new Node(list, n.at(), n.prefix() + key + ".");
                String id = l.text("id", null);
                if (id.isEmpty() || id.startsWith(".") || id.contains("/") || id.contains("\\")) {
                    throw l.error("id", "'" + id + "' cannot name a value-list file");
                }
                String listType = l.text("type", null);
                if (!VALUE_LIST_TYPES.contains(listType)) throw l.error("type", "'" + listType + "' is not a Kibana value-list type");
                if (!INLINED_VALUE_LIST_TYPES.contains(listType)) {
                    throw l.error("type", "is '" + listType + "': Kibana inlines only keyword, ip and ip_range value lists into the"
                            + " query; others it applies after the search with different semantics, which the job does not reproduce");
                }
                return new Entry.InList(field, operator, id, listType, at);
            }
            default:
                throw n.error("type", "unknown entry type '" + type + "'; Kibana knows match, match_any, wildcard, exists, list and nested");
        }
    }

    private static String namespace(Node n) {
        String ns = n.text("namespace_type", "single");
        if (!ns.equals("single") && !ns.equals("agnostic")) throw n.error("namespace_type", "must be single or agnostic, found " + ns);
        return ns;
    }

    /** Typed access to one JSON/TOML object, with errors naming the location and the field. */
    private static final class Node extends JsonFields {
        Node(JsonNode node, String at, String prefix) {
            super(object(node, at, prefix), at, prefix);
        }

        private static JsonNode object(JsonNode node, String at, String prefix) {
            if (node == null || !node.isObject()) {
                throw new ExceptionFormatException(at + ": " + (prefix.isEmpty() ? "expected an object" : prefix.substring(0, prefix.length() - 1) + " must be an object"));
            }
            return node;
        }

        @Override
        protected ExceptionFormatException newError(String message) {
            return new ExceptionFormatException(message);
        }

        @Override
        public ExceptionFormatException error(String field, String problem) {
            return (ExceptionFormatException) super.error(field, problem);
        }

        String nonEmpty(String field) {
            String v = text(field, null);
            if (v.isEmpty()) throw error(field, "is empty");
            return v;
        }

        List<String> strings(String field) {
            return strings(field, false);
        }
    }

    /**
     * Line numbers of the TOML array-of-tables headers, so messages can name a line: the Jackson TOML reader keeps
     * none. Items or entries written inline fall back to the enclosing header's line.
     */
    private static final class TomlLines {
        private static final Pattern EXCEPTION = Pattern.compile("\\s*\\[\\[\\s*exceptions\\s*]].*");
        private static final Pattern ITEM = Pattern.compile("\\s*\\[\\[\\s*exceptions\\.items\\s*]].*");
        private static final Pattern ENTRY = Pattern.compile("\\s*\\[\\[\\s*exceptions\\.items\\.entries\\s*]].*");

        private final List<Integer> exceptions = new ArrayList<>();
        private final List<List<Integer>> items = new ArrayList<>();
        private final List<List<List<Integer>>> entries = new ArrayList<>();

        TomlLines(String text) {
            String[] lines = text.split("\r\n|\n|\r", -1);
            for (int i = 0; i < lines.length; i++) {
                if (EXCEPTION.matcher(lines[i]).matches()) {
                    exceptions.add(i + 1);
                    items.add(new ArrayList<>());
                    entries.add(new ArrayList<>());
                } else if (ITEM.matcher(lines[i]).matches() && !exceptions.isEmpty()) {
                    items.get(items.size() - 1).add(i + 1);
                    entries.get(entries.size() - 1).add(new ArrayList<>());
                } else if (ENTRY.matcher(lines[i]).matches() && !exceptions.isEmpty() && !items.get(items.size() - 1).isEmpty()) {
                    List<List<Integer>> perItem = entries.get(entries.size() - 1);
                    perItem.get(perItem.size() - 1).add(i + 1);
                }
            }
        }

        int exception(int j) {
            return j < exceptions.size() ? exceptions.get(j) : 1;
        }

        int item(int j, int k) {
            return j < items.size() && k < items.get(j).size() ? items.get(j).get(k) : exception(j);
        }

        List<String> entryLines(int j, int k, String name) {
            List<String> out = new ArrayList<>();
            if (j < entries.size() && k < entries.get(j).size()) {
                for (int line : entries.get(j).get(k)) out.add(name + ":" + line);
            }
            return out;
        }
    }
}

package org.smtpdetect.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prepares a matching event's source for the alert index, as Kibana's {@code traverseAndMutateDoc} does
 * (security_solution {@code rule_types/factories/utils/traverse_and_mutate_doc.ts}): removes the top-level
 * {@code kibana}, {@code signal} and {@code threshold_result} fields; removes every value that does not fit its
 * field in the alert index (a long, float, ip, date or boolean Elasticsearch cannot parse, an object where a value
 * belongs or the reverse, a dotted key through a value field, a non-object in a nested field), checking array items
 * one by one and leaving {@code geo_point} and unmapped fields alone; and collects {@code event.*} and
 * {@code data_stream.*} for {@code kibana.alert.original_event.*} / {@code original_data_stream.*}.
 *
 * <p>Where Kibana's own checks are looser than Elasticsearch, values are judged as Elasticsearch parses them
 * ({@link MappedValues}), and the fields checked are the alert index's whole map, not only ECS. Beyond Kibana, it
 * also removes what would make Elasticsearch reject the whole alert: field names Elasticsearch refuses (empty,
 * blank or dot-only segments), metadata field names at the top level, a dotted key crossing a nested field
 * (rejected by 7.17), keyword values over Lucene's 32,766-byte term limit, and the job's own {@code detection}
 * block. What it removes is returned; Kibana only logs it at debug level.
 */
public final class AlertSource {
    /** Top-level fields Kibana removes (its bannedFields), plus this job's own block. */
    private static final Set<String> BANNED = Set.of("kibana", "signal", "threshold_result", "detection");
    /** Metadata fields Elasticsearch 7.17 to 9.x refuse inside a document ("is a metadata field"). */
    private static final Set<String> METADATA = Set.of("_id", "_index", "_source", "_routing", "_ignored", "_version",
            "_seq_no", "_field_names", "_tier", "_type", "_data_stream_timestamp", "_nested_path", "_ignored_source",
            "_doc_count", "_primary_term", "_feature");
    /** Lucene's limit on one indexed term, in UTF-8 bytes. */
    static final int MAX_TERM_BYTES = 32766;

    /** A removed value and where it was (dotted path from the top, arrays not counted), as Kibana reports it. */
    public record Removed(String key, JsonNode value) {}

    /** What one traversal removed, and the {@code kibana.alert.original_*} fields it collected (dotted keys). */
    public record Result(List<Removed> removed, Map<String, JsonNode> fieldsToAdd) {
        /** The removed paths, each once, in order. */
        public List<String> removedPaths() {
            List<String> out = new ArrayList<>();
            for (Removed r : removed) if (!out.contains(r.key())) out.add(r.key());
            return out;
        }
    }

    private static final Map<String, String> COPIED = Map.of(
            "event", "kibana.alert.original_event", "data_stream", "kibana.alert.original_data_stream");

    private final AlertFieldMap map;

    public AlertSource(AlertFieldMap map) {
        this.map = map;
    }

    /** Kibana's traverseAndMutateDoc: mutates {@code document} and adds the collected fields to it. */
    public Result traverseAndMutateDoc(ObjectNode document) {
        Result r = traverse(document);
        r.fieldsToAdd().forEach(document::set);
        return r;
    }

    /** Mutates {@code document} in place; the collected {@code original_*} fields are returned, not added. */
    public Result traverse(ObjectNode document) {
        Result r = new Result(new ArrayList<>(), new LinkedHashMap<>());
        traverseObject(document, "", true, r);
        return r;
    }

    private void traverseObject(ObjectNode document, String path, boolean topLevel, Result r) {
        for (Iterator<Map.Entry<String, JsonNode>> it = document.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            JsonNode value = e.getValue();
            String fullPath = path.isEmpty() ? key : path + "." + key;
            int keyStart = fullPath.length() - key.length();
            if (rejectedName(key) || (topLevel && (BANNED.contains(firstSegment(key)) || METADATA.contains(key)))
                    || crossesNested(fullPath, keyStart)) {
                it.remove();
                r.removed().add(new Removed(fullPath, value));
                continue;
            }
            boolean deleted = false;
            if (value.isArray()) {
                traverseArray((ArrayNode) value, fullPath, keyStart, r);
                if (value.isEmpty()) {
                    it.remove();
                    deleted = true;
                }
            } else if (!compliant(value, fullPath, keyStart)) {
                it.remove();
                r.removed().add(new Removed(fullPath, value));
                deleted = true;
            } else if (value.isObject()) {
                traverseObject((ObjectNode) value, fullPath, false, r);
                if (value.isEmpty()) {
                    it.remove();
                    deleted = true;
                }
            }
            if (!deleted && topLevel) {
                String root = firstSegment(fullPath);
                String copyRoot = COPIED.get(root);
                if (copyRoot != null) {
                    String newKey = copyRoot + fullPath.substring(root.length());
                    if (value.isObject()) flattenWithPrefix(newKey, value, r.fieldsToAdd());
                    else r.fieldsToAdd().put(newKey, value);
                }
            }
        }
    }

    /** Filters an array in place: nested arrays first, then each item as its own value of {@code path}. */
    private void traverseArray(ArrayNode array, String path, int keyStart, Result r) {
        for (JsonNode item : array) {
            if (item.isArray()) traverseArray((ArrayNode) item, path, keyStart, r);
        }
        List<JsonNode> kept = new ArrayList<>(array.size());
        for (JsonNode v : array) {
            if (v.isArray()) {
                if (!v.isEmpty()) kept.add(v);
            } else if (!compliant(v, path, keyStart)) {
                r.removed().add(new Removed(path, v));
            } else if (v.isObject()) {
                traverseObject((ObjectNode) v, path, false, r);
                if (!v.isEmpty()) kept.add(v);
            } else {
                kept.add(v);
            }
        }
        if (kept.size() != array.size()) {
            array.removeAll();
            array.addAll(kept);
        }
    }

    /**
     * Kibana's computeIsEcsCompliant, with values judged as Elasticsearch parses them. {@code keyStart} is where
     * the last key begins in {@code path}: the parents before it were checked on the way down (only an object or
     * an unmapped value is descended into), so Kibana's dotted-path check needs only the key's own dots.
     */
    private boolean compliant(JsonNode value, String path, int keyStart) {
        if (!validDottedKey(path, keyStart)) return false;
        AlertFieldMap.PathInfo info = map.info(path);
        if (info == null) return true;
        if (info.nested()) return value.isObject() || value.isNull();
        if (value.isNull()) return true;
        AlertFieldMap.Field f = info.field();
        if (f != null) {
            if (f.type().equals("geo_point")) return true;
            Boolean fits = MappedValues.fits(f.type(), value);
            if (fits != null) return fits;
        }
        if (info.takesObject()) return value.isObject();
        return !value.isObject() && !immenseTerm(f, value);
    }

    /** Kibana's validateDottedPathInEcsMappings over the key's own dots: each parent must be an object if it is mapped. */
    private boolean validDottedKey(String path, int keyStart) {
        for (int dot = path.indexOf('.', keyStart); dot > 0; dot = path.indexOf('.', dot + 1)) {
            AlertFieldMap.PathInfo parent = map.info(path.substring(0, dot));
            if (parent != null && !parent.takesObject()) return false;
        }
        return true;
    }

    /** A dotted key whose own dots cross a nested field ({@code "threat.enrichments.matched": ...}). */
    private boolean crossesNested(String fullPath, int keyStart) {
        for (int dot = fullPath.indexOf('.', keyStart); dot > 0; dot = fullPath.indexOf('.', dot + 1)) {
            AlertFieldMap.PathInfo parent = map.info(fullPath.substring(0, dot));
            if (parent != null && parent.nested()) return true;
        }
        return false;
    }

    /** A keyword value Elasticsearch would index (not over ignore_above) but Lucene refuses as too long. */
    private static boolean immenseTerm(AlertFieldMap.Field f, JsonNode value) {
        if (f == null || !f.type().equals("keyword") || !value.isTextual()) return false;
        String s = value.textValue();
        if (s.length() * 3L <= MAX_TERM_BYTES) return false;
        if (f.ignoreAbove() != null && s.length() > f.ignoreAbove()) return false;
        return utf8Length(s) > MAX_TERM_BYTES;
    }

    static int utf8Length(String s) {
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x80) n++;
            else if (c < 0x800) n += 2;
            else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                n += 4;
                i++;
            } else n += 3;
        }
        return n;
    }

    /**
     * A field name Elasticsearch refuses in a document (as 8.x and 9.x parse it, the strictest): empty, only
     * whitespace, only dots, or a dotted name with an empty or blank segment before its last dot.
     */
    static boolean rejectedName(String key) {
        int n = key.length();
        int end = n;
        while (end > 0 && key.charAt(end - 1) == '.') end--; // trailing dots are dropped, as Java's split drops them
        if (end == 0) return true;
        boolean text = false;
        for (int i = 0; i < end; i++) {
            char c = key.charAt(i);
            if (c == '.') {
                if (!text) return true;
                text = false;
            } else if (!Character.isWhitespace(c)) {
                text = true;
            }
        }
        return !text;
    }

    private static String firstSegment(String key) {
        int dot = key.indexOf('.');
        return dot < 0 ? key : key.substring(0, dot);
    }

    /** Kibana's flattenWithPrefix: an object's leaves (arrays kept whole) under dotted keys. */
    private static void flattenWithPrefix(String prefix, JsonNode value, Map<String, JsonNode> out) {
        if (value.isObject()) {
            value.fields().forEachRemaining(e -> flattenWithPrefix(prefix + "." + e.getKey(), e.getValue(), out));
        } else {
            out.put(prefix, value);
        }
    }
}

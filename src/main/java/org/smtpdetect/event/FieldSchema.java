package org.smtpdetect.event;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields an {@link EventParser} extracts, each with its type and a slot number, arranged as a path tree so
 * nested objects, dotted keys and any mix of both reach the same slot.
 */
public final class FieldSchema {
    /** One level of the path tree: a leaf field, an object holding more fields, or (rarely) both. */
    static final class Node {
        final String path;
        final Map<String, Node> children = new HashMap<>();
        int slot = -1;
        FieldType type;
        /** A key below a flattened field that the parser reached through a dotted key: its leaves are the field's. */
        boolean belowFlattened;

        Node(String path) {
            this.path = path;
        }

        boolean isLeaf() {
            return slot >= 0;
        }

        boolean isObject() {
            return !children.isEmpty();
        }
    }

    private final Node root = new Node("");
    private final List<String> fields = new ArrayList<>();
    private final List<FieldType> types = new ArrayList<>();

    private FieldSchema() {}

    /** Builds a schema for these fields (insertion order gives the slots). */
    public static FieldSchema of(Map<String, FieldType> fieldTypes) {
        FieldSchema s = new FieldSchema();
        fieldTypes.forEach(s::add);
        return s;
    }

    private void add(String field, FieldType type) {
        Node n = root;
        for (String part : field.split("\\.", -1)) {
            if (part.isEmpty()) throw new IllegalArgumentException("invalid field name: '" + field + "'");
            String path = n == root ? part : n.path + "." + part;
            n = n.children.computeIfAbsent(part, k -> new Node(path));
        }
        if (n.isLeaf()) return;
        n.slot = fields.size();
        n.type = type;
        fields.add(field);
        types.add(type);
    }

    Node root() {
        return root;
    }

    public int size() {
        return fields.size();
    }

    /** The slot of {@code field}, or -1 if this schema does not extract it. */
    public int slotOf(String field) {
        int i = fields.indexOf(field);
        return i;
    }

    public String fieldAt(int slot) {
        return fields.get(slot);
    }

    public FieldType typeAt(int slot) {
        return types.get(slot);
    }

    public List<String> fields() {
        return Collections.unmodifiableList(fields);
    }

    /** Merges field maps, failing if one field is given two types. */
    public static Map<String, FieldType> union(List<Map<String, FieldType>> maps) {
        Map<String, FieldType> out = new LinkedHashMap<>();
        for (Map<String, FieldType> m : maps) {
            m.forEach((f, t) -> {
                FieldType prev = out.putIfAbsent(f, t);
                if (prev != null && prev != t) throw new IllegalArgumentException("field " + f + " used as both " + prev + " and " + t);
            });
        }
        return out;
    }
}

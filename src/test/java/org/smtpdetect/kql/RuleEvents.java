package org.smtpdetect.kql;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.FieldTypes;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Events for a KQL query, built from its clauses: positives (an assignment of field values that should satisfy
 * the query: every {@code and} clause, one {@code or} branch, the opposite of a {@code not}) and near misses (a
 * positive with one field changed: another case, a character more, a number one off, an address outside the
 * block, the field removed, a malformed value). Values come in mixed shapes: arrays, numbers as strings, dotted
 * keys and nested objects. The verdict is not predicted here: a real node is the judge.
 */
public final class RuleEvents {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FieldTypes types;
    private final Random random;

    public RuleEvents(FieldTypes types, Random random) {
        this.types = types;
        this.random = random;
    }

    /** {@code positives} assignments satisfying the query and {@code misses} near misses, as JSON documents. */
    public List<String> events(String query, int positives, int misses) {
        KqlNode tree = KqlParser.parse(query);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < positives; i++) {
            Map<String, List<Object>> fields = new LinkedHashMap<>();
            satisfy(tree, "", true, fields);
            out.add(document(fields));
            for (int m = 0; m < misses / Math.max(1, positives); m++) out.add(document(nearMiss(fields)));
        }
        return out;
    }

    /** Adds values to {@code fields} so that {@code n} evaluates to {@code want}. */
    private void satisfy(KqlNode n, String prefix, boolean want, Map<String, List<Object>> fields) {
        if (n instanceof KqlNode.And and) {
            if (want) for (KqlNode c : and.clauses()) satisfy(c, prefix, true, fields);
            else satisfy(and.clauses().get(random.nextInt(and.clauses().size())), prefix, false, fields);
        } else if (n instanceof KqlNode.Or or) {
            if (want) satisfy(or.clauses().get(random.nextInt(or.clauses().size())), prefix, true, fields);
            else for (KqlNode c : or.clauses()) satisfy(c, prefix, false, fields);
        } else if (n instanceof KqlNode.Not not) {
            satisfy(not.clause(), prefix, !want, fields);
        } else if (n instanceof KqlNode.FieldMatch m) {
            if (m.fieldPattern()) return; // the pattern's fields are not named
            values(prefix + m.field(), m.values(), want, fields);
        } else if (n instanceof KqlNode.Range r) {
            if (r.fieldPattern()) return;
            range(prefix + r.field(), r, want, fields);
        } else if (n instanceof KqlNode.Nested nested) {
            satisfy(nested.query(), prefix + nested.path() + ".", want, fields);
        }
    }

    private void values(String field, KqlNode.ValueExpr v, boolean want, Map<String, List<Object>> fields) {
        if (v instanceof KqlNode.ValueAnd and) {
            if (want) for (KqlNode.ValueExpr e : and.values()) values(field, e, true, fields);
            else values(field, and.values().get(random.nextInt(and.values().size())), false, fields);
        } else if (v instanceof KqlNode.ValueOr or) {
            if (want) values(field, or.values().get(random.nextInt(or.values().size())), true, fields);
            // Not matching any of them: leave the field to other clauses, or give it an unrelated value.
            else if (random.nextBoolean()) add(fields, field, unrelated(field));
        } else if (v instanceof KqlNode.ValueNot not) {
            values(field, not.value(), !want, fields);
        } else {
            KqlNode.Literal l = (KqlNode.Literal) v;
            if (!want) {
                if (random.nextInt(3) > 0) add(fields, field, unrelated(field));
                return;
            }
            add(fields, field, l.isMatchAll() ? unrelated(field) : instance(field, l));
        }
    }

    private void range(String field, KqlNode.Range r, boolean want, Map<String, List<Object>> fields) {
        FieldType t = types.typeOf(field).orElse(FieldType.KEYWORD);
        String bound = r.value().text();
        boolean up = r.operator().startsWith(">") == want;
        if (t == FieldType.LONG || t == FieldType.DOUBLE) {
            double d;
            try {
                d = Double.parseDouble(bound);
            } catch (NumberFormatException e) {
                return;
            }
            double delta = random.nextInt(3) == 0 ? 0 : 1 + random.nextInt(50);
            double value = up ? d + delta : d - delta;
            add(fields, field, t == FieldType.LONG ? (Object) (long) Math.floor(value) : (Object) value);
        } else {
            add(fields, field, up ? bound + "z" : "");
        }
    }

    /** A value the literal matches on the field's type (wildcards filled in; text embedded in other words). */
    private Object instance(String field, KqlNode.Literal l) {
        FieldType t = types.typeOf(field).orElse(FieldType.KEYWORD);
        String s;
        if (l.hasWildcard()) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < l.parts().size(); i++) {
                if (i > 0) b.append(filler());
                b.append(l.parts().get(i));
            }
            s = b.toString();
        } else {
            s = l.text();
        }
        switch (t) {
            case TEXT:
                return random.nextBoolean() ? s : "prefix " + s + " suffix";
            case LONG:
                try {
                    long x = Long.parseLong(s);
                    return random.nextBoolean() ? (Object) x : (Object) String.valueOf(x);
                } catch (NumberFormatException e) {
                    return s;
                }
            case IP:
                return ipIn(s);
            case BOOLEAN:
                return random.nextBoolean() ? (Object) Boolean.valueOf(s) : (Object) s;
            default:
                return s;
        }
    }

    private String filler() {
        String[] fill = {"", "x", "abc", " ", "-", "A.b", "\\\\", "Ñ"};
        return fill[random.nextInt(fill.length)];
    }

    private static String ipIn(String cidr) {
        int slash = cidr.indexOf('/');
        return slash < 0 ? cidr : cidr.substring(0, slash);
    }

    private Object unrelated(String field) {
        FieldType t = types.typeOf(field).orElse(FieldType.KEYWORD);
        switch (t) {
            case LONG: return (long) random.nextInt(70000);
            case DOUBLE: return random.nextDouble() * 10;
            case IP: return "203.0.113." + random.nextInt(255);
            case BOOLEAN: return random.nextBoolean();
            case DATE: return "2024-05-01T10:0" + random.nextInt(10) + ":00Z";
            case TEXT: return "some unrelated words " + random.nextInt(100);
            default: return "unrelated-" + random.nextInt(100);
        }
    }

    /** The positive with one field changed. */
    private Map<String, List<Object>> nearMiss(Map<String, List<Object>> positive) {
        Map<String, List<Object>> copy = new LinkedHashMap<>();
        positive.forEach((k, v) -> copy.put(k, new ArrayList<>(v)));
        if (copy.isEmpty()) return copy;
        List<String> names = new ArrayList<>(copy.keySet());
        String field = names.get(random.nextInt(names.size()));
        List<Object> values = copy.get(field);
        int i = random.nextInt(values.size());
        Object v = values.get(i);
        switch (random.nextInt(6)) {
            case 0: copy.remove(field); break;
            case 1: values.set(i, v instanceof String s ? swapCase(s) : v); break;
            case 2: values.set(i, v instanceof String s ? s + "x" : v instanceof Long x ? x + 1 : v); break;
            case 3: values.set(i, v instanceof String s && s.length() > 1 ? s.substring(1) : unrelated(field)); break;
            case 4: values.set(i, malformed(field)); break;
            default: values.add(unrelated(field));
        }
        return copy;
    }

    private Object malformed(String field) {
        FieldType t = types.typeOf(field).orElse(FieldType.KEYWORD);
        switch (t) {
            case LONG: case DOUBLE: return "not-a-number";
            case IP: return "not-an-ip";
            case DATE: return "yesterday";
            case BOOLEAN: return "maybe";
            default: return "";
        }
    }

    private static String swapCase(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) b.append(Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c));
        return b.toString();
    }

    private static void add(Map<String, List<Object>> fields, String field, Object value) {
        fields.computeIfAbsent(field, k -> new ArrayList<>()).add(value);
    }

    /** The fields as one JSON document, each written nested or as a dotted key at a random depth. */
    String document(Map<String, List<Object>> fields) {
        ObjectNode root = JSON.createObjectNode();
        root.put("@timestamp", "2024-05-01T10:00:00Z");
        for (Map.Entry<String, List<Object>> e : fields.entrySet()) {
            List<Object> vs = e.getValue();
            Object value = vs.size() == 1 && random.nextInt(4) > 0 ? vs.get(0) : vs;
            place(root, e.getKey(), value);
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /** Puts the value at the path, nesting objects down to a random depth and writing the rest as a dotted key. */
    private void place(ObjectNode root, String path, Object value) {
        String[] parts = path.split("\\.");
        ObjectNode n = root;
        int depth = random.nextInt(parts.length);
        for (int i = 0; i < depth; i++) {
            if (n.get(parts[i]) instanceof ObjectNode child) {
                n = child;
            } else if (n.has(parts[i])) {
                depth = i; // a value is there already: write the rest as one dotted key
                break;
            } else {
                n = n.putObject(parts[i]);
            }
        }
        String key = String.join(".", java.util.Arrays.copyOfRange(parts, depth, parts.length));
        if (n.has(key)) return; // the same path through another shape: keep the first
        n.set(key, JSON.valueToTree(value));
    }
}

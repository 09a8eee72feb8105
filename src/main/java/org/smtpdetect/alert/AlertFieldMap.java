package org.smtpdetect.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The fields of Kibana's security alert index and their Elasticsearch mappings, composed as Kibana composes its
 * index template: the ECS part as Kibana's {@code ecsFieldMap} takes it from ECS (without {@code constant_keyword},
 * {@code nested} and {@code flattened} fields, their children and the experimental fields), then Kibana's own
 * security, legacy and framework field maps (a later one wins for a field it defines), then this job's
 * {@code detection.*} block. The same map types the alert index template and decides which values of a copied
 * event fit the index ({@link AlertSource}).
 */
public final class AlertFieldMap {
    /** The ECS release the bundled table comes from (see {@code ecs/PROVENANCE}). */
    public static final String ECS_VERSION = "9.2.0";
    static final String ECS_TABLE = "/ecs/ecs-" + ECS_VERSION + "-fields.tsv";
    /** Kibana's security, legacy and framework field maps composed (derived data, see the resource's description). */
    static final String KIBANA_FIELDS = "/kibana/security-alert-fields.json";

    /** As in Kibana's ecs_field_map.ts: types it leaves out of the ECS part, with every field below them. */
    private static final Set<String> EXCLUDED_ECS_TYPES = Set.of("constant_keyword", "nested", "flattened");
    /** Kibana's EXPERIMENTAL_FIELDS (ecs_field_map.ts 1c8ebf6d3d): ECS RFC stage-2 fields it does not map. */
    private static final Set<String> EXPERIMENTAL_ECS_FIELDS = Set.of("faas.trigger", "faas.trigger.request_id",
            "faas.trigger.type", "host.cpu.system.norm.pct", "host.cpu.user.norm.pct", "host.fsstats.total_size.total",
            "host.fsstats.total_size.used", "host.fsstats.total_size.used.pct", "host.load.norm.1", "host.load.norm.5",
            "host.load.norm.15", "host.memory.actual.used.bytes", "host.memory.actual.used.pct", "host.memory.total",
            "process.io.bytes");
    /** Types whose value may be a JSON object (Kibana's getIsEcsFieldObject, plus nested). */
    private static final Set<String> OBJECT_TYPES = Set.of("object", "flattened", "geo_point", "nested");

    /** One mapped field: its type and the mapping parameters Kibana's {@code mappingFromFieldMap} writes. */
    public record Field(String name, String type, Integer ignoreAbove, Double scalingFactor,
                        Map<String, String> multiFields, Boolean index, String format) {
        /** The Elasticsearch mapping of this field. */
        ObjectNode mapping() {
            ObjectNode m = JsonNodeFactory.instance.objectNode();
            m.put("type", type);
            if (ignoreAbove != null) m.put("ignore_above", ignoreAbove);
            if (scalingFactor != null) m.put("scaling_factor", scalingFactor);
            if (index != null) m.put("index", index);
            if (format != null) m.put("format", format);
            if (!multiFields.isEmpty()) {
                ObjectNode fields = m.putObject("fields");
                multiFields.forEach((name, t) -> fields.putObject(name).put("type", t));
            }
            return m;
        }
    }

    /** This job's own block (written by {@link AlertDocuments}): how it produced the alert. */
    static final List<Field> DETECTION_FIELDS = List.of(
            leaf("detection.late", "boolean"), leaf("detection.execution_time", "date"),
            leaf("detection.source.origin", "keyword"), leaf("detection.source.position", "keyword"),
            leaf("detection.ignored_fields", "keyword"), leaf("detection.stripped_fields", "keyword"));

    private static volatile AlertFieldMap alertIndex;

    /** What the map knows about one path, found with one lookup: its field, if mapped, and whether fields lie below it. */
    record PathInfo(Field field, boolean parent, boolean nested) {
        /** Kibana's getIsEcsFieldObject, with nested: a JSON object belongs here. */
        boolean takesObject() {
            return parent || (field != null && OBJECT_TYPES.contains(field.type()));
        }
    }

    private final Map<String, Field> fields;
    private final Set<String> parents;
    private final Map<String, PathInfo> paths;

    private AlertFieldMap(Map<String, Field> fields, Set<String> extraNested) {
        this.fields = Collections.unmodifiableMap(fields);
        Set<String> p = new HashSet<>();
        Set<String> n = new HashSet<>(extraNested);
        for (Field f : fields.values()) {
            for (int dot = f.name().indexOf('.'); dot > 0; dot = f.name().indexOf('.', dot + 1)) {
                p.add(f.name().substring(0, dot));
            }
            if (f.type().equals("nested")) n.add(f.name());
        }
        this.parents = Collections.unmodifiableSet(p);
        Map<String, PathInfo> info = new java.util.HashMap<>();
        Set<String> all = new HashSet<>(fields.keySet());
        all.addAll(p);
        all.addAll(n);
        for (String path : all) info.put(path, new PathInfo(fields.get(path), p.contains(path), n.contains(path)));
        this.paths = info;
    }

    /** What the map knows about {@code path}, or null when nothing (an unmapped path). */
    PathInfo info(String path) {
        return paths.get(path);
    }

    /** The alert index's fields: ECS as Kibana takes it, Kibana's security alert fields, and {@code detection.*}. */
    public static AlertFieldMap alertIndex() {
        AlertFieldMap m = alertIndex;
        if (m == null) {
            Map<String, Field> ecsAll = readEcs(resource(ECS_TABLE), ECS_TABLE);
            Map<String, Field> composed = kibanaEcsPart(ecsAll);
            composed.putAll(readKibanaFields(resource(KIBANA_FIELDS), KIBANA_FIELDS));
            for (Field f : DETECTION_FIELDS) composed.put(f.name(), f);
            Set<String> ecsNested = new HashSet<>();
            ecsAll.values().forEach(f -> {
                if (f.type().equals("nested")) ecsNested.add(f.name());
            });
            m = alertIndex = new AlertFieldMap(composed, ecsNested);
        }
        return m;
    }

    /** All fields, in composition order. */
    public Map<String, Field> fields() {
        return fields;
    }

    /** The field mapped at {@code path}, or null (an object path or an unmapped one). */
    public Field field(String path) {
        return fields.get(path);
    }

    /**
     * The index mappings, as Kibana's {@code mappingFromFieldMap} builds them with {@code dynamic: false}:
     * fields nested under {@code properties} by their dotted names, {@code @timestamp} alone strict about
     * malformed values.
     */
    public ObjectNode mappings() {
        ObjectNode mappings = JsonNodeFactory.instance.objectNode();
        mappings.put("dynamic", false);
        ObjectNode properties = mappings.putObject("properties");
        for (Field f : fields.values()) {
            String[] parts = f.name().split("\\.");
            ObjectNode node = properties;
            for (int i = 0; i < parts.length - 1; i++) node = child(child(node, parts[i]), "properties");
            ObjectNode target = child(node, parts[parts.length - 1]);
            JsonNode children = target.get("properties");
            target.removeAll();
            target.setAll(f.mapping());
            if (children != null) target.set("properties", children);
        }
        ((ObjectNode) properties.get("@timestamp")).put("ignore_malformed", false);
        return mappings;
    }

    /** Every field and object of {@link #mappings()}, multi-fields included: what Elasticsearch counts against total_fields.limit. */
    public int mappedFieldCount() {
        int count = parents.size();
        for (Field f : fields.values()) count += 1 + f.multiFields().size();
        return count;
    }

    /** The ECS part of Kibana's security alert map (its ecsFieldMap), in table order. */
    static Map<String, Field> kibanaEcsPart(Map<String, Field> ecs) {
        Set<String> excludedParents = new HashSet<>();
        ecs.values().forEach(f -> {
            if (EXCLUDED_ECS_TYPES.contains(f.type())) excludedParents.add(f.name() + ".");
        });
        Map<String, Field> out = new LinkedHashMap<>();
        for (Field f : ecs.values()) {
            if (EXCLUDED_ECS_TYPES.contains(f.type()) || EXPERIMENTAL_ECS_FIELDS.contains(f.name())) continue;
            if (excludedParents.stream().anyMatch(p -> f.name().startsWith(p))) continue;
            // Kibana's ecsFieldMap keeps type, scaling_factor, ignore_above and multi-fields only.
            out.put(f.name(), new Field(f.name(), f.type(), f.ignoreAbove(), f.scalingFactor(), f.multiFields(), null, null));
        }
        return out;
    }

    /** Reads the ECS table written by the ECS generator: field, type, ignore_above, scaling_factor, array, multi_fields, ... */
    static Map<String, Field> readEcs(InputStream in, String name) {
        Map<String, Field> out = new LinkedHashMap<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] c = line.split("\t", -1);
                if (c.length < 6) throw new IllegalStateException(name + ":" + n + ": expected at least 6 tab-separated columns");
                Map<String, String> multi = new LinkedHashMap<>();
                if (!c[5].equals("-")) {
                    for (String mf : c[5].split(",")) {
                        int colon = mf.indexOf(':');
                        multi.put(mf.substring(0, colon), mf.substring(colon + 1));
                    }
                }
                out.put(c[0], new Field(c[0], c[1], c[2].equals("-") ? null : Integer.valueOf(c[2]),
                        c[3].equals("-") ? null : Double.valueOf(c[3]), Collections.unmodifiableMap(multi), null, null));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(name, e);
        }
        return out;
    }

    /** Reads {@code {"fields": {name: {type, ignore_above, scaling_factor, multi_fields, index, format}}}}, skipping unmapped ones. */
    static Map<String, Field> readKibanaFields(InputStream in, String name) {
        Map<String, Field> out = new LinkedHashMap<>();
        try (in) {
            JsonNode fieldsNode = new ObjectMapper().readTree(in).path("fields");
            for (Iterator<Map.Entry<String, JsonNode>> it = fieldsNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                Field f = fieldFromMap(e.getKey(), e.getValue());
                if (f != null) out.put(f.name(), f);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(name, e);
        }
        return out;
    }

    /** A field of a Kibana field map ({@code type}, {@code ignore_above}, {@code multi_fields}, ...); null for {@code unmapped}. */
    public static Field fieldFromMap(String name, JsonNode def) {
        String type = def.path("type").asText();
        if (type.equals("unmapped")) return null;
        Map<String, String> multi = new LinkedHashMap<>();
        def.path("multi_fields").forEach(mf -> multi.put(mf.path("name").asText(), mf.path("type").asText()));
        return new Field(name, type,
                def.has("ignore_above") ? def.get("ignore_above").asInt() : null,
                def.has("scaling_factor") ? def.get("scaling_factor").asDouble() : null,
                Collections.unmodifiableMap(multi),
                def.has("index") ? def.get("index").asBoolean() : null,
                def.has("format") ? def.get("format").asText() : null);
    }

    private static ObjectNode child(ObjectNode parent, String name) {
        JsonNode c = parent.get(name);
        return c instanceof ObjectNode ? (ObjectNode) c : parent.putObject(name);
    }

    private static Field leaf(String name, String type) {
        return new Field(name, type, null, null, Map.of(), null, null);
    }

    private static InputStream resource(String path) {
        InputStream in = AlertFieldMap.class.getResourceAsStream(path);
        if (in == null) throw new IllegalStateException("missing resource " + path);
        return in;
    }
}

package org.smtpdetect.event;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Field name to Elasticsearch type, as the ECS index templates map them. The type decides how a query value
 * compares with an event value (keyword exact, ip CIDR, long coercion...), exactly as in Elasticsearch.
 */
public final class FieldTypes {
    private static final String ECS_TABLE = "/ecs-field-types.tsv";
    private static volatile FieldTypes ecs;

    private final Map<String, FieldType> types;
    private final Set<String> nestedPaths;

    private FieldTypes(Map<String, FieldType> types, Set<String> nestedPaths) {
        this.types = Map.copyOf(types);
        this.nestedPaths = Set.copyOf(nestedPaths);
    }

    /** The bundled ECS table ({@code ecs-field-types.tsv}: field, tab, mapping type; {@code nested} marks nested paths). */
    public static FieldTypes ecs() {
        FieldTypes t = ecs;
        if (t == null) {
            try (InputStream in = FieldTypes.class.getResourceAsStream(ECS_TABLE)) {
                if (in == null) throw new IllegalStateException("missing resource " + ECS_TABLE);
                t = ecs = parse(in, ECS_TABLE);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return t;
    }

    static FieldTypes parse(InputStream in, String name) throws IOException {
        Map<String, FieldType> map = new HashMap<>();
        Set<String> nested = new HashSet<>();
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int n = 0;
        while ((line = r.readLine()) != null) {
            n++;
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] parts = line.split("\t");
            if (parts.length == 2 && parts[1].strip().equals("nested")) {
                nested.add(parts[0].strip());
                continue;
            }
            FieldType type = parts.length == 2 ? FieldType.fromMappingType(parts[1].strip()) : null;
            if (type == null) throw new IllegalStateException(name + ":" + n + ": expected 'field<TAB>type' with a supported type: " + line);
            map.put(parts[0].strip(), type);
        }
        return new FieldTypes(map, nested);
    }

    public Optional<FieldType> typeOf(String field) {
        return Optional.ofNullable(types.get(field));
    }

    /** True when {@code path} is mapped {@code nested}: its objects are indexed as documents of their own. */
    public boolean isNested(String path) {
        return nestedPaths.contains(path);
    }

    /** The nested path {@code field} lies under ({@code email.attachments} for {@code email.attachments.file.name}). */
    public Optional<String> nestedPathOf(String field) {
        for (int dot = field.lastIndexOf('.'); dot > 0; dot = field.lastIndexOf('.', dot - 1)) {
            String prefix = field.substring(0, dot);
            if (nestedPaths.contains(prefix)) return Optional.of(prefix);
        }
        return Optional.empty();
    }
}

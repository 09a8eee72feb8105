package org.smtpdetect.event;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Field name to Elasticsearch type, as the ECS index templates map them. The type decides how a query value
 * compares with an event value (keyword exact, ip CIDR, long coercion...), exactly as in Elasticsearch.
 */
public final class FieldTypes {
    private static final String ECS_TABLE = "/ecs-field-types.tsv";
    private static volatile FieldTypes ecs;

    private final Map<String, FieldType> types;

    private FieldTypes(Map<String, FieldType> types) {
        this.types = Map.copyOf(types);
    }

    /** The bundled ECS table ({@code ecs-field-types.tsv}: field, tab, mapping type). */
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
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int n = 0;
        while ((line = r.readLine()) != null) {
            n++;
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] parts = line.split("\t");
            FieldType type = parts.length == 2 ? FieldType.fromMappingType(parts[1].strip()) : null;
            if (type == null) throw new IllegalStateException(name + ":" + n + ": expected 'field<TAB>type' with a supported type: " + line);
            map.put(parts[0].strip(), type);
        }
        return new FieldTypes(map);
    }

    public Optional<FieldType> typeOf(String field) {
        return Optional.ofNullable(types.get(field));
    }
}

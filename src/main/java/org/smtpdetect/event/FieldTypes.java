package org.smtpdetect.event;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Field name to Elasticsearch mapping type, as the index templates of ECS, Elastic's integration packages and the
 * Beats map them. The type decides how a query value compares with an event value (keyword exact, ip CIDR, long
 * coercion, text analysed...), exactly as in Elasticsearch. Besides plain fields the table knows {@code nested}
 * paths (objects indexed as documents of their own), {@code flattened} fields (every key below them compares like a
 * keyword) and dynamic templates (names with {@code *}, matched when no plain field does).
 */
public final class FieldTypes {
    /** The generated table (see {@code kql/PROVENANCE}): field, mapping type, text analyzer, source; tab-separated. */
    public static final String BUNDLED_TABLE = "/kql/field-types.tsv";
    private static volatile FieldTypes bundled;

    /** A field's mapping type as the table states it, its analyzer (text fields), and where that came from. */
    public record Mapping(String type, String analyzer, String source) {}

    private final Map<String, Mapping> fields;
    private final Map<String, FieldType> types;
    private final List<Map.Entry<Pattern, Mapping>> templates;
    private final Map<Pattern, String> templateNames = new HashMap<>();
    private final Set<String> nestedPaths;
    private final Set<String> flattenedPaths;

    private FieldTypes(Map<String, Mapping> fields) {
        this.fields = Collections.unmodifiableMap(new HashMap<>(fields));
        Map<String, FieldType> t = new HashMap<>();
        List<Map.Entry<Pattern, Mapping>> tpl = new ArrayList<>();
        Set<String> nested = new HashSet<>();
        Set<String> flattened = new HashSet<>();
        for (Map.Entry<String, Mapping> e : new java.util.TreeMap<>(fields).entrySet()) {
            String name = e.getKey();
            String type = e.getValue().type();
            if (name.indexOf('*') >= 0) {
                Pattern p = glob(name);
                tpl.add(Map.entry(p, e.getValue()));
                templateNames.put(p, name);
            } else if (type.equals("nested")) {
                nested.add(name);
            } else if (type.equals("flattened")) {
                flattened.add(name);
            } else {
                t.put(name, FieldType.fromMappingType(type));
            }
        }
        this.types = Map.copyOf(t);
        this.templates = List.copyOf(tpl);
        this.nestedPaths = Set.copyOf(nested);
        this.flattenedPaths = Set.copyOf(flattened);
    }

    /** The bundled table, generated from Elastic's schemas ({@value #BUNDLED_TABLE}). */
    public static FieldTypes bundled() {
        FieldTypes t = bundled;
        if (t == null) {
            try (InputStream in = FieldTypes.class.getResourceAsStream(BUNDLED_TABLE)) {
                if (in == null) throw new IllegalStateException("missing resource " + BUNDLED_TABLE);
                t = bundled = new FieldTypes(parse(new InputStreamReader(in, StandardCharsets.UTF_8), BUNDLED_TABLE, "bundled"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return t;
    }

    /** The bundled table; the one type source of the rule core (KQL, exceptions, the alert checks' parsing). */
    public static FieldTypes ecs() {
        return bundled();
    }

    /**
     * This table with a site's own types added or replacing these ({@code --field-types FILE}): lines of
     * {@code field<TAB>type[<TAB>analyzer]} (or separated by spaces; analyzer {@code standard} or
     * {@code pattern:<regex>} for text fields), {@code #} comments. The map is what {@link #readOverrides} returns.
     */
    public FieldTypes withOverrides(Map<String, String> overrides) {
        if (overrides.isEmpty()) return this;
        Map<String, Mapping> m = new HashMap<>(fields);
        overrides.forEach((f, type) -> {
            String[] t = type.split("\t", 2);
            m.put(f, new Mapping(t[0], t.length > 1 ? t[1] : "standard", "override"));
        });
        return new FieldTypes(m);
    }

    /** Reads an overrides file; a bad line fails with the file, the line and what is wrong. */
    public static Map<String, String> readOverrides(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            Map<String, String> out = new LinkedHashMap<>();
            parse(new StringReader(text), file.toString(), "override").forEach((f, m) -> out.put(f, m.type() + "\t" + m.analyzer()));
            return out;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read field types file " + file + ": " + e.getMessage(), e);
        }
    }

    private static Map<String, Mapping> parse(java.io.Reader reader, String name, String defaultSource) throws IOException {
        Map<String, Mapping> map = new LinkedHashMap<>();
        BufferedReader r = new BufferedReader(reader);
        String line;
        int n = 0;
        while ((line = r.readLine()) != null) {
            n++;
            line = line.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            String[] parts = line.split("\t");
            if (parts.length < 2) parts = line.split("\\s+");
            String field = parts[0].strip();
            String type = parts.length > 1 ? parts[1].strip() : "";
            boolean known = FieldType.fromMappingType(type) != null || type.equals("nested") || type.equals("flattened");
            if (parts.length < 2 || field.isEmpty() || !known) {
                throw new IllegalArgumentException(name + ":" + n + ": expected 'field<TAB>type' with a type of "
                        + "keyword, constant_keyword, wildcard, text, match_only_text, ip, long, integer, short, byte, "
                        + "unsigned_long, double, float, half_float, scaled_float, date, date_nanos, boolean, nested or "
                        + "flattened: " + line);
            }
            String analyzer = parts.length > 2 ? parts[2].strip() : "-";
            try {
                TextAnalysis.of(analyzer);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(name + ":" + n + ": " + e.getMessage() + ": " + line);
            }
            map.put(field, new Mapping(type, analyzer, parts.length > 3 ? parts[3].strip() : defaultSource));
        }
        return map;
    }

    /** The comparison a field's values get; empty when the table does not type it. */
    public Optional<FieldType> typeOf(String field) {
        FieldType t = types.get(field);
        if (t != null) return Optional.of(t);
        if (flattenedPaths.contains(field)) return Optional.of(FieldType.FLATTENED);
        if (flattenedPathOf(field).isPresent()) return Optional.of(FieldType.FLATTENED_KEY);
        for (Map.Entry<Pattern, Mapping> e : templates) {
            if (e.getKey().matcher(field).matches()) {
                FieldType ft = FieldType.fromMappingType(e.getValue().type());
                return Optional.ofNullable(ft);
            }
        }
        return Optional.empty();
    }

    /** The mapping type and source the table has for a field (for messages); a key of a flattened field says so. */
    public Optional<Mapping> mappingOf(String field) {
        Mapping m = fields.get(field);
        if (m != null) return Optional.of(m);
        Optional<String> flat = flattenedPathOf(field);
        if (flat.isPresent()) return Optional.of(new Mapping("flattened key of " + flat.get(), "-", fields.get(flat.get()).source()));
        for (Map.Entry<Pattern, Mapping> e : templates) {
            if (e.getKey().matcher(field).matches()) return Optional.of(e.getValue());
        }
        return Optional.empty();
    }

    /** The analyzer of a text field (the standard analyzer unless the table names another). */
    public TextAnalysis analysisOf(String field) {
        return TextAnalysis.of(mappingOf(field).map(Mapping::analyzer).orElse("standard"));
    }

    /** True when {@code path} is mapped {@code nested}: its objects are indexed as documents of their own. */
    public boolean isNested(String path) {
        return nestedPaths.contains(path);
    }

    /** The nested path {@code field} lies under ({@code email.attachments} for {@code email.attachments.file.name}). */
    public Optional<String> nestedPathOf(String field) {
        return prefixIn(field, nestedPaths);
    }

    /** The {@code flattened} field {@code field} is a key of, if any. */
    public Optional<String> flattenedPathOf(String field) {
        return prefixIn(field, flattenedPaths);
    }

    private static Optional<String> prefixIn(String field, Set<String> paths) {
        for (int dot = field.lastIndexOf('.'); dot > 0; dot = field.lastIndexOf('.', dot - 1)) {
            String prefix = field.substring(0, dot);
            if (paths.contains(prefix)) return Optional.of(prefix);
        }
        return Optional.empty();
    }

    /**
     * The plain fields whose names match a KQL field pattern ({@code *} any run of characters, dots included), in
     * name order: what a KQL wildcard field name expands to over the table.
     */
    public List<String> fieldsMatching(String pattern) {
        Pattern p = glob(pattern);
        Set<String> out = new TreeSet<>();
        for (String f : types.keySet()) {
            if (p.matcher(f).matches()) out.add(f);
        }
        return List.copyOf(out);
    }

    /**
     * The dynamic templates (names with {@code *}) that could map fields matching a KQL field pattern: such fields
     * exist only once data has them, so the table cannot list them.
     */
    public List<String> templatesMatching(String pattern) {
        Pattern p = glob(pattern);
        List<String> out = new ArrayList<>();
        for (Map.Entry<Pattern, Mapping> e : templates) {
            String name = templateNames.get(e.getKey());
            if (p.matcher(name.replace("*", "0")).matches()) out.add(name);
        }
        return out;
    }

    /** A KQL or path_match pattern as a regex: {@code *} is any run of characters, dots included. */
    static Pattern glob(String pattern) {
        String[] parts = pattern.split("\\*", -1);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < parts.length; i++) {
            if (i > 0) b.append(".*");
            if (!parts[i].isEmpty()) b.append(Pattern.quote(parts[i]));
        }
        return Pattern.compile(b.toString(), Pattern.DOTALL);
    }
}

package org.smtpdetect.tools;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Writes the bundled ECS field table ({@code src/main/resources/ecs/ecs-<version>-fields.tsv}) and its
 * {@code PROVENANCE} from Elastic's own {@code generated/ecs/ecs_flat.yml}, keeping what Kibana's
 * {@code ecsFieldMap} / {@code mappingFromFieldMap} read from it (type, ignore_above, scaling_factor, the
 * {@code array} normalisation, multi-fields) plus the attributes a component template or a type table may
 * also want (index, doc_values, object_type).
 *
 * <pre>
 * mvn -B -q -Pecs-fields test -Decs.source=/path/to/ecs -Decs.tag=v9.2.0 -Decs.commit=&lt;sha&gt;
 * </pre>
 *
 * {@code ecs.source} is an elastic/ecs checkout (its {@code generated/ecs/ecs_flat.yml} is read) or the yml
 * itself. The output is sorted by field name, so regenerating from the same source gives the same bytes.
 */
public final class EcsFieldsGenerator {
    /** The columns of the table, in order; an empty attribute is written as {@code -}. */
    static final List<String> COLUMNS = List.of("field", "type", "ignore_above", "scaling_factor", "array",
            "multi_fields", "index", "doc_values", "object_type");

    private EcsFieldsGenerator() {}

    public static void main(String[] args) throws IOException {
        if (args.length < 3) {
            System.err.println("usage: EcsFieldsGenerator <ecs checkout | ecs_flat.yml> <tag, e.g. v9.2.0> <commit> [output dir]");
            System.exit(2);
        }
        Path source = Path.of(args[0]);
        Path yml = Files.isDirectory(source) ? source.resolve("generated/ecs/ecs_flat.yml") : source;
        String tag = args[1];
        String commit = args[2];
        Path out = Path.of(args.length > 3 ? args[3] : "src/main/resources/ecs");
        String version = tag.startsWith("v") ? tag.substring(1) : tag;

        Map<String, Map<String, Object>> fields = read(yml);
        Files.createDirectories(out);
        String table = "ecs-" + version + "-fields.tsv";
        Files.writeString(out.resolve(table), table(fields, version), StandardCharsets.UTF_8);
        Files.writeString(out.resolve("PROVENANCE"), provenance(table, tag, commit, fields.size()), StandardCharsets.UTF_8);
        System.out.println("wrote " + out.resolve(table) + " (" + fields.size() + " fields)");
    }

    /** Field name to its ecs_flat.yml attributes. */
    @SuppressWarnings("unchecked")
    static Map<String, Map<String, Object>> read(Path yml) throws IOException {
        try (Reader r = Files.newBufferedReader(yml, StandardCharsets.UTF_8)) {
            Object doc = new Load(LoadSettings.builder().setCodePointLimit(Integer.MAX_VALUE).build()).loadFromReader(r);
            if (!(doc instanceof Map)) throw new IOException(yml + ": expected a mapping of field names");
            return new TreeMap<>((Map<String, Map<String, Object>>) doc);
        }
    }

    static String table(Map<String, Map<String, Object>> fields, String version) {
        StringBuilder b = new StringBuilder();
        b.append("# ECS ").append(version).append(" fields from elastic/ecs generated/ecs/ecs_flat.yml (see PROVENANCE);\n");
        b.append("# written by org.smtpdetect.tools.EcsFieldsGenerator, do not edit. multi_fields: name:type,...\n");
        b.append('#').append(String.join("\t", COLUMNS)).append('\n');
        for (Map.Entry<String, Map<String, Object>> e : fields.entrySet()) {
            Map<String, Object> f = e.getValue();
            List<String> row = new ArrayList<>();
            row.add(e.getKey());
            row.add(text(f.get("type")));
            row.add(text(f.get("ignore_above")));
            row.add(text(f.get("scaling_factor")));
            Object normalize = f.get("normalize");
            row.add(normalize instanceof List && ((List<?>) normalize).contains("array") ? "true" : "-");
            row.add(multiFields(f.get("multi_fields")));
            row.add(text(f.get("index")));
            row.add(text(f.get("doc_values")));
            row.add(text(f.get("object_type")));
            b.append(String.join("\t", row)).append('\n');
        }
        return b.toString();
    }

    private static String multiFields(Object multi) {
        if (!(multi instanceof List) || ((List<?>) multi).isEmpty()) return "-";
        List<String> parts = new ArrayList<>();
        for (Object m : (List<?>) multi) {
            Map<?, ?> mf = (Map<?, ?>) m;
            parts.add(mf.get("name") + ":" + mf.get("type"));
        }
        return String.join(",", parts);
    }

    private static String text(Object v) {
        if (v == null) return "-";
        String s = v.toString();
        if (s.isEmpty() || s.indexOf('\t') >= 0 || s.indexOf('\n') >= 0) throw new IllegalArgumentException("unexpected attribute value '" + s + "'");
        return s;
    }

    static String provenance(String table, String tag, String commit, int count) {
        return "# Provenance of the ECS field table\n\n"
                + table + " (" + count + " fields) is derived data, generated from:\n\n"
                + "- repository: https://github.com/elastic/ecs\n"
                + "- path: generated/ecs/ecs_flat.yml\n"
                + "- tag: " + tag + "\n"
                + "- commit: " + commit + "\n"
                + "- generated: " + LocalDate.now(ZoneOffset.UTC) + " by org.smtpdetect.tools.EcsFieldsGenerator\n\n"
                + "Regenerate with:\n\n"
                + "    mvn -B -q -Pecs-fields test -Decs.source=<ecs checkout or ecs_flat.yml> -Decs.tag=" + tag
                + " -Decs.commit=" + commit + "\n\n"
                + "ECS is licensed under the Apache License 2.0 (https://github.com/elastic/ecs/blob/main/LICENSE.txt).\n";
    }
}

package org.smtpdetect.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

/**
 * Writes the KQL field type table ({@code src/main/resources/kql/field-types.tsv}), its conflicts and its
 * {@code PROVENANCE} from Elastic's own schemas, in this order of precedence (the first source that types a
 * field decides; every disagreement is written to {@code field-type-conflicts.tsv}):
 *
 * <ol>
 *   <li>ECS, {@code generated/ecs/ecs_flat.yml}: what {@code ecs@mappings} and the Beats templates map;
 *   <li>integration package fields as their current field files declare them
 *       ({@code packages/<pkg>/data_stream/<ds>/fields/*.yml}), for the fields the prebuilt rules read: a TSV of
 *       field, type, file and the file's commit (the repository is too large to read whole); what Fleet maps;
 *   <li>detection-rules' {@code etc/integration-schemas.json.gz} (every package version's data streams,
 *       flattened; the newest version of each package is read): the same, for the packages it covers;
 *   <li>detection-rules' {@code etc/beats_schemas/main.json.gz}: the Beats modules' {@code fields.yml}, what
 *       {@code filebeat-*}, {@code winlogbeat-*}, {@code auditbeat-*} and {@code packetbeat-*} map;
 *   <li>detection-rules' Endgame mapping ({@code etc/endgame_schemas/8.4.0}), for {@code endgame-*};
 *   <li>detection-rules' {@code etc/non-ecs-schema.json}: fields detection-rules types by hand.
 * </ol>
 *
 * Only the types the rule core compares are kept (keyword family, ip, numbers, date, boolean, text family, and
 * nested and flattened paths); aliases take their target's type. Names with {@code *} are the packages' dynamic
 * templates ({@code target_resources.*.display_name}).
 *
 * <pre>
 * mvn -B -q -Pkql-field-types test -Dkql.args="--ecs ... --ecs-ref ... --detection-rules ... ..."
 * </pre>
 */
public final class KqlFieldTypesGenerator {
    static final Set<String> KEPT = Set.of("keyword", "constant_keyword", "wildcard", "ip", "long", "integer",
            "short", "byte", "unsigned_long", "float", "double", "half_float", "scaled_float", "date", "date_nanos",
            "boolean", "text", "match_only_text", "nested", "flattened");

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One typed field as a source states it. */
    record Typed(String type, String analyzer, String source) {}

    /** All sources' statements, field by field, in precedence order. */
    static final class Table {
        final Map<String, List<Typed>> fields = new TreeMap<>();
        final Map<String, Integer> perSource = new LinkedHashMap<>();

        void add(String field, String type, String source, String sourceGroup) {
            add(field, type, "-", source, sourceGroup);
        }

        void add(String field, String type, String analyzer, String source, String sourceGroup) {
            if (field.isEmpty() || type == null || !KEPT.contains(type)) return;
            List<Typed> l = fields.computeIfAbsent(field, k -> new ArrayList<>());
            for (Typed t : l) {
                if (t.source().equals(source)) return;
            }
            l.add(new Typed(type, analyzer, source));
            perSource.merge(sourceGroup, 1, Integer::sum);
        }
    }

    private KqlFieldTypesGenerator() {}

    public static void main(String[] args) throws IOException {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        for (String k : List.of("ecs", "ecs-ref", "detection-rules", "detection-rules-commit", "integration-schemas",
                "integration-schemas-commit", "integration-fields", "out")) {
            if (!a.containsKey(k)) {
                System.err.println("missing --" + k + "; see the class comment");
                System.exit(2);
            }
        }
        Table t = new Table();
        List<String> provenance = new ArrayList<>();

        Map<String, Map<String, Object>> ecs = EcsFieldsGenerator.read(Path.of(a.get("ecs")));
        for (Map.Entry<String, Map<String, Object>> e : ecs.entrySet()) {
            t.add(e.getKey(), String.valueOf(e.getValue().get("type")), "ecs", "ecs");
        }
        provenance.add("- ECS: elastic/ecs generated/ecs/ecs_flat.yml at " + a.get("ecs-ref"));

        List<String> pins = Files.readAllLines(Path.of(a.get("integration-fields")), StandardCharsets.UTF_8);
        provenance.add("- integration packages, elastic/integrations, the fields the prebuilt rules read as their current fields files");
        provenance.add("  declare them (" + a.get("integration-fields").replaceAll(".*/", "") + ": field, type, file, commit), from:");
        java.util.Set<String> files = new java.util.TreeSet<>();
        for (String line : pins) {
            if (line.startsWith("# ") && !line.startsWith("# field")) provenance.add("  (" + line.substring(2) + ")");
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] p = line.split("\t");
            if (p.length < 4) throw new IOException("integration pins: expected field, type, path, commit[, analyzer]: " + line);
            t.add(p[0], p[1], p.length > 4 ? p[4] : "-", "pkg:" + p[2].split("/")[1], "integration packages (files)");
            files.add(p[2] + " @ " + p[3]);
        }
        for (String f : files) provenance.add("  - " + f);

        readIntegrationSchemas(Path.of(a.get("integration-schemas")), t, provenance);
        provenance.add("  from elastic/detection-rules detection_rules/etc/integration-schemas.json.gz @ "
                + a.get("integration-schemas-commit"));

        Path dr = Path.of(a.get("detection-rules"));
        readBeats(dr.resolve("detection_rules/etc/beats_schemas/main.json.gz"), t);
        provenance.add("- Beats modules: elastic/detection-rules detection_rules/etc/beats_schemas/main.json.gz @ "
                + a.get("detection-rules-commit"));
        readFlat(dr.resolve("detection_rules/etc/endgame_schemas/8.4.0/endgame_ecs_mapping.json.gz"), "endgame", "Endgame", t);
        provenance.add("- Endgame: elastic/detection-rules detection_rules/etc/endgame_schemas/8.4.0/endgame_ecs_mapping.json.gz @ "
                + a.get("detection-rules-commit"));
        readNonEcs(dr.resolve("detection_rules/etc/non-ecs-schema.json"), t);
        provenance.add("- hand-typed fields: elastic/detection-rules detection_rules/etc/non-ecs-schema.json @ "
                + a.get("detection-rules-commit"));

        Path out = Path.of(a.get("out"));
        Files.createDirectories(out);
        int[] counts = write(t, out);
        Files.writeString(out.resolve("PROVENANCE"), provenance(provenance, t, counts, args), StandardCharsets.UTF_8);
        System.out.println("wrote " + out.resolve("field-types.tsv") + " (" + counts[0] + " fields, " + counts[1] + " conflicts)");
    }

    /** A package-spec or Beats {@code fields.yml}: nested groups of {name, type, fields, path}. */
    static void readFieldsYaml(Path file, String source, String group, Table t) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            Object doc = new Load(LoadSettings.builder().build()).loadFromReader(r);
            Map<String, String> aliases = new LinkedHashMap<>();
            walkYaml(doc, "", source, group, t, aliases);
            resolveAliases(aliases, source, group, t);
        }
    }

    private static void walkYaml(Object node, String prefix, String source, String group, Table t, Map<String, String> aliases) {
        if (!(node instanceof List<?> list)) return;
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> f)) continue;
            Object name = f.get("name");
            if (name == null) continue;
            String full = prefix.isEmpty() ? name.toString() : prefix + "." + name;
            Object type = f.get("type");
            Object children = f.get("fields");
            if ("group".equals(type) || (type == null && children != null)) {
                walkYaml(children, full, source, group, t, aliases);
            } else if ("alias".equals(type)) {
                if (f.get("path") != null) aliases.put(full, f.get("path").toString());
            } else if ("object".equals(type)) {
                // An object with object_type is a dynamic template for its subfields.
                Object ot = f.get("object_type");
                if (ot != null) t.add(full.endsWith(".*") ? full : full + ".*", ot.toString(), source, group);
            } else {
                if (f.get("external") != null) continue; // external: ecs, typed by ECS itself
                t.add(full, type == null ? "keyword" : type.toString(), source, group); // Fleet and libbeat default to keyword
            }
        }
    }

    private static void resolveAliases(Map<String, String> aliases, String source, String group, Table t) {
        aliases.forEach((alias, target) -> {
            List<Typed> typed = t.fields.get(target);
            if (typed != null && !typed.isEmpty()) t.add(alias, typed.get(0).type(), source + " (alias of " + target + ")", group);
        });
    }

    /** {@code {package: {version: {data_stream: {field: type}}}}}; the newest version of each package. */
    static void readIntegrationSchemas(Path file, Table t, List<String> provenance) throws IOException {
        JsonNode root;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            root = JSON.readTree(in);
        }
        provenance.add("- integration packages, newest version of each in detection-rules' integration schemas:");
        List<String> names = new ArrayList<>();
        root.fieldNames().forEachRemaining(names::add);
        names.sort(null);
        for (String pkg : names) {
            JsonNode versions = root.get(pkg);
            String newest = null;
            for (Iterator<String> it = versions.fieldNames(); it.hasNext(); ) {
                String v = it.next();
                if (newest == null || compareVersions(v, newest) > 0) newest = v;
            }
            if (newest == null) continue;
            String version = newest;
            provenance.add("  - " + pkg + " " + newest);
            JsonNode streams = versions.get(newest);
            List<String> ds = new ArrayList<>();
            streams.fieldNames().forEachRemaining(ds::add);
            ds.sort(null);
            for (String d : ds) {
                JsonNode fields = streams.get(d);
                if (!fields.isObject()) continue;
                fields.fields().forEachRemaining(e -> t.add(e.getKey(), e.getValue().asText(), "pkg:" + pkg,
                        "integration packages (detection-rules schemas)"));
            }
        }
    }

    static int compareVersions(String a, String b) {
        String[] x = a.split("[.-]");
        String[] y = b.split("[.-]");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            String p = i < x.length ? x[i] : "0";
            String q = i < y.length ? y[i] : "0";
            int c = p.matches("\\d+") && q.matches("\\d+") ? Long.compare(Long.parseLong(p), Long.parseLong(q)) : p.compareTo(q);
            if (c != 0) return c;
        }
        return 0;
    }

    /** The Beats' fields.yml folders as JSON: {beat: {folders: {...}, files: {name: [fields]}}}. */
    static void readBeats(Path file, Table t) throws IOException {
        JsonNode root;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            root = JSON.readTree(in);
        }
        for (String beat : List.of("filebeat", "winlogbeat", "auditbeat", "packetbeat", "libbeat")) {
            JsonNode b = root.get(beat);
            if (b == null) continue;
            Map<String, String> aliases = new LinkedHashMap<>();
            walkBeatFolder(b, "beats:" + beat, t, aliases);
            resolveAliases(aliases, "beats:" + beat, "Beats modules", t);
        }
    }

    /**
     * A beat's folders: {@code _meta} field files hold sections ({key, fields}) whose fields are top-level names;
     * under {@code module/<m>}, the module's own file names the group its filesets' fields live in (Beats
     * nests each fileset's {@code fields.yml} into it when it builds the template).
     */
    private static void walkBeatFolder(JsonNode folder, String source, Table t, Map<String, String> aliases) {
        for (JsonNode sections : fieldFiles(folder.path("files"))) walkSections(sections, "", source, t, aliases);
        JsonNode folders = folder.get("folders");
        if (folders == null) return;
        for (String n : sortedNames(folders)) {
            if (n.equals("test") || n.equals("testdata")) continue;
            if (n.equals("module")) {
                JsonNode modules = folders.get(n).path("folders");
                for (String m : sortedNames(modules)) walkModule(modules.get(m), m, source, t, aliases);
            } else {
                walkBeatFolder(folders.get(n), source, t, aliases);
            }
        }
    }

    private static void walkModule(JsonNode module, String name, String source, Table t, Map<String, String> aliases) {
        JsonNode folders = module.path("folders");
        String prefix = null;
        for (JsonNode sections : fieldFiles(folders.path("_meta").path("files"))) {
            for (JsonNode section : sections) {
                for (JsonNode item : section.path("fields")) {
                    boolean emptyGroup = "group".equals(item.path("type").asText()) && item.path("fields").size() == 0;
                    if (emptyGroup && prefix == null) prefix = item.path("name").asText();
                }
            }
            walkSections(sections, "", source, t, aliases);
        }
        // Without a group of the module's own, each fileset's file declares its full names.
        if (prefix == null) prefix = "";
        for (String fileset : sortedNames(folders)) {
            if (fileset.equals("_meta")) continue;
            for (JsonNode items : fieldFiles(folders.get(fileset).path("folders").path("_meta").path("files"))) {
                for (JsonNode item : items) {
                    Object yaml = JSON.convertValue(item, Object.class);
                    if (item.hasNonNull("name")) walkYaml(List.of(yaml), prefix, source, "Beats modules", t, aliases);
                    else walkYaml(((Map<?, ?>) yaml).get("fields"), prefix, source, "Beats modules", t, aliases);
                }
            }
        }
    }

    private static void walkSections(JsonNode sections, String prefix, String source, Table t, Map<String, String> aliases) {
        for (JsonNode section : sections) {
            JsonNode fields = section.get("fields");
            if (fields != null && fields.isArray()) walkYaml(JSON.convertValue(fields, Object.class), prefix, source, "Beats modules", t, aliases);
        }
    }

    /** The contents of the {@code fields*.yml} files of a folder, each a list. */
    private static List<JsonNode> fieldFiles(JsonNode files) {
        List<JsonNode> out = new ArrayList<>();
        for (String n : sortedNames(files)) {
            if (n.startsWith("fields") && files.get(n).isArray()) out.add(files.get(n));
        }
        return out;
    }

    private static List<String> sortedNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        if (n != null && n.isObject()) n.fieldNames().forEachRemaining(names::add);
        names.sort(null);
        return names;
    }

    /** detection-rules' Endgame ECS mapping: {field: type}. */
    static void readFlat(Path file, String source, String group, Table t) throws IOException {
        JsonNode root;
        try (InputStream in = new GZIPInputStream(Files.newInputStream(file))) {
            root = JSON.readTree(in);
        }
        root.fields().forEachRemaining(e -> t.add(e.getKey(), e.getValue().asText(), source, group));
    }

    /** {index pattern: {field: type}}. */
    static void readNonEcs(Path file, Table t) throws IOException {
        JsonNode root = JSON.readTree(file.toFile());
        List<String> patterns = new ArrayList<>();
        root.fieldNames().forEachRemaining(patterns::add);
        for (String p : patterns) flattenNonEcs(root.get(p), "", "non-ecs:" + p, t);
    }

    /** Entries are {@code field: type} or, for some patterns, nested objects of them. */
    private static void flattenNonEcs(JsonNode node, String prefix, String source, Table t) {
        node.fields().forEachRemaining(e -> {
            String name = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
            if (e.getValue().isObject()) flattenNonEcs(e.getValue(), name, source, t);
            else t.add(name, e.getValue().asText(), source, "detection-rules non-ecs-schema");
        });
    }

    /** Writes the table and the conflicts; returns {fields, conflicts}. */
    static int[] write(Table t, Path out) throws IOException {
        StringBuilder table = new StringBuilder();
        table.append("# Elasticsearch mapping types of the fields KQL rules read, from ECS, Elastic's integration packages,\n");
        table.append("# the Beats modules and detection-rules (see PROVENANCE); written by\n");
        table.append("# org.smtpdetect.tools.KqlFieldTypesGenerator, do not edit. A '*' in a name is a dynamic template.\n");
        table.append("#field\ttype\tanalyzer\tsource\n");
        StringBuilder conflicts = new StringBuilder();
        conflicts.append("# Fields the sources type differently (see PROVENANCE): the first type is the one the table keeps.\n");
        conflicts.append("#field\tkept type (source)\tother types (sources)\n");
        int n = 0;
        int c = 0;
        java.util.Set<String> flattened = new java.util.HashSet<>();
        t.fields.forEach((f, l) -> {
            if (l.get(0).type().equals("flattened")) flattened.add(f);
        });
        for (Map.Entry<String, List<Typed>> e : t.fields.entrySet()) {
            List<Typed> l = e.getValue();
            Typed kept = l.get(0);
            String under = flattenedParent(e.getKey(), flattened);
            if (under != null) {
                // Elasticsearch indexes everything below a flattened field as its keys, whatever a source says.
                conflicts.append(e.getKey()).append("\tkey of flattened ").append(under).append("\t");
                List<String> said = new ArrayList<>();
                for (Typed x : l) said.add(x.type() + " (" + x.source() + ")");
                conflicts.append(String.join(", ", said)).append('\n');
                c++;
                continue;
            }
            table.append(e.getKey()).append('\t').append(kept.type()).append('\t').append(kept.analyzer()).append('\t')
                    .append(kept.source()).append('\n');
            n++;
            List<String> others = new ArrayList<>();
            for (Typed x : l) {
                boolean analyzerDiffers = family(kept.type()).equals("text") && !x.analyzer().equals(kept.analyzer());
                if (!comparesAlike(x.type(), kept.type()) || analyzerDiffers) {
                    others.add(x.type() + (x.analyzer().equals("-") ? "" : " " + x.analyzer()) + " (" + x.source() + ")");
                }
            }
            if (!others.isEmpty()) {
                conflicts.append(e.getKey()).append('\t').append(kept.type())
                        .append(kept.analyzer().equals("-") ? "" : " " + kept.analyzer()).append(" (").append(kept.source()).append(")\t")
                        .append(String.join(", ", others)).append('\n');
                c++;
            }
        }
        Files.writeString(out.resolve("field-types.tsv"), table, StandardCharsets.UTF_8);
        Files.writeString(out.resolve("field-type-conflicts.tsv"), conflicts, StandardCharsets.UTF_8);
        return new int[] {n, c};
    }

    private static String flattenedParent(String field, java.util.Set<String> flattened) {
        for (int dot = field.lastIndexOf('.'); dot > 0; dot = field.lastIndexOf('.', dot - 1)) {
            if (flattened.contains(field.substring(0, dot))) return field.substring(0, dot);
        }
        return null;
    }

    /** Types whose KQL comparisons are the same (keyword and constant_keyword; the integer types; ...). */
    static boolean comparesAlike(String a, String b) {
        return family(a).equals(family(b));
    }

    private static String family(String type) {
        switch (type) {
            case "keyword": case "constant_keyword": return "keyword";
            case "long": case "integer": case "short": case "byte": case "unsigned_long": return "long";
            case "float": case "double": case "half_float": case "scaled_float": return "double";
            case "date": case "date_nanos": return "date";
            case "text": case "match_only_text": return "text";
            default: return type;
        }
    }

    static String provenance(List<String> lines, Table t, int[] counts, String[] args) {
        StringBuilder b = new StringBuilder("# Provenance of the KQL field type table\n\n");
        b.append("field-types.tsv (").append(counts[0]).append(" fields and dynamic templates) and field-type-conflicts.tsv (")
                .append(counts[1]).append(" fields) are derived data, generated on ").append(LocalDate.now(ZoneOffset.UTC))
                .append(" by org.smtpdetect.tools.KqlFieldTypesGenerator from, in order of precedence:\n\n");
        for (String l : lines) b.append(l).append('\n');
        b.append("\nStatements kept per source (a field typed by several sources counts in each):\n\n");
        t.perSource.forEach((k, v) -> b.append("- ").append(k).append(": ").append(v).append('\n'));
        b.append("\nRegenerate with (sources: an elastic/ecs checkout at the tag, an elastic/detection-rules checkout at the\n");
        b.append("commit, its integration-schemas.json.gz from the commit named, and src/test/resources/kql/integration-pins.tsv):\n\n");
        b.append("    mvn -B -q -Pkql-field-types test -Dkql.args=\"");
        List<String> shown = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (args[i].equals("--out")) continue;
            String v = args[i + 1];
            if (args[i].equals("--ecs")) v = "<ecs>/generated/ecs/ecs_flat.yml";
            else if (args[i].equals("--detection-rules")) v = "<detection-rules>";
            else if (args[i].equals("--integration-schemas")) v = "<integration-schemas.json.gz>";
            else if (args[i].equals("--integration-fields")) v = "src/test/resources/kql/integration-pins.tsv";
            shown.add(args[i] + " " + v);
        }
        b.append(String.join(" ", shown)).append("\"\n\n");
        b.append("ECS, the integration packages, Beats and detection-rules are licensed under the Elastic License 2.0 or the\n");
        b.append("Apache License 2.0 by Elasticsearch B.V.; only field names and types are taken from them.\n");
        return b.toString();
    }
}

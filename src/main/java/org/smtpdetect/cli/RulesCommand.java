package org.smtpdetect.cli;

import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.kql.CompiledQuery;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleFormatException;
import org.smtpdetect.rule.RuleLoader;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * {@code rules [--field-types FILE] [--dsl] PATH...}: the rule linter. Loads and compiles every rule file (files, or
 * directories searched recursively for {@code .toml}, {@code .ndjson} and {@code .json}) exactly as the job would,
 * and prints one line per rule, in path order: {@code ok<TAB>FILE<TAB>rule_id<TAB>name} or
 * {@code error<TAB>FILE<TAB>reason}; warnings (a clause that can never match) and a summary go to stderr. Needs
 * no Flink.
 */
public final class RulesCommand {
    static final String USAGE = String.join("\n",
            "usage: smtp-to-internet rules [--field-types FILE] [--dsl] PATH...",
            "  Loads and compiles each rule file as the job would; prints, in path order, one line per rule:",
            "  ok<TAB>FILE<TAB>rule_id<TAB>name  or  error<TAB>FILE<TAB>reason. A summary and warnings go to stderr.",
            "  PATH is a rule file (.toml detection-rules, .ndjson Kibana export, .json) or a directory, searched recursively.",
            "  --field-types FILE  add or override field types (lines of field<TAB>mapping type) for your own mappings",
            "  --dsl               append to each ok line, tab-separated, the Elasticsearch query Kibana would send");

    private RulesCommand() {}

    /** Runs the command; returns the exit code: 0 when every path could be read, 2 otherwise. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        List<Path> paths = new ArrayList<>();
        Path fieldTypesFile = null;
        boolean dsl = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--field-types")) {
                if (i + 1 >= args.length) return usage(err, "--field-types needs a file");
                fieldTypesFile = Path.of(args[++i]);
            } else if (a.equals("--dsl")) {
                dsl = true;
            } else if (a.equals("-h") || a.equals("--help")) {
                out.println(USAGE);
                return 0;
            } else if (a.startsWith("--")) {
                return usage(err, "unknown option " + a);
            } else {
                paths.add(Path.of(a));
            }
        }
        if (paths.isEmpty()) return usage(err, "no rule files or directories");
        FieldTypes types;
        try {
            types = fieldTypesFile == null ? FieldTypes.bundled() : FieldTypes.bundled().withOverrides(FieldTypes.readOverrides(fieldTypesFile));
        } catch (IllegalArgumentException e) {
            err.println("error: --field-types: " + e.getMessage());
            return 2;
        }
        List<Path> files = new ArrayList<>();
        for (Path p : paths) {
            if (!Files.exists(p)) return usage(err, "no such file or directory: " + p);
            try {
                files.addAll(ruleFiles(p));
            } catch (IOException e) {
                err.println("error: cannot read " + p + ": " + e.getMessage());
                return 2;
            }
        }
        int ok = 0;
        int failed = 0;
        Map<String, Integer> causes = new TreeMap<>();
        for (Path file : files) {
            List<Rule> rules;
            try {
                rules = RuleLoader.load(file);
            } catch (RuleFormatException e) {
                failed++;
                String reason = reason(e.getMessage(), file);
                causes.merge(cause(reason), 1, Integer::sum);
                out.println("error\t" + file + "\t" + reason);
                continue;
            }
            for (Rule r : rules) {
                String where = rules.size() == 1 ? file.toString() : file + " " + r.ruleId();
                try {
                    CompiledQuery q = Detector.compile(r, types);
                    ok++;
                    out.println("ok\t" + where + "\t" + r.ruleId() + "\t" + oneLine(r.name())
                            + (dsl ? "\t" + q.elasticsearchQuery() : ""));
                    for (String w : q.warnings()) err.println("warning\t" + where + "\t" + w);
                } catch (RuleFormatException e) {
                    failed++;
                    String reason = reason(e.getMessage(), file);
                    causes.merge(cause(reason), 1, Integer::sum);
                    out.println("error\t" + where + "\t" + reason);
                }
            }
        }
        out.flush();
        int total = ok + failed;
        err.printf(Locale.ROOT, "%d rules in %d files: %d ok, %d errors (%.1f%% ok)%n", total, files.size(), ok, failed,
                total == 0 ? 0.0 : 100.0 * ok / total);
        causes.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue())
                .forEach(c -> err.printf(Locale.ROOT, "  %4d  %s%n", c.getValue(), c.getKey()));
        return 0;
    }

    /** Rule files under a path, sorted by path; hidden files and directories are skipped. */
    static List<Path> ruleFiles(Path p) throws IOException {
        if (!Files.isDirectory(p)) return List.of(p);
        try (Stream<Path> walk = Files.walk(p)) {
            return walk.filter(Files::isRegularFile)
                    .filter(f -> !isHidden(p.relativize(f)))
                    .filter(f -> {
                        String n = f.getFileName().toString().toLowerCase(Locale.ROOT);
                        return n.endsWith(".toml") || n.endsWith(".ndjson") || n.endsWith(".json");
                    })
                    .sorted()
                    .toList();
        }
    }

    private static boolean isHidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) return true;
        }
        return false;
    }

    /** The message without the file name it starts with, on one line (a query's caret display is dropped). */
    static String reason(String message, Path file) {
        String m = message;
        String prefix = file + ": ";
        if (m.startsWith(prefix)) m = m.substring(prefix.length());
        int nl = m.indexOf('\n');
        return oneLine(nl < 0 ? m : m.substring(0, nl));
    }

    /** A short cause for the summary: the reason without the rule, names, values, positions and explanation. */
    static String cause(String reason) {
        String c = reason.replaceFirst("^rule \\S+ \\(.*?\\): ", "").replaceAll(" \\(\\{.*?\\}\\)", "")
                .replaceAll(" at position \\d+.*", "").replaceAll("\\[[^\\]]*\\]", "[...]")
                .replaceAll("\\d+", "N");
        int cut = c.length();
        for (String sep : new String[] {" (", "; ", ": "}) {
            int at = c.indexOf(sep, 20);
            if (at > 0) cut = Math.min(cut, at);
        }
        return c.substring(0, cut).strip();
    }

    private static String oneLine(String s) {
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    private static int usage(PrintStream err, String problem) {
        err.println("error: " + problem);
        err.println(USAGE);
        return 2;
    }
}

package org.smtpdetect.cli;

import org.smtpdetect.event.NdjsonLines;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.kql.CompiledQuery;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleFormatException;
import org.smtpdetect.rule.RuleLoader;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * {@code check [--explain] [--rule FILE] FILE...}: prints one verdict per input line, in order:
 * {@code match}, {@code no-match} or {@code error: <reason>}. Needs no Flink.
 */
public final class CheckCommand {
    static final String USAGE = String.join("\n",
            "usage: smtp-to-internet check [--explain] [--rule FILE] FILE...",
            "  Prints one line per input line: match, no-match, or error: <reason>.",
            "  FILE is NDJSON (one event per line); '-' reads stdin; .gz files are decompressed.",
            "  --explain   also show which clauses of the query held (+) and failed (-)",
            "  --rule FILE check another query rule (.toml, .ndjson Kibana export, .json) instead of the seed rule");

    private CheckCommand() {}

    /** Runs the command; returns the process exit code. */
    public static int run(String[] args, InputStream stdin, PrintStream out, PrintStream err) {
        boolean explain = false;
        Path ruleFile = null;
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--explain")) {
                explain = true;
            } else if (a.equals("--rule")) {
                if (i + 1 >= args.length) return usage(err, "--rule needs a file");
                ruleFile = Path.of(args[++i]);
            } else if (a.equals("-h") || a.equals("--help")) {
                out.println(USAGE);
                return 0;
            } else if (a.startsWith("--")) {
                return usage(err, "unknown option " + a);
            } else {
                inputs.add(a);
            }
        }
        if (inputs.isEmpty()) return usage(err, "no input files");

        Detector detector;
        try {
            List<Rule> rules = ruleFile == null ? List.of(RuleLoader.loadDefault()) : RuleLoader.load(ruleFile);
            if (rules.size() != 1) return usage(err, ruleFile + " holds " + rules.size() + " rules; check takes one");
            detector = Detector.of(rules);
        } catch (RuleFormatException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
        for (String input : inputs) {
            if (!input.equals("-") && !Files.isReadable(Path.of(input))) return usage(err, "cannot read " + input);
        }
        PrintStream o = new PrintStream(new BufferedOutputStream(out, 1 << 16), false, StandardCharsets.UTF_8);
        try {
            for (String input : inputs) {
                try (InputStream in = open(input, stdin)) {
                    checkStream(in, detector, explain, o);
                }
            }
        } catch (IOException e) {
            o.flush();
            err.println("error: cannot read input: " + e.getMessage());
            return 2;
        }
        o.flush();
        return 0;
    }

    private static InputStream open(String input, InputStream stdin) throws IOException {
        InputStream in = input.equals("-") ? new NonClosing(stdin) : Files.newInputStream(Path.of(input));
        return input.endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }

    /** Prints a verdict for each line of the stream. */
    static void checkStream(InputStream in, Detector detector, boolean explain, PrintStream out) throws IOException {
        NdjsonLines lines = new NdjsonLines(in);
        while (lines.next()) verdict(detector.parse(lines.buffer(), lines.offset(), lines.length()), detector, explain, out);
    }

    private static void verdict(ParsedEvent e, Detector detector, boolean explain, PrintStream out) {
        if (e.isError()) {
            out.println("error: " + e.error());
            return;
        }
        boolean match = detector.matches(0, e);
        if (!explain) {
            out.println(match ? "match" : "no-match");
            return;
        }
        StringBuilder s = new StringBuilder(match ? "match" : "no-match");
        for (CompiledQuery.ClauseResult c : detector.query(0).explain(e)) {
            s.append("\t").append(c.held() ? "+ " : "- ").append(c.clause());
        }
        if (!e.ignoredFields().isEmpty()) s.append("\tignored malformed: ").append(String.join(", ", e.ignoredFields()));
        out.println(s);
    }

    private static int usage(PrintStream err, String problem) {
        err.println("error: " + problem);
        err.println(USAGE);
        return 2;
    }

    /** Keeps stdin open when a reader is closed. */
    private static final class NonClosing extends java.io.FilterInputStream {
        NonClosing(InputStream in) {
            super(in);
        }

        @Override
        public void close() {
        }
    }
}

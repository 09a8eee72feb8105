package org.smtpdetect.cli;

import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.event.NdjsonLines;
import org.smtpdetect.exception.ExceptionFormatException;
import org.smtpdetect.exception.ExceptionItem;
import org.smtpdetect.exception.ExceptionSet;
import org.smtpdetect.exception.ExceptionSources;
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
 * {@code check [--explain] [--rule FILE] [--exceptions FILE[,FILE...]] [--value-lists DIR] FILE...}: prints one
 * verdict per input line, in order: {@code match}, {@code no-match}, {@code excepted} (the rule matches, an
 * exception item removes it as Kibana's exception filter would) or {@code error: <reason>}. Needs no Flink.
 */
public final class CheckCommand {
    static final String USAGE = String.join("\n",
            "usage: smtp-to-internet check [--explain] [--rule FILE] [--field-types FILE] [--exceptions FILE[,FILE...]]",
            "                              [--value-lists DIR] FILE...",
            "  Prints one line per input line: match, no-match, excepted, or error: <reason>.",
            "  FILE is NDJSON (one event per line); '-' reads stdin; .gz files are decompressed.",
            "  --explain          also show which clauses of the query held (+) and failed (-), and the exception item",
            "                     (list id/item id \"name\") that excepted an event",
            "  --rule FILE        check another query rule (.toml, .ndjson Kibana export, .json) instead of the seed rule",
            "  --field-types FILE add or override field types (field<TAB>mapping type[<TAB>analyzer]) for your own mappings",
            "  --exceptions FILES apply rule exceptions: Kibana exception list exports (.ndjson) or detection-rules",
            "                     exceptions (.toml), comma-separated",
            "  --value-lists DIR  directory of the value lists the exceptions reference (<list id>.txt, one value per line)");

    private CheckCommand() {}

    /** Runs the command; returns the process exit code. */
    public static int run(String[] args, InputStream stdin, PrintStream out, PrintStream err) {
        boolean explain = false;
        Path ruleFile = null;
        Path fieldTypes = null;
        List<Path> exceptionFiles = new ArrayList<>();
        Path valueLists = null;
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--explain")) {
                explain = true;
            } else if (a.equals("--rule")) {
                if (i + 1 >= args.length) return usage(err, "--rule needs a file");
                ruleFile = Path.of(args[++i]);
            } else if (a.equals("--field-types")) {
                if (i + 1 >= args.length) return usage(err, "--field-types needs a file");
                fieldTypes = Path.of(args[++i]);
            } else if (a.equals("--exceptions")) {
                if (i + 1 >= args.length) return usage(err, "--exceptions needs a file");
                for (String f : args[++i].split(",")) {
                    if (!f.isBlank()) exceptionFiles.add(Path.of(f.strip()));
                }
            } else if (a.equals("--value-lists")) {
                if (i + 1 >= args.length) return usage(err, "--value-lists needs a directory");
                valueLists = Path.of(args[++i]);
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
        if (valueLists != null && !Files.isDirectory(valueLists)) return usage(err, "--value-lists: no directory " + valueLists);
        if (valueLists != null && exceptionFiles.isEmpty()) return usage(err, "--value-lists needs --exceptions");

        Checker checker;
        try {
            List<Rule> rules = ruleFile == null ? List.of(RuleLoader.loadDefault()) : RuleLoader.load(ruleFile);
            if (rules.size() != 1) return usage(err, ruleFile + " holds " + rules.size() + " rules; check takes one");
            if (fieldTypes != null) rules = List.of(rules.get(0).withFieldTypes(FieldTypes.readOverrides(fieldTypes)));
            ExceptionSet exceptions = ExceptionSet.compile(ExceptionSources.read(exceptionFiles, valueLists), rules, Detector.fieldTypes(rules));
            for (String w : exceptions.warnings()) err.println("warning: " + w);
            checker = new Checker(rules.get(0), exceptions, explain);
        } catch (RuleFormatException | ExceptionFormatException e) {
            err.println("error: " + e.getMessage());
            return 2;
        } catch (IllegalArgumentException e) { // a bad --field-types file, named in the message
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
                    checker.checkStream(in, o);
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

    /**
     * The verdicts of one rule with its exceptions. One parse serves the rule and the exceptions; an event that
     * only fails to parse because of a field an exception reads is judged by the rule alone, as the job does.
     */
    static final class Checker {
        private final Rule rule;
        private final ExceptionSet exceptions;
        private final boolean explain;
        private final Detector detector;
        private final Detector ruleOnly;
        private final String timestampField;

        Checker(Rule rule, ExceptionSet exceptions, boolean explain) {
            this.rule = rule;
            this.exceptions = exceptions;
            this.explain = explain;
            this.ruleOnly = Detector.of(List.of(rule));
            this.detector = exceptions.appliesTo(0) ? Detector.of(List.of(rule), exceptions.fields()) : ruleOnly;
            exceptions.bind(detector.schema());
            this.timestampField = rule.timestampOverride() == null ? Detector.TIMESTAMP : rule.timestampOverride();
        }

        /** Prints a verdict for each line of the stream. */
        void checkStream(InputStream in, PrintStream out) throws IOException {
            NdjsonLines lines = new NdjsonLines(in);
            while (lines.next()) verdict(lines.buffer(), lines.offset(), lines.length(), out);
        }

        private void verdict(byte[] data, int offset, int length, PrintStream out) {
            ParsedEvent e = detector.parse(data, offset, length);
            Detector used = detector;
            boolean applyExceptions = detector != ruleOnly;
            if (e.isError() && applyExceptions) {
                e = ruleOnly.parse(data, offset, length);
                used = ruleOnly;
                applyExceptions = false;
            }
            if (e.isError()) {
                out.println("error: " + e.error());
                return;
            }
            boolean match = used.matches(0, e);
            ExceptionItem excepting = match && applyExceptions ? exceptions.match(0, e, data, offset, length, executionTime(used, e)) : null;
            String verdict = excepting != null ? "excepted" : match ? "match" : "no-match";
            if (!explain) {
                out.println(verdict);
                return;
            }
            StringBuilder s = new StringBuilder(verdict);
            if (excepting != null) s.append("\texcepted by ").append(excepting.label());
            for (CompiledQuery.ClauseResult c : used.query(0).explain(e)) {
                s.append("\t").append(c.held() ? "+ " : "- ").append(c.clause());
            }
            if (!e.ignoredFields().isEmpty()) s.append("\tignored malformed: ").append(String.join(", ", e.ignoredFields()));
            out.println(s);
        }

        /**
         * The execution whose exceptions decide: the last one covering the event. An item still in force then
         * excepts the event from every execution; one that expires earlier lets that last execution alert it.
         * Without a usable timestamp, the current time.
         */
        private long executionTime(Detector d, ParsedEvent e) {
            long t = d.eventTime(e, timestampField);
            if (t == Long.MIN_VALUE) return System.currentTimeMillis();
            long interval = rule.interval().toMillis();
            return Math.floorDiv(t + rule.lookBack().toMillis(), interval) * interval;
        }
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

package org.smtpdetect.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.kql.PrebuiltRules;
import org.smtpdetect.kql.RuleEvents;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleFormatException;
import org.smtpdetect.rule.RuleLoader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Every prebuilt rule that loads, in one {@link Detector} (one parse per event, then every rule's predicate),
 * against the seed rule alone, on one thread over the same mix: the verdict corpus (network events of the seed's
 * sources) and, for every prebuilt rule, events built from its clauses (one near-positive and two near misses:
 * Windows, cloud, identity, Kubernetes sources...), shuffled with a fixed seed. Most events match no rule, as in
 * a real stream.
 *
 * <pre>mvn -B -Pbench test -Dbench.core.skip -Dbench.job.skip</pre>
 * JMH options go in {@code -Dbench.rules.args} (defaults {@code -f 1 -wi 3 -w 2s -i 5 -r 2s}, two alternating
 * rounds); the last line is the summary.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class RulesBenchmark {
    private byte[][] events;
    private int next;
    private Detector one;
    private Detector all;

    /** The prebuilt rules that load and compile, and the seed rule. */
    static List<Rule> rules() {
        List<Rule> out = new ArrayList<>(List.of(RuleLoader.loadDefault()));
        for (Rule r : PrebuiltRules.loadable()) {
            try {
                Detector.compile(r, FieldTypes.bundled());
                out.add(r);
            } catch (RuleFormatException e) {
                // not loadable
            }
        }
        return out;
    }

    static byte[][] mix(List<Rule> rules) {
        List<byte[]> out = new ArrayList<>(List.of(CoreBenchmark.corpus()));
        RuleEvents generator = new RuleEvents(FieldTypes.bundled(), new Random(3));
        for (Rule r : rules) {
            for (String e : generator.events(r.query(), 1, 2)) out.add(e.getBytes(StandardCharsets.UTF_8));
        }
        Collections.shuffle(out, new Random(5));
        return out.toArray(new byte[0][]);
    }

    @Setup
    public void setUp() {
        List<Rule> rules = rules();
        events = mix(rules);
        one = Detector.of(List.of(rules.get(0)));
        all = Detector.of(rules);
    }

    private byte[] nextEvent() {
        byte[] e = events[next];
        next = next + 1 == events.length ? 0 : next + 1;
        return e;
    }

    @Benchmark
    public boolean oneRule() {
        ParsedEvent e = one.parse(nextEvent());
        return one.matches(0, e);
    }

    @Benchmark
    public int allRules() {
        ParsedEvent e = all.parse(nextEvent());
        int matched = 0;
        for (int i = 0, n = all.rules().size(); i < n; i++) {
            if (all.matches(i, e)) matched++;
        }
        return matched;
    }

    /** The parse alone with every rule's fields: what evaluating the rules adds on top is the rest. */
    @Benchmark
    public boolean allRulesParseOnly() {
        return all.parse(nextEvent()).isError();
    }

    public static void main(String[] args) throws Exception {
        int rounds = 2;
        List<String> jmhArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--rounds")) rounds = Integer.parseInt(args[++i]);
            else jmhArgs.add(args[i]);
        }
        CommandLineOptions cli = new CommandLineOptions(jmhArgs.toArray(new String[0]));
        List<double[]> perRound = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            double single = CoreBenchmark.score(run(cli, "oneRule"), "oneRule");
            double every = CoreBenchmark.score(run(cli, "allRules"), "allRules");
            double parse = CoreBenchmark.score(run(cli, "allRulesParseOnly"), "allRulesParseOnly");
            perRound.add(new double[] {single, every, single / every, parse});
        }
        List<Rule> rules = rules();
        byte[][] mix = mix(rules);
        long bytes = 0;
        for (byte[] e : mix) bytes += e.length;
        Detector all = Detector.of(rules);
        long matches = 0;
        for (byte[] e : mix) {
            ParsedEvent p = all.parse(e);
            for (int i = 0; i < rules.size(); i++) if (all.matches(i, p)) matches++;
        }
        System.out.printf("%nmix: %d events, %.0f bytes per event on average; %d rules in one detector reading %d fields; %d matches%n",
                mix.length, (double) bytes / mix.length, rules.size(), all.schema().size(), matches);
        for (int r = 0; r < rounds; r++) {
            double[] x = perRound.get(r);
            System.out.printf("round %d: one rule %,.0f ev/s, all %d rules %,.0f ev/s, one/all %.2f; parse alone with all rules' fields %,.0f ev/s%n",
                    r + 1, x[0], rules.size(), x[1], x[2], x[3]);
        }
        double[] a = perRound.stream().mapToDouble(x -> x[0]).sorted().toArray();
        double[] b = perRound.stream().mapToDouble(x -> x[1]).sorted().toArray();
        double[] c = perRound.stream().mapToDouble(x -> x[2]).sorted().toArray();
        double[] d = perRound.stream().mapToDouble(x -> x[3]).sorted().toArray();
        System.out.printf("rules: one rule %,.0f ev/s, all %d rules %,.0f ev/s, one/all %.2f; parse alone with all rules' fields %,.0f ev/s%n",
                median(a), rules.size(), median(b), median(c), median(d));
    }

    private static double median(double[] v) {
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private static java.util.Collection<org.openjdk.jmh.results.RunResult> run(CommandLineOptions cli, String method) throws Exception {
        ChainedOptionsBuilder options = new OptionsBuilder().parent(cli).include(RulesBenchmark.class.getName() + "\\." + method + "$");
        if (!cli.getForkCount().hasValue()) options.forks(1);
        if (!cli.getWarmupIterations().hasValue()) options.warmupIterations(3);
        if (!cli.getWarmupTime().hasValue()) options.warmupTime(TimeValue.seconds(2));
        if (!cli.getMeasurementIterations().hasValue()) options.measurementIterations(5);
        if (!cli.getMeasurementTime().hasValue()) options.measurementTime(TimeValue.seconds(2));
        return new Runner(options.build()).run();
    }
}

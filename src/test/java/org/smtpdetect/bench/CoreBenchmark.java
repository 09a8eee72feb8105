package org.smtpdetect.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.smtpdetect.Corpus;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.RuleLoader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throughput of the rule core on one thread: {@link Detector#parse} plus {@link Detector#matches} over every
 * corpus event in turn (the corpus mix: real and derived ECS events plus the semantics cases), against
 * {@link TreeBaseline} ({@code ObjectMapper.readTree} plus the same field lookups and clauses) on the same
 * bytes in the same run.
 *
 * <p>Run (builds, skips the tests, runs this and then {@link JobBenchmark}):
 * <pre>mvn -B -Pbench test</pre>
 * Only this one: {@code mvn -B -Pbench test -Dbench.job.skip}. JMH options go in {@code -Dbench.core.args},
 * e.g. {@code -Dbench.core.args="-prof gc"} or {@code "-f 2 -i 10"}; defaults are {@code -f 1 -wi 3 -w 2s -i 5
 * -r 2s}, plus {@code --rounds 2}: the two benchmarks run alternately that many times, each in its own fork, so
 * load swings on a shared machine hit both. The last line printed is the summary (medians over the rounds),
 * {@code core: parse+evaluate X ev/s, baseline readTree Y ev/s, ratio Z}. Compare ratios rather than absolute
 * rates across runs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CoreBenchmark {
    private byte[][] events;
    private int next;
    private Detector detector;
    private TreeBaseline baseline;

    /** Every corpus line, in file order. */
    static byte[][] corpus() {
        List<byte[]> out = new ArrayList<>();
        for (String file : Corpus.FILES) {
            for (String line : Corpus.events(file)) out.add(line.getBytes(StandardCharsets.UTF_8));
        }
        return out.toArray(new byte[0][]);
    }

    @Setup
    public void setUp() {
        events = corpus();
        detector = Detector.of(List.of(RuleLoader.loadDefault()));
        baseline = new TreeBaseline();
    }

    private byte[] nextEvent() {
        byte[] e = events[next];
        next = next + 1 == events.length ? 0 : next + 1;
        return e;
    }

    @Benchmark
    public boolean parseAndEvaluate() {
        ParsedEvent e = detector.parse(nextEvent());
        return detector.matches(0, e);
    }

    @Benchmark
    public boolean baselineReadTree() {
        return baseline.matches(nextEvent());
    }

    public static void main(String[] args) throws Exception {
        int rounds = 2;
        List<String> jmhArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--rounds")) rounds = Integer.parseInt(args[++i]);
            else jmhArgs.add(args[i]);
        }
        CommandLineOptions cli = new CommandLineOptions(jmhArgs.toArray(new String[0]));
        // Rounds alternate the two benchmarks (each in its own fork) so a load swing on a shared machine
        // hits both; the summary takes the median of the per-round figures.
        List<double[]> perRound = new ArrayList<>();
        for (int r = 0; r < rounds; r++) {
            double core = score(run(cli, "parseAndEvaluate"), "parseAndEvaluate");
            double base = score(run(cli, "baselineReadTree"), "baselineReadTree");
            perRound.add(new double[] {core, base, core / base});
        }
        long bytes = 0;
        byte[][] corpus = corpus();
        for (byte[] e : corpus) bytes += e.length;
        System.out.printf("%ncorpus: %d events, %.0f bytes per event on average%n", corpus.length, (double) bytes / corpus.length);
        for (int r = 0; r < rounds; r++) {
            double[] x = perRound.get(r);
            System.out.printf("round %d: parse+evaluate %,.0f ev/s, baseline readTree %,.0f ev/s, ratio %.2f%n", r + 1, x[0], x[1], x[2]);
        }
        System.out.printf("core: parse+evaluate %,.0f ev/s, baseline readTree %,.0f ev/s, ratio %.2f%n",
                median(perRound, 0), median(perRound, 1), median(perRound, 2));
    }

    private static Collection<RunResult> run(CommandLineOptions cli, String method) throws Exception {
        ChainedOptionsBuilder options = new OptionsBuilder().parent(cli)
                .include(CoreBenchmark.class.getName() + "\\." + method + "$");
        if (!cli.getForkCount().hasValue()) options.forks(1);
        if (!cli.getWarmupIterations().hasValue()) options.warmupIterations(3);
        if (!cli.getWarmupTime().hasValue()) options.warmupTime(TimeValue.seconds(2));
        if (!cli.getMeasurementIterations().hasValue()) options.measurementIterations(5);
        if (!cli.getMeasurementTime().hasValue()) options.measurementTime(TimeValue.seconds(2));
        return new Runner(options.build()).run();
    }

    private static double median(List<double[]> rows, int column) {
        double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    static double score(Collection<RunResult> results, String method) {
        for (RunResult r : results) {
            if (r.getParams().getBenchmark().endsWith("." + method)) return r.getPrimaryResult().getScore();
        }
        return Double.NaN;
    }
}

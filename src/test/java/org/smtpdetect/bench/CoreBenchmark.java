package org.smtpdetect.bench;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.RuleLoader;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Throughput of the rule core on one thread, on the two {@link TrafficMix mixes}: parse plus
 * {@link Detector#matches} with the scanner (the job's path), with the Jackson reference parser, and the
 * naive {@link TreeBaseline} ({@code ObjectMapper.readTree} plus the same field lookups and clauses), all on the
 * same bytes in the same run, with JMH's GC profiler giving the bytes allocated per event.
 *
 * <p>Run (builds, skips the tests, runs this one alone):
 * <pre>mvn -B -Pbench test -Dbench.job.skip -Dbench.rules.skip</pre>
 * ({@code mvn -B -Pbench test} runs it, then {@link RulesBenchmark} and {@link JobBenchmark}). JMH options go in {@code -Dbench.core.args},
 * e.g. {@code "-f 2 -i 10"} or {@code "-prof stack"}; defaults are {@code -f 1 -wi 3 -w 2s -i 5 -r 2s}, plus
 * {@code --rounds 2}: the benchmarks run one after the other that many times, each in its own fork, so load
 * swings on a shared machine hit all of them. Then {@link InterleavedCpu} times the same contenders interleaved
 * in this JVM in CPU time, with a token-walk floor ({@code --interleaved-slices 0} skips it). The last lines
 * printed are the summary: per mix, the interleaved CPU-time figures and ratios, then JMH's events/s of each
 * parser (medians over the rounds), the scanner's ratio to the readTree baseline and bytes allocated per event.
 * Compare ratios rather than absolute rates across runs.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CoreBenchmark {
    static final String[] METHODS = {"scanner", "jacksonStreaming", "baselineReadTree"};
    static final int REALISTIC_EVENTS = 20_000;

    @Param({"realistic", "burst"})
    public String mix;

    private byte[][] events;
    private int next;
    private Detector scanner;
    private Detector jackson;
    private TreeBaseline baseline;

    @Setup(Level.Trial)
    public void setUp() {
        events = TrafficMix.of(mix, REALISTIC_EVENTS);
        scanner = Detector.of(List.of(RuleLoader.loadDefault()));
        jackson = Detector.of(List.of(RuleLoader.loadDefault()), Detector.Parser.JACKSON);
        baseline = new TreeBaseline();
    }

    private byte[] nextEvent() {
        byte[] e = events[next];
        next = next + 1 == events.length ? 0 : next + 1;
        return e;
    }

    @Benchmark
    public boolean scanner() {
        ParsedEvent e = scanner.parse(nextEvent());
        return scanner.matches(0, e);
    }

    @Benchmark
    public boolean jacksonStreaming() {
        ParsedEvent e = jackson.parse(nextEvent());
        return jackson.matches(0, e);
    }

    @Benchmark
    public boolean baselineReadTree() {
        return baseline.matches(nextEvent());
    }

    public static void main(String[] args) throws Exception {
        int rounds = 2;
        int interleavedSlices = 40;
        List<String> jmhArgs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--rounds")) rounds = Integer.parseInt(args[++i]);
            else if (args[i].equals("--interleaved-slices")) interleavedSlices = Integer.parseInt(args[++i]);
            else jmhArgs.add(args[i]);
        }
        CommandLineOptions cli = new CommandLineOptions(jmhArgs.toArray(new String[0]));
        String[] mixes = {"realistic", "burst"};
        // scores[mix][method] over rounds: events/s, and bytes allocated per event
        Map<String, List<double[]>> rates = new LinkedHashMap<>();
        Map<String, List<double[]>> allocation = new LinkedHashMap<>();
        for (int r = 0; r < rounds; r++) {
            for (String mix : mixes) {
                double[] rate = new double[METHODS.length];
                double[] bytes = new double[METHODS.length];
                for (int m = 0; m < METHODS.length; m++) {
                    RunResult result = run(cli, METHODS[m], mix);
                    rate[m] = result.getPrimaryResult().getScore();
                    Result<?> norm = result.getSecondaryResults().get("gc.alloc.rate.norm");
                    bytes[m] = norm == null ? Double.NaN : norm.getScore();
                }
                rates.computeIfAbsent(mix, k -> new ArrayList<>()).add(rate);
                allocation.computeIfAbsent(mix, k -> new ArrayList<>()).add(bytes);
            }
        }
        System.out.println();
        for (String mix : mixes) {
            byte[][] events = TrafficMix.of(mix, REALISTIC_EVENTS);
            System.out.printf("%s mix: %,d events, %.0f bytes per event on average, %.2f%% matching%n", mix, events.length,
                    TrafficMix.averageBytes(events), 100 * TrafficMix.matchShare(events));
            List<double[]> perRound = rates.get(mix);
            for (int r = 0; r < rounds; r++) {
                double[] x = perRound.get(r);
                System.out.printf("  round %d: scanner %,.0f ev/s, jackson streaming %,.0f ev/s, readTree %,.0f ev/s%n", r + 1, x[0], x[1], x[2]);
            }
        }
        List<String> interleaved = new ArrayList<>();
        if (interleavedSlices > 0) {
            for (String mix : mixes) interleaved.add(InterleavedCpu.describe(mix, InterleavedCpu.nanosPerEvent(TrafficMix.of(mix, REALISTIC_EVENTS), interleavedSlices)));
        }
        interleaved.forEach(System.out::println);
        for (String mix : mixes) {
            double scan = median(rates.get(mix), 0);
            double jackson = median(rates.get(mix), 1);
            double tree = median(rates.get(mix), 2);
            System.out.printf("core %s: scanner %,.0f ev/s (%.0f B/ev), jackson streaming %,.0f ev/s (%.0f B/ev), readTree %,.0f ev/s (%.0f B/ev); "
                            + "scanner/readTree %.2fx, scanner/jackson %.2fx%n", mix,
                    scan, median(allocation.get(mix), 0), jackson, median(allocation.get(mix), 1), tree, median(allocation.get(mix), 2),
                    scan / tree, scan / jackson);
        }
    }

    private static RunResult run(CommandLineOptions cli, String method, String mix) throws Exception {
        ChainedOptionsBuilder options = new OptionsBuilder().parent(cli)
                .include(CoreBenchmark.class.getName() + "\\." + method + "$")
                .param("mix", mix)
                .addProfiler(GCProfiler.class);
        if (!cli.getForkCount().hasValue()) options.forks(1);
        if (!cli.getWarmupIterations().hasValue()) options.warmupIterations(3);
        if (!cli.getWarmupTime().hasValue()) options.warmupTime(TimeValue.seconds(2));
        if (!cli.getMeasurementIterations().hasValue()) options.measurementIterations(5);
        if (!cli.getMeasurementTime().hasValue()) options.measurementTime(TimeValue.seconds(2));
        Collection<RunResult> results = new Runner(options.build()).run();
        if (results.isEmpty()) throw new IllegalStateException("benchmark " + method + " on the " + mix + " mix failed (see above)");
        return results.iterator().next();
    }

    /** Every corpus line, in file order (the burst mix). */
    static byte[][] corpus() {
        return TrafficMix.burst();
    }

    /** The primary score of {@code method} among JMH's results. */
    static double score(Collection<RunResult> results, String method) {
        for (RunResult r : results) {
            if (r.getParams().getBenchmark().endsWith("." + method)) return r.getPrimaryResult().getScore();
        }
        return Double.NaN;
    }

    private static double median(List<double[]> rows, int column) {
        double[] v = rows.stream().mapToDouble(r -> r[column]).sorted().toArray();
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
}

package org.smtpdetect.bench;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichFilterFunction;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.minicluster.MiniClusterConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.streaming.util.TestStreamEnvironment;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.connectors.SinkDocument;
import org.smtpdetect.connectors.file.NdjsonEventFormat;
import org.smtpdetect.job.DetectionTopology;
import org.smtpdetect.rule.EvaluatedEvent;
import org.smtpdetect.job.JobSettings;
import org.smtpdetect.job.Sinks;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleLoader;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Throughput of the whole job: the replay topology ({@link DetectionTopology} with the NDJSON file source and
 * discarding sinks for alerts, execution status and dead letters) on a local MiniCluster at parallelism 1 and
 * 2, on both {@link TrafficMix mixes}: {@code realistic} (0.1% matching; events 5 ms apart, so each execution
 * sees about 60 matches) and {@code burst} (the corpus, 35% matching; events 2 s apart, about 50 matches per
 * execution, under the rule's cap of 100). Prints events/s from job submission to completion (generation
 * excluded) and the job's own net runtime.
 *
 * <p>Run: {@code mvn -B -Pbench test -Dbench.core.skip -Dbench.rules.skip} ({@code mvn -B -Pbench test} runs it
 * after {@link CoreBenchmark} and {@link RulesBenchmark}). Options in {@code -Dbench.job.args}: {@code --events N}
 * (default 1,000,000), {@code --mix realistic,burst}, {@code --parallelism 1,2}, {@code --dir PATH} (default a
 * temporary directory, deleted afterwards).
 */
public final class JobBenchmark {
    private static final long START_MILLIS = Instant.parse("2024-01-01T00:00:00Z").toEpochMilli();
    /** Distinct realistic events generated; the input cycles them with new timestamps. */
    private static final int REALISTIC_POOL = 50_000;

    private JobBenchmark() {}

    public static void main(String[] args) throws Exception {
        long events = 1_000_000;
        Path dir = null;
        List<Integer> parallelisms = List.of(1, 2);
        List<String> mixes = List.of("realistic", "burst");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--events": events = Long.parseLong(args[++i].replace("_", "")); break;
                case "--dir": dir = Path.of(args[++i]); break;
                case "--parallelism": parallelisms = Stream.of(args[++i].split(",")).map(Integer::valueOf).toList(); break;
                case "--mix": mixes = List.of(args[++i].split(",")); break;
                default: throw new IllegalArgumentException("unknown option " + args[i] + " (--events N, --mix realistic,burst, --parallelism 1,2, --dir PATH)");
            }
        }
        boolean temporary = dir == null;
        if (temporary) dir = Files.createTempDirectory("smtp-job-benchmark");
        int maxParallelism = parallelisms.stream().max(Integer::compare).orElse(1);
        try {
            List<Rule> rules = List.of(RuleLoader.loadDefault());
            JobSettings settings = settings(rules);
            Configuration conf = new Configuration();
            conf.set(TaskManagerOptions.MANAGED_MEMORY_SIZE, MemorySize.parse("64m"));
            conf.set(TaskManagerOptions.NETWORK_MEMORY_MIN, MemorySize.parse("128m"));
            conf.set(TaskManagerOptions.NETWORK_MEMORY_MAX, MemorySize.parse("128m"));
            List<String> summary = new ArrayList<>();
            try (MiniCluster cluster = new MiniCluster(new MiniClusterConfiguration.Builder()
                    .setConfiguration(conf).setNumTaskManagers(1).setNumSlotsPerTaskManager(maxParallelism).build())) {
                cluster.start();
                boolean warm = false;
                for (String mix : mixes) {
                    byte[][] pool = TrafficMix.of(mix, REALISTIC_POOL);
                    long step = mix.equals("burst") ? 2_000 : 5;
                    if (!warm) {
                        // a short run first, so class loading and JIT of the first measured run do not count
                        Path warmUp = dir.resolve("warm-up.ndjson");
                        generate(pool, Math.min(events, 200_000), step, List.of(warmUp));
                        run(cluster, settings, List.of(warmUp), maxParallelism, Math.min(events, 200_000), "warm-up");
                        warm = true;
                    }
                    for (int p : parallelisms) {
                        // the same events and timeline for every parallelism: dealt round-robin to p files, one
                        // per reader (the file source does not split files)
                        List<Path> in = new ArrayList<>();
                        for (int f = 0; f < p; f++) in.add(dir.resolve(mix + "-" + p + "-" + f + ".ndjson"));
                        long t0 = System.nanoTime();
                        long bytes = generate(pool, events, step, in);
                        System.out.printf("%s: generated %,d events (%,d MB, %.0f bytes per event) in %.1f s%n", mix, events,
                                bytes >> 20, (double) bytes / events, (System.nanoTime() - t0) / 1e9);
                        double rate = run(cluster, settings, in, p, events, mix + " p=" + p);
                        summary.add(String.format("%s p=%d %,.0f ev/s", mix, p, rate));
                        for (Path f : in) Files.deleteIfExists(f);
                    }
                }
            }
            System.out.printf("%njob: %s (%,d events each, %d cores)%n", String.join(", ", summary), events,
                    Runtime.getRuntime().availableProcessors());
        } finally {
            if (temporary) deleteTree(dir);
        }
        System.exit(0); // Flink leaves non-daemon threads behind
    }

    static JobSettings settings(List<Rule> rules) {
        org.smtpdetect.config.JobOptions options = JobOptions.fromArgs(new String[0]);
        return new JobSettings(rules, options.text("timestamp-field"), options.duration("max-out-of-orderness"),
                options.duration("idleness"), options.bool("early-alerts"), options.text("space-id"));
    }

    /** Runs the topology once; returns events per second from submission to completion. */
    private static double run(MiniCluster cluster, JobSettings settings, List<Path> inputs, int parallelism,
                              long events, String label) throws Exception {
        StreamExecutionEnvironment env = new TestStreamEnvironment(cluster, parallelism);
        env.setRuntimeMode(RuntimeExecutionMode.STREAMING);
        FileSource<EvaluatedEvent> source = FileSource
                .forBulkFileFormat(new NdjsonEventFormat(settings.rules(), settings.timestampField()),
                        inputs.stream().map(p -> new org.apache.flink.core.fs.Path(p.toUri())).toArray(org.apache.flink.core.fs.Path[]::new))
                .build();
        DetectionTopology.defineWorkflow(env, source, settings,
                new Sinks(JobBenchmark::discard, JobBenchmark::discard, JobBenchmark::discard));
        long start = System.nanoTime();
        JobExecutionResult result = env.execute("SMTP to the Internet - benchmark " + label);
        double seconds = (System.nanoTime() - start) / 1e9;
        double rate = events / seconds;
        System.out.printf("%-14s: %,d events in %.2f s wall (net %.2f s): %,.0f ev/s; alerts %,d, status records %,d, dead letters %,d%n",
                label, events, seconds, result.getNetRuntime() / 1e3, rate,
                count(result, "alerts"), count(result, "execution-status"), count(result, "dead-letters"));
        return rate;
    }

    private static long count(JobExecutionResult result, String name) {
        Long n = result.getAccumulatorResult(name);
        return n == null ? 0 : n;
    }

    /** A sink that counts its documents (an accumulator) and drops them. */
    private static void discard(org.apache.flink.streaming.api.datastream.DataStream<SinkDocument> docs, String name) {
        docs.filter(new Counting(name)).name("count " + name).sinkTo(new DiscardingSink<>()).name("discard " + name);
    }

    private static final class Counting extends RichFilterFunction<SinkDocument> {
        private static final long serialVersionUID = 1L;
        private final String name;
        private transient LongCounter counter;

        Counting(String name) {
            this.name = name;
        }

        @Override
        public void open(OpenContext context) {
            counter = new LongCounter();
            getRuntimeContext().addAccumulator(name, counter);
        }

        @Override
        public boolean filter(SinkDocument doc) {
            counter.add(1);
            return false;
        }
    }

    /**
     * Writes {@code events} lines cycling {@code pool}, dealt round-robin to {@code files}, line i stamped
     * {@code START + i * step} (see {@link Restamped}). Returns the bytes written.
     */
    static long generate(byte[][] pool, long events, long step, List<Path> files) throws IOException {
        Restamped stamped = new Restamped(pool);
        OutputStream[] out = new OutputStream[files.size()];
        long bytes = 0;
        try {
            for (int f = 0; f < out.length; f++) out[f] = new BufferedOutputStream(Files.newOutputStream(files.get(f)), 1 << 20);
            for (long n = 0; n < events; n++) {
                OutputStream o = out[(int) (n % out.length)];
                bytes += stamped.write((int) (n % pool.length), START_MILLIS + n * step, o) + 1;
                o.write('\n');
            }
        } finally {
            for (OutputStream o : out) {
                if (o != null) o.close();
            }
        }
        return bytes;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}

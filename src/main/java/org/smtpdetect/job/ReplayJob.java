package org.smtpdetect.job;

import org.smtpdetect.rule.EvaluatedEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.connectors.SinkDocument;
import org.smtpdetect.connectors.file.NdjsonEventFormat;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Bounded replay of NDJSON files through the same topology as streaming: alerts, status records and dead
 * letters are collected to the client and written one JSON document per line. With no {@code --input}, replays
 * the bundled sample and prints alerts to stdout and a summary of the executions to stderr.
 */
public final class ReplayJob {
    static final String SAMPLE_RESOURCE = "/samples/sample-events.ndjson";
    private static final ObjectMapper JSON = new ObjectMapper();

    private ReplayJob() {}

    /** What a replay wrote, for the summary and for tests. */
    public record Result(org.apache.flink.api.common.JobID jobId, long alerts, long statuses, long deadLetters, List<JsonNode> statusRecords) {}

    public static Result run(StreamExecutionEnvironment env, JobSettings settings, JobOptions options) throws Exception {
        List<Path> inputs = new ArrayList<>();
        boolean sample = options.list("input").isEmpty();
        if (sample) {
            inputs.add(extractSample());
        } else {
            for (String in : options.list("input")) {
                Path p = Path.of(in);
                if (!Files.exists(p)) throw new IllegalArgumentException("option --input: no such file or directory " + in);
                inputs.add(p);
            }
        }
        env.setRuntimeMode(RuntimeExecutionMode.STREAMING);
        FileSource<org.smtpdetect.rule.EvaluatedEvent> source = FileSource
                .forBulkFileFormat(new NdjsonEventFormat(settings.rules(), settings.timestampField()),
                        inputs.stream().map(p -> new org.apache.flink.core.fs.Path(p.toUri())).toArray(org.apache.flink.core.fs.Path[]::new))
                .build();

        Collected alerts = new Collected();
        Collected statuses = new Collected();
        Collected deadLetters = new Collected();
        DetectionTopology.defineWorkflow(env, source, settings, new Sinks(alerts, statuses, deadLetters));

        JobClient client = env.executeAsync("SMTP to the Internet - replay");
        List<JsonNode> statusRecords = new ArrayList<>();
        AtomicLong alertCount = new AtomicLong();
        AtomicLong deadCount = new AtomicLong();
        Thread a = drain("alerts", alerts.iterator, open(options.text("output"), System.out), alertCount, null);
        Thread s = drain("status", statuses.iterator, open(options.text("status-output"), null), new AtomicLong(), statusRecords);
        Thread d = drain("dead-letters", deadLetters.iterator, open(options.text("dead-letter-output"), null), deadCount, null);
        a.join();
        s.join();
        d.join();
        client.getJobExecutionResult().get();
        Result result = new Result(client.getJobID(), alertCount.get(), statusRecords.size(), deadCount.get(), statusRecords);
        printSummary(result, System.err);
        return result;
    }

    private static Path extractSample() throws IOException {
        Path dir = Files.createTempDirectory("smtp-to-internet-sample");
        Path file = dir.resolve("sample-events.ndjson");
        try (InputStream in = ReplayJob.class.getResourceAsStream(SAMPLE_RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing resource " + SAMPLE_RESOURCE);
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        file.toFile().deleteOnExit();
        dir.toFile().deleteOnExit();
        return file;
    }

    private static Writer open(String path, PrintStream fallback) throws IOException {
        if (!path.isEmpty()) {
            Path p = Path.of(path);
            if (p.getParent() != null) Files.createDirectories(p.getParent());
            return Files.newBufferedWriter(p, StandardCharsets.UTF_8);
        }
        if (fallback == null) return null;
        return new BufferedWriter(new OutputStreamWriter(fallback, StandardCharsets.UTF_8)) {
            @Override
            public void close() throws IOException {
                flush(); // keep stdout open
            }
        };
    }

    /** Drains a collected stream on its own thread so the three outputs never back-pressure each other. */
    private static Thread drain(String name, CloseableIterator<SinkDocument> it, Writer out, AtomicLong count, List<JsonNode> keep) {
        Thread t = new Thread(() -> {
            try (CloseableIterator<SinkDocument> docs = it; Writer w = out) {
                while (docs.hasNext()) {
                    SinkDocument doc = docs.next();
                    count.incrementAndGet();
                    if (w != null) {
                        w.write(doc.json);
                        w.write('\n');
                    }
                    if (keep != null) keep.add(JSON.readTree(doc.json));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (Exception e) {
                throw new IllegalStateException("collecting " + name + " failed", e);
            }
        }, "replay-" + name);
        t.start();
        return t;
    }

    static void printSummary(Result r, PrintStream out) {
        Map<String, long[]> byExecution = new TreeMap<>();
        for (JsonNode s : r.statusRecords()) {
            long[] c = byExecution.computeIfAbsent(s.path("rule_id").asText() + " " + s.path("execution_time").asText(), k -> new long[6]);
            c[0] += s.path("candidates").asLong();
            c[1] += s.path("alerted").asLong();
            c[2] += s.path("capped").asLong();
            c[3] += s.path("late").asLong();
            c[4] += s.path("dropped").asLong();
            c[5] += s.path("excepted").asLong();
        }
        out.printf("%n%d alerts, %d dead letters; executions with candidates:%n", r.alerts(), r.deadLetters());
        out.printf("  %-20s %-36s %10s %8s %7s %5s %8s %8s%n", "execution", "rule", "candidates", "alerted", "capped", "late", "dropped", "excepted");
        byExecution.forEach((k, c) -> {
            String[] parts = k.split(" ", 2);
            out.printf("  %-20s %-36s %10d %8d %7d %5d %8d %8d%s%n", parts[1], parts[0], c[0], c[1], c[2], c[3], c[4], c[5],
                    c[2] > 0 ? "  (max alerts reached)" : "");
        });
    }

    /** A sink that streams documents back to the client. */
    private static final class Collected implements DocumentSink {
        CloseableIterator<SinkDocument> iterator;

        @Override
        public void attach(DataStream<SinkDocument> documents, String name) {
            iterator = documents.collectAsync();
        }
    }
}

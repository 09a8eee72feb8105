package org.smtpdetect.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.smtpdetect.Corpus;
import org.smtpdetect.alert.AlertIds;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.exception.KibanaExport;
import org.smtpdetect.rule.RuleLoader;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The whole job, bounded over files, on a real Flink MiniCluster at parallelism 2. */
class ReplayITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String RULE_ID = RuleLoader.loadDefault().ruleId();

    private static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1).setNumberSlotsPerTaskManager(2)
            .setConfiguration(METRICS.addToConfiguration(new Configuration())).build());

    private static long counter(ReplayJob.Result result, String name) {
        return METRICS.findMetrics(result.jobId(), name).values().stream().mapToLong(m -> ((Counter) m).getCount()).sum();
    }

    @TempDir
    Path dir;

    private ReplayJob.Result replay(List<Path> inputs, String... extraArgs) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setParallelism(2);
        env.getConfig().disableGenericTypes();
        List<String> args = new ArrayList<>(List.of(
                "--input", inputs.stream().map(Path::toString).collect(Collectors.joining(",")),
                "--output", dir.resolve("alerts.ndjson").toString(),
                "--status-output", dir.resolve("status.ndjson").toString(),
                "--dead-letter-output", dir.resolve("dead.ndjson").toString()));
        args.addAll(List.of(extraArgs));
        JobOptions options = JobOptions.fromArgs(args.toArray(new String[0]));
        return ReplayJob.run(env, DetectionJob.settings(options, DetectionJob.loadRules(options)), options);
    }

    private List<JsonNode> read(String name) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve(name))) out.add(JSON.readTree(l));
        return out;
    }

    /**
     * The corpus with timestamps 10 s apart (no 9-minute window holds more than 54 events: nothing caps), one file
     * per corpus file; adds the alert ids of the true verdicts and the coordinates of the rejected lines.
     */
    private List<Path> spreadCorpus(Set<String> expectedAlerts, Set<String> expectedDead) throws IOException {
        List<Path> inputs = new ArrayList<>();
        long t0 = Instant.parse("2024-01-01T00:00:00Z").toEpochMilli();
        int seq = 0;
        for (String file : Corpus.FILES) {
            List<String> lines = Corpus.events(file);
            List<String> verdicts = Corpus.verdicts(file, false);
            List<String> rewritten = new ArrayList<>();
            Path path = dir.resolve(file + ".ndjson");
            String origin = new org.apache.flink.core.fs.Path(path.toUri()).toString();
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                String ts = Instant.ofEpochMilli(t0 + 10_000L * seq++).toString();
                try {
                    JsonNode n = JSON.readTree(line);
                    if (n.isObject()) {
                        ((ObjectNode) n).put("@timestamp", ts);
                        line = n.toString();
                    }
                } catch (IOException notJson) {
                    // keep as is: it must become a dead letter
                }
                rewritten.add(line);
                String position = Integer.toString(i + 1);
                if (verdicts.get(i).equals("true")) expectedAlerts.add(AlertIds.alertId(origin, position, "default", RULE_ID));
                if (verdicts.get(i).startsWith("rejected")) expectedDead.add(origin + ":" + position);
            }
            Files.write(path, rewritten, StandardCharsets.UTF_8);
            inputs.add(path);
        }
        return inputs;
    }

    /** Every corpus event with verdict true alerts exactly once; nothing else does; rejected lines are dead letters. */
    @Test
    void corpusReplayAlertsExactlyTheTrueVerdicts() throws Exception {
        Set<String> expectedAlerts = new HashSet<>();
        Set<String> expectedDead = new HashSet<>();
        List<Path> inputs = spreadCorpus(expectedAlerts, expectedDead);
        ReplayJob.Result result = replay(inputs);

        List<JsonNode> alerts = read("alerts.ndjson");
        Set<String> ids = alerts.stream().map(a -> a.get("kibana.alert.uuid").asText()).collect(Collectors.toSet());
        assertThat(alerts).hasSize(expectedAlerts.size());
        assertThat(ids).isEqualTo(expectedAlerts);
        assertThat(result.alerts()).isEqualTo(627);
        assertThat(read("dead.ndjson")).extracting(d -> d.get("origin").asText() + ":" + d.get("position").asText())
                .containsExactlyInAnyOrderElementsOf(expectedDead);
        assertThat(read("status.ndjson")).allSatisfy(s -> assertThat(s.get("capped").asInt()).isZero());
        assertThat(read("status.ndjson").stream().mapToInt(s -> s.get("alerted").asInt() + s.get("late").asInt()).sum())
                .isEqualTo(expectedAlerts.size());
    }

    /**
     * A replay with rule exceptions alerts exactly the events {@code check} says {@code match} and excepts exactly
     * those it says {@code excepted} (check's verdicts equal a real Elasticsearch's, ExceptionsDifferentialITCase);
     * the status records and metric count them.
     */
    @Test
    void aReplayWithExceptionsExceptsExactlyWhatCheckExcepts() throws Exception {
        List<Path> inputs = spreadCorpus(new HashSet<>(), new HashSet<>());
        Path lists = Files.createDirectories(dir.resolve("lists"));
        Files.writeString(lists.resolve("relay-ranges.txt"), "192.168.0.0/16\n10.10.0.0-10.10.255.255\n");
        Path exceptions = KibanaExport.write(dir.resolve("relays.ndjson"), "relays", "Mail relays", List.of(
                "{\"item_id\":\"ranges\",\"list_id\":\"relays\",\"name\":\"NATed relays\",\"type\":\"simple\",\"entries\":[{\"field\":"
                        + "\"source.ip\",\"list\":{\"id\":\"relay-ranges\",\"type\":\"ip_range\"},\"operator\":\"included\",\"type\":\"list\"}]}",
                "{\"item_id\":\"submission\",\"list_id\":\"relays\",\"name\":\"Mail submission from named hosts\",\"type\":\"simple\","
                        + "\"entries\":[{\"field\":\"destination.port\",\"operator\":\"included\",\"type\":\"match\",\"value\":\"587\"},"
                        + "{\"field\":\"host.name\",\"operator\":\"included\",\"type\":\"exists\"}]}"));

        Set<String> expectedAlerts = new HashSet<>();
        int excepted = 0;
        for (Path input : inputs) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            int rc = org.smtpdetect.cli.CheckCommand.run(new String[] {"--exceptions", exceptions.toString(), "--value-lists", lists.toString(),
                    input.toString()}, InputStream.nullInputStream(), new java.io.PrintStream(out, true, StandardCharsets.UTF_8), System.err);
            assertThat(rc).isZero();
            String[] verdicts = out.toString(StandardCharsets.UTF_8).split("\n");
            String origin = new org.apache.flink.core.fs.Path(input.toUri()).toString();
            for (int i = 0; i < verdicts.length; i++) {
                if (verdicts[i].equals("match")) expectedAlerts.add(AlertIds.alertId(origin, Integer.toString(i + 1), "default", RULE_ID));
                if (verdicts[i].equals("excepted")) excepted++;
            }
        }

        ReplayJob.Result result = replay(inputs, "--exceptions", exceptions.toString(), "--value-lists", lists.toString());
        Set<String> ids = read("alerts.ndjson").stream().map(a -> a.get("kibana.alert.uuid").asText()).collect(Collectors.toSet());
        assertThat(ids).isEqualTo(expectedAlerts);
        assertThat(excepted).isBetween(50, 627 - 50);
        assertThat(expectedAlerts.size() + excepted).isEqualTo(627);
        assertThat(read("status.ndjson").stream().mapToInt(s -> s.get("excepted").asInt()).sum()).isEqualTo(excepted);
        assertThat(counter(result, "eventsExcepted")).isEqualTo(excepted);
        System.out.printf("Replay with exceptions: %d alerts, %d excepted, as check says%n", ids.size(), excepted);
    }

    /** The bundled sample: a burst past the cap is carried over, and the status records account for it. */
    @Test
    void sampleBurstIsCappedThenCarriedOverAndAccountedFor() throws Exception {
        Path sample = dir.resolve("sample.ndjson");
        try (InputStream in = ReplayJob.class.getResourceAsStream(ReplayJob.SAMPLE_RESOURCE)) {
            Files.copy(in, sample);
        }
        ReplayJob.Result result = replay(List.of(sample));

        List<JsonNode> statuses = read("status.ndjson");
        JsonNode capped = statuses.stream().filter(s -> s.get("capped").asInt() > 0).findFirst().orElseThrow();
        assertThat(capped.get("execution_time").asText()).isEqualTo("2024-05-01T10:15:00Z");
        assertThat(capped.get("alerted").asInt()).isEqualTo(100);
        assertThat(capped.get("status").asText()).isEqualTo("partial failure");
        assertThat(capped.get("message").asText()).isEqualTo(KibanaExecutions.MAX_SIGNALS_WARNING);
        JsonNode next = statuses.stream().filter(s -> s.get("execution_time").asText().equals("2024-05-01T10:20:00Z")).findFirst().orElseThrow();
        assertThat(next.get("candidates").asInt()).isGreaterThanOrEqualTo(capped.get("capped").asInt());
        assertThat(statuses.stream().mapToInt(s -> s.get("dropped").asInt()).sum()).isZero();

        List<JsonNode> alerts = read("alerts.ndjson");
        assertThat(alerts).hasSize((int) result.alerts());
        assertThat(alerts.stream().map(a -> a.get("kibana.alert.uuid").asText()).distinct().count()).isEqualTo(alerts.size());
        assertThat(statuses.stream().mapToInt(s -> s.get("alerted").asInt() + s.get("late").asInt()).sum()).isEqualTo(alerts.size());
        assertThat(read("dead.ndjson")).extracting(d -> d.get("reason").asText()).anySatisfy(r -> assertThat(r).contains("no usable timestamp"))
                .anySatisfy(r -> assertThat(r).contains("invalid JSON")).anySatisfy(r -> assertThat(r).contains("holds an object"));

        long lines = Files.readAllLines(sample).stream().filter(l -> !l.isBlank()).count();
        assertThat(counter(result, "eventsRead")).isEqualTo(lines);
        assertThat(counter(result, "eventsDeadLettered")).isEqualTo(3);
        assertThat(counter(result, "eventsParsed")).isEqualTo(lines - 3);
        assertThat(counter(result, "eventsMatched")).isEqualTo(alerts.size());
        assertThat(counter(result, "alerted")).isEqualTo(alerts.size());
        assertThat(counter(result, "capped")).isEqualTo(capped.get("capped").asLong());
        assertThat(counter(result, "lateAlerts")).isZero();

        JsonNode alert = alerts.stream().filter(a -> a.path("source").path("ip").asText().equals("10.20.1.77")).findFirst().orElseThrow();
        assertThat(alert.get("event").get("kind").asText()).isEqualTo("signal");
        assertThat(alert.get("kibana.alert.rule.consumer").asText()).isEqualTo("siem");
        assertThat(alert.get("kibana.alert.rule.rule_type_id").asText()).isEqualTo("siem.queryRule");
        assertThat(alert.get("kibana.space_ids").get(0).asText()).isEqualTo("default");
        assertThat(alert.get("kibana.alert.reason").asText()).matches(
                // Numeric ports count as absent, as in Kibana's reason_formatters.ts at 0533da2631.
                "network_traffic event with source 10\\.20\\.1\\.77 destination [0-9a-f.:]+ on [\\w-]+ created low alert SMTP to the Internet\\.");
        assertThat(alert.get("kibana.alert.ancestors").get(0).get("type").asText()).isEqualTo("event");
        assertThat(alert.get("kibana.alert.original_event.category").asText()).isEqualTo("network_traffic");
    }

    /** Early alerts: without cap pressure, the same alert set as the default mode. */
    @Test
    void earlyAlertsGiveTheSameAlertsWithoutCapPressure() throws Exception {
        Path input = dir.resolve("spread.ndjson");
        List<String> lines = new ArrayList<>();
        long t0 = Instant.parse("2024-02-01T00:00:00Z").toEpochMilli();
        List<String> events = Corpus.events("derived-events");
        for (int i = 0; i < events.size(); i++) {
            ObjectNode n = (ObjectNode) JSON.readTree(events.get(i));
            n.put("@timestamp", Instant.ofEpochMilli(t0 + 7_000L * i + (i % 5) * 20_000L).toString());
            lines.add(n.toString());
        }
        Files.write(input, lines);
        replay(List.of(input));
        Set<String> normal = read("alerts.ndjson").stream().map(a -> a.get("kibana.alert.uuid").asText()).collect(Collectors.toSet());
        replay(List.of(input), "--early-alerts", "true");
        Set<String> early = read("alerts.ndjson").stream().map(a -> a.get("kibana.alert.uuid").asText()).collect(Collectors.toSet());
        assertThat(normal).isNotEmpty().isEqualTo(early);
    }
}

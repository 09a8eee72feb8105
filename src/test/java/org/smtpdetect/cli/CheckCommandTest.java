package org.smtpdetect.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.smtpdetect.exception.KibanaExport;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.assertj.core.api.Assertions.assertThat;

class CheckCommandTest {
    private static final String MATCH = "{\"event\":{\"category\":\"network\"},\"network\":{\"transport\":\"tcp\"},"
            + "\"source\":{\"ip\":\"10.1.2.3\"},\"destination\":{\"ip\":\"8.8.8.8\",\"port\":25}}";
    private static final String MISS = "{\"event\":{\"category\":\"network\"},\"network\":{\"transport\":\"udp\"},"
            + "\"source\":{\"ip\":\"10.1.2.3\"},\"destination\":{\"ip\":\"8.8.8.8\",\"port\":25}}";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String stdin, String... args) {
        return CheckCommand.run(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String[] lines() {
        return out.toString(StandardCharsets.UTF_8).split("\n");
    }

    @Test
    void oneLinePerInputLineInOrderIncludingBlankAndBadLines() {
        assertThat(run(MATCH + "\n" + MISS + "\r\n\n[1]\n" + MATCH, "-")).isZero();
        assertThat(lines()).containsExactly("match", "no-match", "error: empty input: expected a JSON object",
                "error: not a document: expected a JSON object but found an array", "match");
    }

    @Test
    void explainShowsWhichClausesHeldAndFailed() {
        assertThat(run(MISS + "\n", "--explain", "-")).isZero();
        assertThat(lines()[0]).startsWith("no-match\t+ event.category:(network or network_traffic)\t- network.transport:tcp\t+ ");
    }

    @Test
    void readsGzipFilesAndSeveralInputs(@TempDir Path dir) throws Exception {
        Path gz = dir.resolve("events.ndjson.gz");
        try (OutputStream o = new GZIPOutputStream(Files.newOutputStream(gz))) {
            o.write((MATCH + "\n" + MISS + "\n").getBytes(StandardCharsets.UTF_8));
        }
        Path plain = dir.resolve("more.ndjson");
        Files.writeString(plain, MISS);
        assertThat(run("", gz.toString(), plain.toString())).isZero();
        assertThat(lines()).containsExactly("match", "no-match", "no-match");
    }

    @Test
    void anotherRuleCanBeChecked(@TempDir Path dir) throws Exception {
        Path rule = dir.resolve("udp.json");
        Files.writeString(rule, "{\"rule_id\":\"x\",\"name\":\"UDP\",\"description\":\"d\",\"type\":\"query\",\"language\":\"kuery\","
                + "\"query\":\"network.transport:udp\",\"index\":[\"logs-*\"],\"severity\":\"low\",\"risk_score\":1,\"author\":[\"me\"]}");
        assertThat(run(MATCH + "\n" + MISS + "\n", "--rule", rule.toString(), "-")).isZero();
        assertThat(lines()).containsExactly("no-match", "match");
    }

    private static final String RELAY = "{\"@timestamp\":\"2024-06-01T10:02:00Z\",\"event\":{\"category\":\"network\"},"
            + "\"network\":{\"transport\":\"tcp\"},\"host\":{\"name\":\"relay-1\"},\"source\":{\"ip\":\"10.20.0.25\"},"
            + "\"destination\":{\"ip\":\"8.8.8.8\",\"port\":25}}";

    private static Path relayExceptions(Path dir, String extra) {
        return KibanaExport.write(dir.resolve("relays.ndjson"), "mail-relays", "Mail relays", List.of(
                "{\"item_id\":\"nated-relays\",\"list_id\":\"mail-relays\",\"name\":\"NATed mail relays\",\"namespace_type\":\"single\","
                        + "\"type\":\"simple\"" + extra + ",\"entries\":[{\"field\":\"source.ip\",\"list\":{\"id\":\"relay-ranges\",\"type\":\"ip_range\"},"
                        + "\"operator\":\"included\",\"type\":\"list\"}]}"));
    }

    @Test
    void exceptedEventsGetTheirOwnVerdictAndExplainNamesTheItem(@TempDir Path dir) throws Exception {
        Path lists = Files.createDirectories(dir.resolve("lists"));
        Files.writeString(lists.resolve("relay-ranges.txt"), "10.20.0.0/24\n");
        String exceptions = relayExceptions(dir, "").toString();
        assertThat(run(RELAY + "\n" + MATCH + "\n" + MISS + "\n", "--exceptions", exceptions, "--value-lists", lists.toString(), "-")).isZero();
        assertThat(lines()).containsExactly("excepted", "match", "no-match");
        out.reset();
        assertThat(run(RELAY + "\n", "--explain", "--exceptions", exceptions, "--value-lists", lists.toString(), "-")).isZero();
        assertThat(lines()[0]).startsWith("excepted\texcepted by mail-relays/nated-relays \"NATed mail relays\"\t+ event.category:(network or network_traffic)\t");
    }

    @Test
    void anItemExpiredByTheLastExecutionCoveringTheEventNoLongerExceptsIt(@TempDir Path dir) throws Exception {
        Path lists = Files.createDirectories(dir.resolve("lists"));
        Files.writeString(lists.resolve("relay-ranges.txt"), "10.20.0.0/24\n");
        // The event at 10:02 is covered by the executions 10:05 and 10:10.
        String until1005 = relayExceptions(dir, ",\"expire_time\":\"2024-06-01T10:05:00.000Z\"").toString();
        assertThat(run(RELAY + "\n", "--exceptions", until1005, "--value-lists", lists.toString(), "-")).isZero();
        assertThat(lines()).containsExactly("match");
        out.reset();
        String until1010 = relayExceptions(dir, ",\"expire_time\":\"2024-06-01T10:10:00.000Z\"").toString();
        assertThat(run(RELAY + "\n", "--exceptions", until1010, "--value-lists", lists.toString(), "-")).isZero();
        assertThat(lines()).containsExactly("excepted");
    }

    @Test
    void badExceptionsFailWithTheFileLineAndField(@TempDir Path dir) throws Exception {
        String exceptions = relayExceptions(dir, "").toString();
        assertThat(run("", "--exceptions", exceptions, "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("error: " + exceptions + ":2: item 'nated-relays' entries[0]: references value list 'relay-ranges'");
        err.reset();
        assertThat(run("", "--value-lists", dir.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--value-lists needs --exceptions");
    }

    @Test
    void unusableInvocationsExitNonZeroWithUsage(@TempDir Path dir) throws Exception {
        assertThat(run("")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no input files").contains("usage: smtp-to-internet check");
        err.reset();
        assertThat(run("", dir.resolve("missing.ndjson").toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot read");
        err.reset();
        assertThat(run("", "--bogus", "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option --bogus");
        Path badRule = dir.resolve("bad.toml");
        Files.writeString(badRule, "[rule]\ntype = \"eql\"\n");
        err.reset();
        assertThat(run("", "--rule", badRule.toString(), "-")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("field 'rule.type'");
        Path badGz = dir.resolve("broken.gz");
        Files.writeString(badGz, "not gzip");
        err.reset();
        assertThat(run("", badGz.toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot read input");
    }
}

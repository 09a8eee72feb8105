package org.smtpdetect.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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

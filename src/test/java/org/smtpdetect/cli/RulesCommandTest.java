package org.smtpdetect.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class RulesCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return RulesCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String rule(String type, String query) {
        return "[metadata]\nmaturity = \"production\"\n[rule]\nrule_id = \"r-" + Math.abs(query.hashCode()) + "\"\nname = \"A rule\"\n"
                + "description = \"d\"\nauthor = [\"me\"]\nrisk_score = 21\nseverity = \"low\"\ntype = \"" + type + "\"\nlanguage = \"kuery\"\n"
                + "index = [\"logs-*\"]\nquery = '''\n" + query + "\n'''\n";
    }

    @Test
    void oneLinePerRuleInPathOrderDirectoriesRecursively(@TempDir Path dir) throws IOException {
        Files.createDirectories(dir.resolve("b/c"));
        Files.createDirectories(dir.resolve(".hidden"));
        Files.writeString(dir.resolve("b/c/z.toml"), rule("query", "process.name:cmd.exe"));
        Files.writeString(dir.resolve("b/a.toml"), rule("new_terms", "process.name:x"));
        Files.writeString(dir.resolve("a.toml"), rule("query", "no.such.field:x"));
        Files.writeString(dir.resolve(".hidden/x.toml"), rule("query", "x"));
        Files.writeString(dir.resolve("notes.txt"), "not a rule");
        assertThat(run(dir.toString())).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8).lines()).containsExactly(
                "error\t" + dir.resolve("a.toml") + "\trule r-" + Math.abs("no.such.field:x".hashCode()) + " (A rule): field 'query': field [no.such.field] "
                        + "has no type in the field type table (kql/field-types.tsv): give it its mapping type with --field-types FILE at position 0 (column 1)",
                "error\t" + dir.resolve("b/a.toml") + "\ttype new_terms is not supported (field 'rule.type'; the job runs query rules)",
                "ok\t" + dir.resolve("b/c/z.toml") + "\tr-" + Math.abs("process.name:cmd.exe".hashCode()) + "\tA rule");
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("3 rules in 3 files: 1 ok, 2 errors (33.3% ok)");
    }

    @Test
    void fieldTypesFixAMissingFieldAndDslShowsTheQuery(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("r.toml"), rule("query", "acme.score > 5 and message:\"bad thing\""));
        Files.writeString(dir.resolve("types.tsv"), "acme.score\tlong\n");
        assertThat(run("--field-types", dir.resolve("types.tsv").toString(), "--dsl", dir.resolve("r.toml").toString())).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("ok\t").contains("\t{\"bool\":{\"must\":[],\"filter\":[{\"bool\":{\"filter\":[")
                .contains("{\"range\":{\"acme.score\":{\"gt\":\"5\"}}}").contains("{\"match_phrase\":{\"message\":\"bad thing\"}}");
    }

    @Test
    void unreadablePathsAndBadOptionsExit2(@TempDir Path dir) throws IOException {
        assertThat(run(dir.resolve("missing").toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no such file or directory");
        assertThat(run()).isEqualTo(2);
        assertThat(run("--bogus", dir.toString())).isEqualTo(2);
        Files.writeString(dir.resolve("bad.tsv"), "x\tnope\n");
        assertThat(run("--field-types", dir.resolve("bad.tsv").toString(), dir.toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("bad.tsv:1");
    }
}

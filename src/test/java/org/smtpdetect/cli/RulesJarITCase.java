package org.smtpdetect.cli;

import org.junit.jupiter.api.Test;
import org.smtpdetect.kql.PrebuiltRules;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The shaded jar's {@code rules} linter runs with plain {@code java -jar}, without Flink, over the prebuilt rules. */
class RulesJarITCase {
    private static final Path JAR = Path.of(System.getProperty("project.jar", "target/smtp-to-internet.jar"));

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString(), "rules"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err.get());
    }

    @Test
    void jarLintsThePrebuiltRules() throws Exception {
        Path dir = PrebuiltRules.directory();
        Run r = run(dir.resolve("rules").toString(), dir.resolve("rules_building_block").toString());
        assertThat(r.exit()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).hasSize(454);
        assertThat(lines.stream().filter(l -> l.startsWith("ok\t"))).hasSize(445);
        assertThat(lines.get(0)).startsWith("ok\t" + dir.resolve("rules"));
        assertThat(lines.get(453)).contains(dir.resolve("rules_building_block").toString());
        assertThat(r.err()).contains("454 rules in 454 files: 445 ok, 9 errors (98.0% ok)");

        Run missing = run(dir.resolve("no-such-dir").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("no such file or directory").contains("usage: smtp-to-internet rules");
    }
}

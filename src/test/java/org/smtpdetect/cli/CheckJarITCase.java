package org.smtpdetect.cli;

import org.junit.jupiter.api.Test;
import org.smtpdetect.Corpus;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;

import static org.assertj.core.api.Assertions.assertThat;

/** The shaded jar with plain {@code java -jar}, no Flink runtime on the class path: {@code check} runs, the rest explains. */
class CheckJarITCase {
    private static final Path JAR = Path.of(System.getProperty("project.jar", "target/smtp-to-internet.jar"));

    @Test
    void jarChecksTheCorpusWithoutFlink() throws Exception {
        try (JarFile jar = new JarFile(JAR.toFile())) {
            assertThat(jar.getEntry("org/apache/flink/streaming/api/environment/StreamExecutionEnvironment.class")).isNull();
            assertThat(jar.getEntry("org/apache/flink/runtime/minicluster/MiniCluster.class")).isNull();
            assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class")).isEqualTo("org.smtpdetect.Main");
        }
        Path input = Files.createTempFile("semantics", ".ndjson");
        Files.write(input, Corpus.events("semantics-cases"));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString(), "check", input.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        List<String> lines = List.of(out.split("\n"));
        List<String> verdicts = Corpus.verdicts("semantics-cases", false);
        assertThat(lines).hasSameSizeAs(verdicts);
        for (int i = 0; i < lines.size(); i++) {
            String want = verdicts.get(i).equals("true") ? "match" : verdicts.get(i).equals("false") ? "no-match" : "error: ";
            assertThat(lines.get(i)).as("line " + (i + 1)).startsWith(want);
        }
        Process usage = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", JAR.toString(), "check").redirectOutput(new File("/dev/null")).start();
        String err = new String(usage.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(usage.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(usage.exitValue()).isEqualTo(2);
        assertThat(err).contains("usage: smtp-to-internet check");
        Files.delete(input);
    }

    /** Without Flink on the class path the jar says how to run the job instead of dying on a missing class. */
    @Test
    void everyOtherEntryPointOfThePlainJarSaysHowToUseIt() throws Exception {
        Run none = java();
        assertThat(none.exit).isEqualTo(2);
        assertThat(none.err).contains("check [--explain]").contains("--kafka.bootstrap-servers")
                .contains("flink run -c org.smtpdetect.job.DetectionJob").contains("mvn -q exec:java")
                .doesNotContain("NoClassDefFoundError").doesNotContain("Exception");
        Run streaming = java("--kafka.bootstrap-servers", "k:9092", "--es.hosts", "http://e:9200");
        assertThat(streaming.exit).isEqualTo(2);
        assertThat(streaming.err).contains("The detection job needs Flink").doesNotContain("Exception");
        Run unknown = java("frobnicate");
        assertThat(unknown.exit).isEqualTo(2);
        assertThat(unknown.err).startsWith("error: unknown mode 'frobnicate'").contains("check [--explain]");
        Run help = java("--help");
        assertThat(help.exit).isZero();
        assertThat(help.out).contains("check [--explain]").contains("--verbose");
    }

    private record Run(int exit, String out, String err) {}

    private static Run java(String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar", JAR.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        java.util.concurrent.CompletableFuture<String> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Run(p.exitValue(), out, err.get(10, TimeUnit.SECONDS));
    }
}

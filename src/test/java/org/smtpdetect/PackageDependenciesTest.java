package org.smtpdetect;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Arrows point down: the rule core knows nothing of Flink, the job, the connectors or the options; a connector uses the
 * rule core and the options but never the job wiring. Read from the sources, so a wrong import fails here, not in review.
 */
class PackageDependenciesTest {
    private static final Path MAIN = Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolve("src/main/java/org/smtpdetect");
    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);
    /** Fully qualified uses in code, e.g. {@code org.smtpdetect.job.X} without an import. */
    private static final Pattern QUALIFIED = Pattern.compile("\\b(org\\.(?:apache\\.flink|smtpdetect)\\.[\\w.]+)");

    private static final Set<String> CORE_MUST_NOT_USE = Set.of("org.apache.flink.", "org.smtpdetect.job.",
            "org.smtpdetect.connectors.", "org.smtpdetect.config.");

    @ParameterizedTest
    @ValueSource(strings = {"rule", "kql", "exception", "event", "alert", "cli"})
    void theRuleCoreUsesNeitherFlinkNorTheJobNorTheConnectors(String pkg) throws IOException {
        assertThat(uses(pkg, CORE_MUST_NOT_USE)).as("what " + pkg + "/ must not use").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"connectors", "config"})
    void connectorsAndOptionsDoNotUseTheJobWiring(String pkg) throws IOException {
        assertThat(uses(pkg, Set.of("org.smtpdetect.job."))).as("what " + pkg + "/ must not use").isEmpty();
    }

    @Test
    void theScanSeesImports() throws IOException {
        assertThat(uses("rule", Set.of("org.smtpdetect.event."))).as("the rule core's own uses").isNotEmpty();
        assertThat(uses("job", Set.of("org.apache.flink."))).as("the job's uses of Flink").isNotEmpty();
    }

    /** "File: used name" for every import or qualified name in {@code pkg} (and below) that starts with a forbidden prefix. */
    private static List<String> uses(String pkg, Set<String> forbidden) throws IOException {
        Path dir = MAIN.resolve(pkg);
        assertThat(dir).isDirectory();
        List<String> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".java"))::iterator) {
                String src = Files.readString(f, StandardCharsets.UTF_8);
                for (Pattern p : List.of(IMPORT, QUALIFIED)) {
                    Matcher m = p.matcher(src);
                    while (m.find()) {
                        String name = m.group(1);
                        if (forbidden.stream().anyMatch(name::startsWith)) found.add(MAIN.relativize(f) + ": " + name);
                    }
                }
            }
        }
        return found.stream().distinct().toList();
    }
}

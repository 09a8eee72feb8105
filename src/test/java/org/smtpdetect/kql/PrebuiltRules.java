package org.smtpdetect.kql;

import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleFormatException;
import org.smtpdetect.rule.RuleLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** The vendored prebuilt rules ({@code src/test/resources/detection-rules}, see its PROVENANCE.md). */
public final class PrebuiltRules {
    private PrebuiltRules() {}

    /** The directory of the vendored rules (a system property {@code prebuilt.rules.dir} may point elsewhere). */
    public static Path directory() {
        String other = System.getProperty("prebuilt.rules.dir");
        if (other != null && !other.isBlank()) return Path.of(other);
        try {
            return Path.of(PrebuiltRules.class.getResource("/detection-rules/PROVENANCE.md").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The rule files, in path order. */
    public static List<Path> files() {
        try (Stream<Path> walk = Files.walk(directory())) {
            return walk.filter(p -> p.toString().endsWith(".toml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every rule that loads (type, language, options); compiling is the caller's business. */
    public static List<Rule> loadable() {
        List<Rule> out = new ArrayList<>();
        for (Path f : files()) {
            try {
                out.addAll(RuleLoader.load(f));
            } catch (RuleFormatException e) {
                // counted by PrebuiltRulesTest
            }
        }
        return out;
    }
}

package org.smtpdetect.cli;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.Corpus;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.RuleLoader;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every corpus event gets exactly the verdict a real Elasticsearch gave it (ignore_malformed index). */
class CorpusVerdictsTest {

    static List<String> corpusFiles() {
        return Corpus.FILES;
    }

    @ParameterizedTest
    @MethodSource("corpusFiles")
    void checkAgreesWithElasticsearchOnEveryLine(String file) {
        List<String> events = Corpus.events(file);
        List<String> expected = Corpus.verdicts(file, false);
        assertThat(events).hasSameSizeAs(expected);

        byte[] input = (String.join("\n", events) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = CheckCommand.run(new String[] {"-"}, new ByteArrayInputStream(input), new PrintStream(out), new PrintStream(err));
        assertThat(code).as(err.toString()).isZero();

        List<String> actual = List.of(out.toString(StandardCharsets.UTF_8).split("\n"));
        assertThat(actual).hasSameSizeAs(expected);
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < expected.size(); i++) {
            String want = expected.get(i);
            String got = actual.get(i);
            boolean ok = want.equals("true") ? got.equals("match")
                    : want.equals("false") ? got.equals("no-match")
                    : got.startsWith("error: ");
            if (!ok) disagreements.add(file + ":" + (i + 1) + " expected " + want + " got " + got + "  " + events.get(i));
        }
        assertThat(disagreements).isEmpty();
    }

    /** Where a default index rejects the document, we either reject it too or ignore a malformed field. */
    @ParameterizedTest
    @MethodSource("corpusFiles")
    void strictRejectionsAreExactlyTheMalformedOrInvalidEvents(String file) {
        Detector detector = Detector.of(List.of(RuleLoader.loadDefault()));
        List<String> events = Corpus.events(file);
        List<String> strict = Corpus.verdicts(file, true);
        List<String> disagreements = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            ParsedEvent e = detector.parse(events.get(i).getBytes(StandardCharsets.UTF_8));
            boolean weReject = e.isError() || !e.ignoredFields().isEmpty();
            if (weReject != strict.get(i).startsWith("rejected")) {
                disagreements.add(file + ":" + (i + 1) + " strict " + strict.get(i) + " but error=" + e.error() + " ignored=" + e.ignoredFields());
            }
        }
        assertThat(disagreements).isEmpty();
    }
}

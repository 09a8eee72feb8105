package org.smtpdetect;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The verdict corpus in src/test/resources/corpus: events and the verdicts a real Elasticsearch gave. */
public final class Corpus {
    public static final List<String> FILES = List.of("real-events", "derived-events", "semantics-cases");

    private Corpus() {}

    public static List<String> lines(String name) {
        try (InputStream in = Corpus.class.getResourceAsStream("/corpus/" + name)) {
            if (in == null) throw new IllegalStateException("missing test resource corpus/" + name);
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            List<String> out = new ArrayList<>(List.of(text.split("\n", -1)));
            if (!out.isEmpty() && out.get(out.size() - 1).isEmpty()) out.remove(out.size() - 1);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<String> events(String file) {
        return lines(file + ".ndjson");
    }

    /** The verdict column of {@code file.verdicts} (or {@code .strict-verdicts}), checking line numbers. */
    public static List<String> verdicts(String file, boolean strict) {
        List<String> out = new ArrayList<>();
        List<String> rows = lines(file + (strict ? ".strict-verdicts" : ".verdicts"));
        for (int i = 0; i < rows.size(); i++) {
            String[] cols = rows.get(i).split("\t");
            if (Integer.parseInt(cols[0]) != i + 1) throw new IllegalStateException(file + " verdict rows out of order at " + (i + 1));
            out.add(cols[1]);
        }
        return out;
    }
}

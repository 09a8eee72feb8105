package org.smtpdetect.exception;

import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds Kibana exception exports and value lists in a directory, and evaluates events against them. */
final class Exceptions {
    static final Rule SEED = RuleLoader.loadDefault();
    /** An execution time after every expire_time the tests use unless they say otherwise. */
    static final long NOW = java.time.Instant.parse("2024-06-01T10:00:00Z").toEpochMilli();

    private final Path dir;
    private final List<String> items = new ArrayList<>();
    private int n;

    Exceptions(Path dir) {
        this.dir = dir;
    }

    /** Adds an item to list {@code relay-exceptions} with these entries (a JSON array) and extra item fields. */
    Exceptions item(String entries, String... extra) {
        n++;
        StringBuilder b = new StringBuilder("{\"item_id\":\"item-" + n + "\",\"list_id\":\"relay-exceptions\",\"name\":\"item " + n
                + "\",\"namespace_type\":\"single\",\"type\":\"simple\",\"entries\":" + entries);
        for (String e : extra) b.append(',').append(e);
        items.add(b.append('}').toString());
        return this;
    }

    Exceptions valueList(String id, String... lines) {
        try {
            Files.createDirectories(dir.resolve("lists"));
            Files.writeString(dir.resolve("lists").resolve(id + ".txt"), String.join("\n", lines) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return this;
    }

    /** The export as Kibana writes it: the list, its items, the summary line. */
    Path write() {
        return KibanaExport.write(dir.resolve("relay-exceptions.ndjson"), "relay-exceptions", "Relays", items);
    }

    ExceptionSources sources() {
        Path file = write();
        return ExceptionSources.read(List.of(file), Files.isDirectory(dir.resolve("lists")) ? dir.resolve("lists") : null);
    }

    Compiled compile() {
        return new Compiled(ExceptionSet.compile(sources(), List.of(SEED), FieldTypes.ecs()));
    }

    /** A compiled set with a parser over the seed rule's fields and the exceptions' fields. */
    static final class Compiled {
        final ExceptionSet set;
        final Detector detector;

        Compiled(ExceptionSet set) {
            this.set = set;
            this.detector = Detector.of(List.of(SEED), set.fields());
            set.bind(detector.schema());
        }

        ExceptionItem match(String event, long at) {
            byte[] b = event.getBytes(StandardCharsets.UTF_8);
            ParsedEvent e = detector.parse(b);
            if (e.isError()) throw new IllegalArgumentException(e.error());
            return set.match(0, e, b, 0, b.length, at);
        }

        boolean excepts(String event) {
            return match(event, NOW) != null;
        }

        long exceptedUntil(String event) {
            byte[] b = event.getBytes(StandardCharsets.UTF_8);
            return set.exceptedUntil(0, detector.parse(b), b, 0, b.length);
        }
    }

    static String entry(String type, String field, String operator, String valueJson) {
        return "{\"field\":\"" + field + "\",\"operator\":\"" + operator + "\",\"type\":\"" + type + "\""
                + (valueJson == null ? "" : ",\"value\":" + valueJson) + "}";
    }

    static String list(String field, String operator, String id, String type) {
        return "{\"field\":\"" + field + "\",\"list\":{\"id\":\"" + id + "\",\"type\":\"" + type + "\"},\"operator\":\"" + operator
                + "\",\"type\":\"list\"}";
    }

}

package org.smtpdetect.exception;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.smtpdetect.event.FieldTypes;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.smtpdetect.exception.Exceptions.entry;
import static org.smtpdetect.exception.Exceptions.list;

/** The formats, and bad input failing fast with the file, the line and the field. */
class ExceptionFilesTest {
    @TempDir
    Path dir;

    private static final String TOML = String.join("\n",
            "[metadata]",
            "creation_date = \"2024/05/01\"",
            "list_name = \"Mail relays\"",
            "rule_ids = [\"67a9beba-830d-4035-bfe8-40b7e28f8ac4\"]",
            "rule_names = [\"SMTP to the Internet\"]",
            "updated_date = \"2024/05/01\"",
            "",
            "[[exceptions]]",
            "",
            "[exceptions.container]",
            "description = \"NATed servers that relay mail\"",
            "list_id = \"mail-relays\"",
            "name = \"Mail relays\"",
            "namespace_type = \"single\"",
            "tags = []",
            "type = \"detection\"",
            "",
            "[[exceptions.items]]",
            "comments = []",
            "description = \"The relays\"",
            "list_id = \"mail-relays\"",
            "item_id = \"relay-hosts\"",
            "name = \"Relay hosts\"",
            "namespace_type = \"single\"",
            "tags = []",
            "type = \"simple\"",
            "",
            "[[exceptions.items.entries]]",
            "field = \"host.name\"",
            "type = \"match_any\"",
            "operator = \"included\"",
            "value = [\"relay-1\", \"relay-2\"]",
            "",
            "[[exceptions.items.entries]]",
            "field = \"source.ip\"",
            "type = \"list\"",
            "operator = \"included\"",
            "",
            "[exceptions.items.entries.list_vals]",
            "id = \"relay-ranges\"",
            "type = \"ip_range\"",
            "",
            "[[exceptions.items]]",
            "comments = []",
            "description = \"Invoices\"",
            "list_id = \"mail-relays\"",
            "item_id = \"invoices\"",
            "name = \"Invoice mailer\"",
            "namespace_type = \"single\"",
            "tags = []",
            "type = \"simple\"",
            "expire_time = \"2030-01-01T00:00:00.000Z\"",
            "",
            "[[exceptions.items.entries]]",
            "field = \"email.attachments\"",
            "type = \"nested\"",
            "",
            "[[exceptions.items.entries.entries]]",
            "field = \"file.name\"",
            "type = \"match\"",
            "operator = \"included\"",
            "value = \"invoice.pdf\"",
            "");

    private Exceptions.Compiled compile(ExceptionSources sources) {
        return new Exceptions.Compiled(ExceptionSet.compile(sources, List.of(Exceptions.SEED), FieldTypes.ecs()));
    }

    @Test
    void detectionRulesTomlWithListValsAndNestedEntries() throws Exception {
        Path file = Files.writeString(dir.resolve("mail-relays_exceptions.toml"), TOML);
        Path lists = Files.createDirectories(dir.resolve("lists"));
        Files.writeString(lists.resolve("relay-ranges.txt"), "10.20.0.0/16\n");
        Exceptions.Compiled c = compile(ExceptionSources.read(List.of(file), lists));
        assertThat(c.set.summary()).isEqualTo("1 list, 2 items, 1 value list");
        assertThat(c.match("{\"host\":{\"name\":\"relay-2\"},\"source\":{\"ip\":\"10.20.1.1\"}}", Exceptions.NOW).label())
                .isEqualTo("mail-relays/relay-hosts \"Relay hosts\"");
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-2\"},\"source\":{\"ip\":\"10.21.1.1\"}}")).isFalse();
        assertThat(c.match("{\"email\":{\"attachments\":[{\"file\":{\"name\":\"invoice.pdf\"}}]}}", Exceptions.NOW).itemId()).isEqualTo("invoices");
    }

    @Test
    void tomlErrorsNameTheEntrysLine() throws Exception {
        Path file = Files.writeString(dir.resolve("bad.toml"), TOML.replace("value = \"invoice.pdf\"", "value = \"invoice.pdf\"\n"
                + "\n[[exceptions.items.entries]]\nfield = \"source.ip\"\ntype = \"match\"\noperator = \"included\"\nvalue = \"10.0.0.300\""));
        Path lists = Files.createDirectories(dir.resolve("lists"));
        Files.writeString(lists.resolve("relay-ranges.txt"), "10.20.0.0/16\n");
        ExceptionSources sources = ExceptionSources.read(List.of(file), lists);
        assertThatThrownBy(() -> compile(sources)).isInstanceOf(ExceptionFormatException.class)
                .hasMessageContaining("bad.toml:64: item 'invoices' entries[1] field 'value': '10.0.0.300' is not an IP address");
    }

    @Test
    void severalListsPerFileAndSeveralFiles() throws Exception {
        Path one = KibanaExport.write(dir.resolve("a.ndjson"), "relays-a", "A",
                List.of(item("a1", "relays-a", entry("match", "host.name", "included", "\"a\""))));
        String b = KibanaExport.text("relays-b", "B", List.of(item("b1", "relays-b", entry("match", "host.name", "included", "\"b\""))));
        String c = KibanaExport.text("relays-c", "C", List.of(item("c1", "relays-c", entry("match", "host.name", "included", "\"c\""))));
        Path two = Files.writeString(dir.resolve("bc.ndjson"), b + c);
        Exceptions.Compiled set = compile(ExceptionSources.read(List.of(one, two), null));
        assertThat(set.set.summary()).isEqualTo("3 lists, 3 items, 0 value lists");
        for (String host : List.of("a", "b", "c")) assertThat(set.excepts("{\"host\":{\"name\":\"" + host + "\"}}")).isTrue();
        Path again = KibanaExport.write(dir.resolve("again.ndjson"), "relays-a", "A again", List.of());
        assertThatThrownBy(() -> compile(ExceptionSources.read(List.of(one, again), null)))
                .hasMessageContaining("again.ndjson:1: list 'relays-a' is also defined at " + one + ":1");
    }

    private static String item(String itemId, String listId, String... entries) {
        return "{\"item_id\":\"" + itemId + "\",\"list_id\":\"" + listId + "\",\"name\":\"" + itemId + "\",\"namespace_type\":\"single\","
                + "\"type\":\"simple\",\"entries\":[" + String.join(",", entries) + "]}";
    }

    /** Each bad item, alone in an export written as line 2, fails with this message. */
    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "{\"field\":\"host.name\",\"operator\":\"included\",\"type\":\"regex\",\"value\":\"x\"} | line 2: field 'entries[0].type' unknown entry type 'regex'",
        "{\"field\":\"no.such.field\",\"operator\":\"included\",\"type\":\"match\",\"value\":\"x\"} | line 2: item 'bad' entries[0] field 'field': [no.such.field] has no known type",
        "{\"field\":\"source.ip\",\"operator\":\"included\",\"type\":\"match\",\"value\":\"10.0.0.1 \"} | line 2: item 'bad' entries[0] field 'value': '10.0.0.1 ' is not an IP address",
        "{\"field\":\"source.ip\",\"operator\":\"included\",\"type\":\"match\",\"value\":\"::ffff:10.0.0.0/104\"} | line 2: item 'bad' entries[0] field 'value': '::ffff:10.0.0.0/104' is not an IP address",
        "{\"field\":\"destination.port\",\"operator\":\"included\",\"type\":\"match_any\",\"value\":[\"25\",\"smtp\"]} | line 2: item 'bad' entries[0] field 'value': 'smtp' is not a number",
        "{\"field\":\"source.ip\",\"operator\":\"included\",\"type\":\"wildcard\",\"value\":\"10.*\"} | line 2: item 'bad' entries[0] field 'value': wildcard queries only work on keyword fields",
        "{\"field\":\"destination.port\",\"operator\":\"excluded\",\"type\":\"wildcard\",\"value\":\"2*\"} | line 2: item 'bad' entries[0] field 'value': wildcard queries only work on keyword fields",
        "{\"field\":\"host\",\"type\":\"nested\",\"entries\":[{\"field\":\"name\",\"operator\":\"included\",\"type\":\"match\",\"value\":\"x\"}]} | line 2: item 'bad' entries[0] field 'field': [host] is not mapped as nested",
        "{\"field\":\"email.attachments.file.name\",\"operator\":\"included\",\"type\":\"match\",\"value\":\"x\"} | lies under the nested field [email.attachments]; Elasticsearch matches it only inside a nested entry",
        "{\"field\":\"email.attachments\",\"type\":\"nested\",\"entries\":[{\"field\":\"file.name\",\"operator\":\"included\",\"type\":\"wildcard\",\"value\":\"x*\"}]} | line 2: field 'entries[0].entries[0].type' is 'wildcard'; inside a nested entry Kibana allows only match, match_any and exists",
        "{\"field\":\"host.name\",\"operator\":\"is\",\"type\":\"match\",\"value\":\"x\"} | line 2: field 'entries[0].operator' must be included or excluded",
        "{\"field\":\"host.name\",\"operator\":\"included\",\"type\":\"match\"} | line 2: field 'entries[0].value' is required",
        "{\"field\":\"host.name\",\"operator\":\"included\",\"type\":\"match_any\",\"value\":[]} | line 2: field 'entries[0].value' must be a non-empty array",
        "{\"field\":\"source.ip\",\"list\":{\"id\":\"ports\",\"type\":\"long\"},\"operator\":\"included\",\"type\":\"list\"} | line 2: field 'entries[0].list.type' is 'long': Kibana inlines only keyword, ip and ip_range value lists",
        "{\"field\":\"source.ip\",\"list\":{\"id\":\"../etc/passwd\",\"type\":\"ip\"},\"operator\":\"included\",\"type\":\"list\"} | line 2: field 'entries[0].list.id' '../etc/passwd' cannot name a value-list file",
    })
    void badEntriesFailNamingFileLineAndField(String entry, String message) {
        Path file = KibanaExport.write(dir.resolve("bad.ndjson"), "relays", "Relays", List.of(item("bad", "relays", entry)));
        assertThatThrownBy(() -> compile(ExceptionSources.read(List.of(file), dir)))
                .isInstanceOf(ExceptionFormatException.class)
                .hasMessageStartingWith(file.toString() + ":2")
                .hasMessageContaining(message.replace("line 2: ", ""));
    }

    @ParameterizedTest(name = "{1}")
    @CsvSource(delimiter = '|', value = {
        "\"os_types\":[\"android\"]                 | field 'os_types' holds 'android'; Kibana knows linux, macos and windows",
        "\"expire_time\":\"tomorrow\"               | field 'expire_time' must be an ISO 8601 date-time",
        "\"type\":\"simple\",\"item_id\":\"\"        | field 'item_id' is required",
    })
    void badItemFieldsFailNamingTheField(String extra, String message) {
        String item = "{\"list_id\":\"relays\",\"name\":\"n\",\"item_id\":\"bad\",\"entries\":[" + entry("match", "host.name", "included", "\"x\"")
                + "]," + extra + "}";
        Path file = KibanaExport.write(dir.resolve("bad.ndjson"), "relays", "Relays", List.of(item));
        assertThatThrownBy(() -> compile(ExceptionSources.read(List.of(file), null)))
                .isInstanceOf(ExceptionFormatException.class).hasMessageStartingWith(file + ":2").hasMessageContaining(message);
    }

    @Test
    void listsAndItemsThatDoNotBelong() throws Exception {
        Path orphan = KibanaExport.write(dir.resolve("orphan.ndjson"), "relays", "Relays",
                List.of(item("x", "other", entry("match", "host.name", "included", "\"x\""))));
        assertThatThrownBy(() -> ExceptionSources.read(List.of(orphan), null))
                .hasMessageContaining(orphan + ":2: field 'list_id' names list 'other' (namespace single), which this file does not define");
        Path twice = KibanaExport.write(dir.resolve("twice.ndjson"), "relays", "Relays", List.of(
                item("x", "relays", entry("match", "host.name", "included", "\"x\"")),
                item("x", "relays", entry("match", "host.name", "included", "\"y\""))));
        assertThatThrownBy(() -> ExceptionSources.read(List.of(twice), null))
                .hasMessageContaining(twice + ":3: item 'x': item_id 'x' appears twice in list 'relays'");
        Path artifact = Files.writeString(dir.resolve("trusted.ndjson"),
                "{\"list_id\":\"endpoint_trusted_apps\",\"name\":\"t\",\"namespace_type\":\"agnostic\",\"type\":\"endpoint_trusted_apps\"}\n");
        assertThatThrownBy(() -> ExceptionSources.read(List.of(artifact), null))
                .hasMessageContaining(artifact + ":1: field 'type' is 'endpoint_trusted_apps'");
        Path notJson = Files.writeString(dir.resolve("broken.ndjson"), "{\"list_id\":\"relays\"}\n{\"item_id\": \n");
        assertThatThrownBy(() -> ExceptionSources.read(List.of(notJson), null)).hasMessageStartingWith(notJson + ":2: not valid JSON");
        assertThatThrownBy(() -> ExceptionSources.read(List.of(dir.resolve("missing.ndjson")), null))
                .hasMessageContaining("missing.ndjson: no such exceptions file");
        Path csv = Files.writeString(dir.resolve("relays.csv"), "x");
        assertThatThrownBy(() -> ExceptionSources.read(List.of(csv), null)).hasMessageContaining("unknown exceptions format");
    }

    @Test
    void valueListProblems() throws Exception {
        Path file = KibanaExport.write(dir.resolve("lists.ndjson"), "relays", "Relays",
                List.of(item("by-range", "relays", list("source.ip", "included", "relay-ranges", "ip_range"))));
        assertThatThrownBy(() -> ExceptionSources.read(List.of(file), null))
                .hasMessageContaining(file + ":2: item 'by-range' entries[0]: references value list 'relay-ranges': give the directory of value-list files with --value-lists");
        Path lists = Files.createDirectories(dir.resolve("lists"));
        assertThatThrownBy(() -> ExceptionSources.read(List.of(file), lists))
                .hasMessageContaining(file + ":2: item 'by-range' entries[0]: value list 'relay-ranges' has no file relay-ranges.txt in " + lists);

        Path ranges = Files.writeString(lists.resolve("relay-ranges.txt"), "10.0.0.0/8\n\n192.168.0.1-192.168.0.300\n");
        assertThatThrownBy(() -> compile(ExceptionSources.read(List.of(file), lists)))
                .hasMessageStartingWith(ranges + ":3: value '192.168.0.1-192.168.0.300' of ip_range value list 'relay-ranges': "
                        + "'192.168.0.300' is not an IP address").hasMessageContaining("used by " + file + ":2: item 'by-range' entries[0]");

        List<String> many = new ArrayList<>();
        for (int i = 0; i < 201; i++) many.add("10.0." + (i / 250) + "." + (i % 250) + "-10.0." + (i / 250) + "." + (i % 250));
        Files.write(ranges, many);
        assertThatThrownBy(() -> compile(ExceptionSources.read(List.of(file), lists)))
                .hasMessageContaining("holds 201 ranges or single addresses; Kibana inlines at most 200");

        List<String> huge = new ArrayList<>();
        for (int i = 0; i < 65_537; i++) huge.add("10." + (i >> 16) + "." + ((i >> 8) & 255) + "." + (i & 255) + "/32");
        Files.write(ranges, huge);
        assertThatThrownBy(() -> compile(ExceptionSources.read(List.of(file), lists)))
                .hasMessageContaining("holds 65537 values; Kibana inlines at most 65536");
    }

    /** The example in src/main/resources/samples/exceptions (the README runs it on the bundled sample) loads and does what it says. */
    @Test
    void theRepositorysExampleLoads() {
        Path root = Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolve("src/main/resources/samples/exceptions");
        Exceptions.Compiled c = compile(ExceptionSources.read(List.of(root.resolve("mail-relays.ndjson")), root.resolve("value-lists")));
        assertThat(c.set.summary()).isEqualTo("1 list, 2 items, 1 value list");
        assertThat(c.set.warnings()).isEmpty();
        assertThat(c.match("{\"source\":{\"ip\":\"192.168.10.19\"}}", Exceptions.NOW).label()).isEqualTo("mail-relays/nated-relays \"NATed mail relays\"");
        String sensor = "{\"host\":{\"name\":\"zeek-sensor-1\"},\"destination\":{\"port\":25}}";
        assertThat(c.match(sensor, java.time.Instant.parse("2024-05-01T10:20:00Z").toEpochMilli())).isNotNull();
        assertThat(c.match(sensor, java.time.Instant.parse("2024-05-01T10:25:00Z").toEpochMilli())).isNull();
    }

    @Test
    void valueListImportRulesBlankLinesTrimAndDuplicates() {
        ValueList l = ValueList.parse("x", "x.txt", "\uFEFF a\r\n\n\u00A0b\u3000\rb\n a \n   \n");
        assertThat(l.values()).containsExactly("a", "b");
        assertThat(l.lines()).containsExactly(1, 3);
    }
}

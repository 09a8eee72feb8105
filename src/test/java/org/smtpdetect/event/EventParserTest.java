package org.smtpdetect.event;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The reference parser's behaviour; {@link EventScannerTest} runs the same tests on the scanner. */
class EventParserTest {
    private static final FieldSchema SCHEMA;

    static {
        Map<String, FieldType> f = new LinkedHashMap<>();
        f.put("destination.ip", FieldType.IP);
        f.put("destination.port", FieldType.LONG);
        f.put("event.category", FieldType.KEYWORD);
        f.put("@timestamp", FieldType.DATE);
        SCHEMA = FieldSchema.of(f);
    }

    /** The parser under test. */
    EventReader reader(FieldSchema schema) {
        return new EventParser(schema);
    }

    private final EventReader parser = reader(SCHEMA);

    private FieldValues values(String json, String field) {
        ParsedEvent e = parser.parse(json);
        assertThat(e.isError()).as(e.error()).isFalse();
        return e.values(SCHEMA.slotOf(field));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "25          | 25", "\"25\"  | 25", "25.0  | 25", "\"25.0\" | 25", "25.9 | 25", "\"+25\" | 25",
        "\"025\"     | 25", "\"2.5e1\" | 25", "-25.9 | -25", "\"-0\" | 0", "[80, \"25\"] | 80,25",
    })
    void longsCoerceLikeElasticsearch(String json, String expected) {
        FieldValues v = values("{\"destination\":{\"port\":" + json + "}}", "destination.port");
        StringBuilder got = new StringBuilder();
        for (int i = 0; i < v.size(); i++) got.append(i > 0 ? "," : "").append(v.longAt(i));
        assertThat(got.toString()).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"25 \"", "\" 25\"", "\"0x19\"", "true", "\"587abc\"", "\"NaN\"", "9223372036854775808",
        "1e19", "\"1e19\"",
    })
    void malformedLongsAreIgnoredAndRemembered(String json) {
        ParsedEvent e = parser.parse("{\"destination\":{\"port\":" + json + "}}");
        assertThat(e.isError()).isFalse();
        assertThat(e.values(SCHEMA.slotOf("destination.port")).isEmpty()).isTrue();
        assertThat(e.ignoredFields()).containsExactly("destination.port");
    }

    @Test
    void emptyStringInALongFieldIsNullNotMalformed() {
        ParsedEvent e = parser.parse("{\"destination\":{\"port\":\"\"}}");
        assertThat(e.values(SCHEMA.slotOf("destination.port")).isEmpty()).isTrue();
        assertThat(e.ignoredFields()).isEmpty();
    }

    @Test
    void malformedValueInAnArrayDropsOnlyThatValue() {
        ParsedEvent e = parser.parse("{\"destination\":{\"ip\":[\"bad\",\"8.8.8.8\"]}}");
        assertThat(e.values(SCHEMA.slotOf("destination.ip")).toString()).isEqualTo("[8.8.8.8]");
        assertThat(e.ignoredFields()).containsExactly("destination.ip");
    }

    @Test
    void nestedDottedAndMixedShapesReachTheSameField() {
        for (String json : new String[] {
            "{\"destination\":{\"ip\":\"8.8.8.8\"}}",
            "{\"destination.ip\":\"8.8.8.8\"}",
            "{\"destination\":[{\"ip\":\"8.8.8.8\"}]}",
            "{\"destination\":{\"ip\":[[\"8.8.8.8\"]]}}",
        }) {
            assertThat(values(json, "destination.ip").toString()).as(json).isEqualTo("[8.8.8.8]");
        }
        assertThat(values("{\"destination.ip\":\"1.1.1.1\",\"destination\":{\"ip\":\"2.2.2.2\"}}", "destination.ip").toString())
                .isEqualTo("[1.1.1.1, 2.2.2.2]");
        assertThat(values("{\"destination\":[{\"ip\":\"8.8.8.8\",\"port\":80},{\"ip\":\"9.9.9.9\",\"port\":25}]}", "destination.port").toString())
                .isEqualTo("[80, 25]");
    }

    @Test
    void unknownFieldsAreSkippedWithoutBeingParsed() {
        FieldValues v = values("{\"x\":{\"deep\":[1,{\"a\":\"b\"},[null]]},\"destination\":{\"port\":25,\"other\":{}},\"y\":\"z\"}", "destination.port");
        assertThat(v.toString()).isEqualTo("[25]");
    }

    @Test
    void keywordsKeepNumbersAndBooleansAsText() {
        assertThat(values("{\"event\":{\"category\":[25, true, 2.50]}}", "event.category").toString()).isEqualTo("[25, true, 2.50]");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"2024-05-01T10:20:30.123Z\"      | 2024-05-01T10:20:30.123Z",
        "\"2024-05-01T12:20:30.123+02:00\" | 2024-05-01T10:20:30.123Z",
        "\"2024-05-01T10:20:30.123456789Z\" | 2024-05-01T10:20:30.123Z",
        "\"2024-05-01\"                    | 2024-05-01T00:00:00Z",
        "\"2024-05-01T10:20\"              | 2024-05-01T10:20:00Z",
        "1714558830123                     | 2024-05-01T10:20:30.123Z",
        "\"1714558830123\"                 | 2024-05-01T10:20:30.123Z",
    })
    void datesParseWithElasticsearchDefaultFormat(String json, String instant) {
        assertThat(values("{\"@timestamp\":" + json + "}", "@timestamp").toString()).isEqualTo("[" + instant + "]");
    }

    @Test
    void malformedDatesAreIgnored() {
        for (String bad : new String[] {"\"yesterday\"", "\"2024-13-01\"", "\"2024-02-30T00:00:00Z\"", "true", "\"\""}) {
            ParsedEvent e = parser.parse("{\"@timestamp\":" + bad + "}");
            assertThat(e.ignoredFields()).as(bad).containsExactly("@timestamp");
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"destination\":{\"port\":{\"number\":25}}} | field [destination.port] holds an object where a value belongs",
        "{\"destination.port.number\":25}          | field [destination.port] holds an object where a value belongs",
        "{\"destination\":{\"port.number\":25}}     | field [destination.port] holds an object where a value belongs",
        "{\"destination\":\"8.8.8.8\"}              | field [destination] holds a value (8.8.8.8) where an object belongs",
        "[{\"a\":1}]                                | expected a JSON object but found an array",
        "\"just a string\"                          | expected a JSON object but found a string",
        "{\"a\":1                                   | invalid JSON",
        "{\"a\":1}{\"b\":2}                         | unexpected content after the JSON object",
        "{\"a\":1,\"a\":2}                          | Duplicate field 'a'",
        "not json                                   | invalid JSON",
        "''                                         | empty input",
    })
    void inputThatIsNotADocumentGetsAReasonNeverAnException(String input, String reason) {
        ParsedEvent e = parser.parse(input);
        assertThat(e.isError()).isTrue();
        assertThat(e.error()).contains(reason);
    }

    @Test
    void invalidUtf8AndDeepNestingAreErrorsNotCrashes() {
        ParsedEvent e = parser.parse(new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'});
        assertThat(e.isError()).isTrue();
        ParsedEvent deep = parser.parse("{\"a\":" + "[".repeat(5000) + "]".repeat(5000) + "}");
        assertThat(deep.isError()).isTrue();
        assertThat(deep.error()).contains("depth");
    }

    @Test
    void commentsAreAllowedAsElasticsearchAllowsThem() {
        assertThat(values("{/* beat */\"destination\":{\"port\":25} // trailing\n}", "destination.port").toString()).isEqualTo("[25]");
    }

    @Test
    void aDoubleAfterAnIntegerOutsideTheLongRangeKeepsItsOwnValue() {
        Map<String, FieldType> f = new LinkedHashMap<>();
        f.put("a", FieldType.LONG);
        f.put("b", FieldType.DOUBLE);
        EventReader p = reader(FieldSchema.of(f));
        ParsedEvent e = p.parse("{\"a\":12345678901234567890,\"b\":1}");
        assertThat(e.ignoredFields()).containsExactly("a");
        assertThat(e.values(1).doubleAt(0)).isEqualTo(1.0);
    }

    @Test
    void parserIsReusableAfterErrors() {
        assertThat(parser.parse("{oops").isError()).isTrue();
        assertThat(values("{\"destination\":{\"port\":25}}", "destination.port").toString()).isEqualTo("[25]");
    }
}

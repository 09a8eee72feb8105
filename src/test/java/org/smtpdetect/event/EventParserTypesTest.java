package org.smtpdetect.event;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the parser extracts for text, wildcard and flattened fields (the cases a real 8.19 node confirmed). */
class EventParserTypesTest {
    private static final FieldSchema SCHEMA;

    static {
        Map<String, FieldType> f = new LinkedHashMap<>();
        f.put("k", FieldType.KEYWORD);
        f.put("w", FieldType.WILDCARD);
        f.put("t", FieldType.TEXT);
        f.put("fl", FieldType.FLATTENED);
        f.put("fk.a", FieldType.FLATTENED_KEY);
        SCHEMA = FieldSchema.of(f);
    }

    /** The parser under test; {@link EventScannerTypesTest} runs these cases on the scanner. */
    EventReader reader(FieldSchema schema) {
        return new EventParser(schema);
    }

    private ParsedEvent parse(String json) {
        return reader(SCHEMA).parse(json);
    }

    @Test
    void textAndWildcardKeepValuesOfAnyLengthKeywordDoesNot() {
        String big = "y".repeat(1025);
        ParsedEvent e = parse("{\"k\":\"" + big + "\",\"w\":\"" + big + "\",\"t\":[\"" + big + "\",25,true]}");
        assertThat(e.values(0).size()).isZero();
        assertThat(e.values(1).stringAt(0)).hasSize(1025);
        assertThat(e.values(2).size()).isEqualTo(3);
        assertThat(e.values(2).stringAt(1)).isEqualTo("25");
        assertThat(e.values(2).stringAt(2)).isEqualTo("true");
    }

    @Test
    void aFlattenedFieldHoldsEveryLeafBelowIt() {
        ParsedEvent e = parse("{\"fl\":{\"a\":[{\"b\":\"x\"},{\"c\":{\"d\":2}}],\"e\":true,\"n\":null},\"fl.f\":\"dotted\"}");
        assertThat(e.isError()).isFalse();
        FieldValues v = e.values(3);
        assertThat(v.size()).isEqualTo(4);
        assertThat(java.util.List.of(v.stringAt(0), v.stringAt(1), v.stringAt(2), v.stringAt(3))).containsExactly("x", "2", "true", "dotted");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"fl\":\"Help Desk\"}              | field [fl] holds a value (Help Desk) where a flattened field's object belongs",
        "{\"fl\":[\"a\"]}                    | field [fl] holds a value (a) where a flattened field's object belongs",
        "{\"fk\":\"x\"}                      | field [fk] holds a value (x) where an object belongs",
    })
    void aFlattenedFieldHoldingAValueIsNotADocument(String json, String reason) {
        // Elasticsearch: "failed to parse field [fl] of type [flattened]", whatever ignore_malformed says
        assertThat(parse(json).error()).contains(reason);
    }

    @Test
    void aKeyOfAFlattenedFieldHoldsItsOwnValuesAndSkipsDeeperKeys() {
        ParsedEvent e = parse("{\"fk\":{\"a\":[\"x\",{\"b\":1}],\"a.c\":\"deeper\"}}");
        assertThat(e.isError()).isFalse();
        assertThat(e.values(4).size()).isEqualTo(1);
        assertThat(e.values(4).stringAt(0)).isEqualTo("x");
    }
}

package org.smtpdetect.kql;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.smtpdetect.event.EventParser;
import org.smtpdetect.event.FieldSchema;
import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.event.ParsedEvent;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * KQL on the field types the prebuilt rules need beyond keyword, ip and numbers: text (match, match_phrase,
 * query_string wildcards as Elasticsearch evaluates them on analysed fields; the cases were checked on an 8.19
 * node), query_string's splitting at whitespace, field patterns as the detection engine sends them, flattened
 * fields and their keys, and what is refused.
 */
class KqlTextAndPatternsTest {
    private static final FieldTypes TYPES = FieldTypes.bundled().withOverrides(Map.of(
            "t", "text", "k", "keyword", "w", "wildcard", "f", "flattened", "n", "long",
            "ps", "text\tpattern:[\\W&&[^-]]+"));

    private static boolean matches(String query, String event) {
        CompiledQuery q = KqlCompiler.compile(query, TYPES);
        FieldSchema schema = FieldSchema.of(q.fields());
        q.bind(schema);
        ParsedEvent e = new EventParser(schema).parse(event);
        assertThat(e.isError()).as("%s: %s", event, e.error()).isFalse();
        return q.matches(e);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // match: the value analysed, any of its tokens; case folds; punctuation splits
        "t:WORLD                 | {\"t\":\"Hello World-wide web\"}     | true",
        "t:world foo             | {\"t\":\"Hello World-wide web\"}     | true",
        "t:worl                  | {\"t\":\"Hello World-wide web\"}     | false",
        "t:...                   | {\"t\":\"...\"}                      | false",
        "t:c\\:\\\\program       | {\"t\":\"C:\\\\Program Files\\\\x.exe\"} | true",
        // match_phrase: the tokens adjacent, in order, within one value of an array
        "t:\"world wide\"        | {\"t\":\"Hello World-wide web\"}     | true",
        "t:\"wide world\"        | {\"t\":\"Hello World-wide web\"}     | false",
        "t:\"beta gamma\"        | {\"t\":[\"alpha beta\",\"gamma\"]}   | false",
        "t:\"alpha beta\"        | {\"t\":[\"alpha beta\",\"gamma\"]}   | true",
        "t:\"program files\"     | {\"t\":\"C:\\\\Program Files\\\\x.exe\"} | true",
        "t:\"\"                  | {\"t\":\"\"}                         | false",
        // query_string wildcards: each token against the lowercased pattern; a '-' never survives analysis
        "t:*ORLD*                | {\"t\":\"Hello World-wide web\"}     | true",
        "t:WOR*                  | {\"t\":\"Hello World-wide web\"}     | true",
        "t:*orld-wi*             | {\"t\":\"Hello World-wide web\"}     | false",
        "t:x.EX*                 | {\"t\":\"C:\\\\Program Files\\\\x.exe\"} | true",
        "t:*                     | {\"t\":\"\"}                         | true",
        // query_string splits a wildcard value at whitespace, any term may match; '*' alone is exists
        "k:*oo B*                | {\"k\":\"foo\"}                      | true",
        "k:*oo B*                | {\"k\":\"Foo Bar\"}                  | false",
        "k:\\*oo B*              | {\"k\":\"Bar\"}                      | true",
        "k:fo* *                 | {\"k\":\"\"}                         | true",
        "k:Foo*                  | {\"k\":\"Foo Bar\"}                  | true",
        "k:foo*                  | {\"k\":\"Foo Bar\"}                  | false",
        // wildcard-type fields compare like keywords but keep values of any length
        "w:*needle*              | {\"w\":\"%LONG%needle\"}             | true",
        "k:*needle*              | {\"k\":\"%LONG%needle\"}             | false",
        // flattened: the field itself matches any leaf, a key matches its own values
        "f:\"Help Desk\"         | {\"f\":{\"a\":[{\"UPN\":\"Help Desk\"}]}} | true",
        "f:*adrs*                | {\"f\":{\"x\":{\"y\":\"tok_adrs_1\"}}}  | true",
        "f.a:25                  | {\"f\":{\"a\":25}}                    | true",
        "f.a:25                  | {\"f\":{\"a\":{\"b\":25}}}            | false",
        "f.a.b:25                | {\"f\":{\"a.b\":25}}                  | true",
        // the PowerShell script analyzer splits at non-word characters but '-'
        "ps:invoke-mimikatz      | {\"ps\":\"Invoke-Mimikatz -DumpCreds\"} | true",
        "ps:*mimikatz            | {\"ps\":\"Invoke-Mimikatz -DumpCreds\"} | true",
        "ps:mimikatz             | {\"ps\":\"Invoke-Mimikatz -DumpCreds\"} | false",
        "ps:\"mimikatz -dumpcreds\" | {\"ps\":\"Invoke-Mimikatz -DumpCreds\"} | false",
        "ps:\"invoke-mimikatz -dumpcreds\" | {\"ps\":\"Invoke-Mimikatz -DumpCreds\"} | true",
    })
    void evaluatesAsElasticsearchDoes(String query, String event, boolean expected) {
        assertThat(matches(query, event.replace("%LONG%", "x".repeat(2000)))).as(query + " on " + event).isEqualTo(expected);
    }

    @Test
    void aMatchOnAFieldPatternMatchesNothingAndSaysSo() {
        CompiledQuery q = KqlCompiler.compile("azure.auditlogs.properties.target_resources.*.display_name:guest", TYPES);
        assertThat(q.warnings()).singleElement().asString().contains("can never match")
                .contains("match query on the field pattern [azure.auditlogs.properties.target_resources.*.display_name]");
        assertThat(q.elasticsearchQuery().toString()).contains("{\"match\":{\"azure.auditlogs.properties.target_resources.*.display_name\":\"guest\"}}");
    }

    @Test
    void existsAndWildcardsExpandAFieldPatternOverTheTable() {
        assertThat(matches("dns.question.*:*", "{\"dns\":{\"question\":{\"name\":\"a\"}}}")).isTrue();
        assertThat(matches("dns.question.*:*", "{\"dns\":{\"id\":\"a\"}}")).isFalse();
        assertThat(matches("dns.question.n*:exa*", "{\"dns\":{\"question\":{\"name\":\"example.com\"}}}")).isTrue();
        assertThat(KqlCompiler.compile("dns.question.n*:exa*", TYPES).fields()).containsKey("dns.question.name");
    }

    @Test
    void aPatternOverDynamicTemplatesOrNumbersIsRefusedWithTheReason() {
        assertThatThrownBy(() -> KqlCompiler.compile("azure.auditlogs.properties.target_resources.*.type:*User*", TYPES))
                .hasMessageContaining("matches fields that dynamic templates map");
        assertThatThrownBy(() -> KqlCompiler.compile("destination.p*:2*", TYPES)).hasMessageContaining("wildcards only work on keyword and text fields");
    }

    @Test
    void dynamicTemplatesTypeTheFieldsTheyMatch() {
        assertThat(TYPES.typeOf("o365.audit.ModifiedProperties.ShareWithGuests.NewValue")).hasValue(org.smtpdetect.event.FieldType.KEYWORD);
        assertThat(matches("o365.audit.ModifiedProperties.ShareWithGuests.NewValue:True",
                "{\"o365\":{\"audit\":{\"ModifiedProperties.ShareWithGuests.NewValue\":\"True\"}}}")).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "k:null                  | JSON null",
        "email.attachments:{ d*:x }        | field patterns inside a nested query",
        "email.attachments.file.name:x     | lies under the nested field [email.attachments]",
        "process.name:{ x:1 }    | is not mapped as nested",
        "no.such.field:x         | give it its mapping type with --field-types FILE",
        "t > 5                   | range queries are not supported on TEXT",
    })
    void refusesWhatItCannotRunWithTheReason(String query, String message) {
        assertThatThrownBy(() -> KqlCompiler.compile(query, TYPES)).isInstanceOf(KqlSyntaxException.class).hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // one attachment must hold both: nested objects are documents of their own
        "email.attachments:{ file.name:a.exe and file.size > 10 } | {\"email\":{\"attachments\":[{\"file\":{\"name\":\"a.exe\",\"size\":5}},{\"file\":{\"name\":\"b\",\"size\":50}}]}} | false",
        "email.attachments:{ file.name:a.exe and file.size > 10 } | {\"email\":{\"attachments\":[{\"file\":{\"name\":\"a.exe\",\"size\":50}}]}} | true",
        "email.attachments:{ file.name:a.exe }                    | {\"email.attachments\":{\"file.name\":\"a.exe\"}}                          | true",
        "email.attachments:{ not file.name:a.exe }                | {\"email\":{\"attachments\":[{\"file\":{\"name\":\"a.exe\"}},{}]}}      | true",
        "email.attachments:{ not file.name:a.exe }                | {\"email\":{\"attachments\":[]}}                                        | false",
        "not email.attachments:{ file.name:* }                    | {}                                                                       | true",
    })
    void nestedQueriesTestEachObjectOnItsOwn(String query, String event, boolean expected) {
        assertThat(matches(query, event)).as(query + " on " + event).isEqualTo(expected);
    }

    @Test
    void splitsWildcardValuesAtQueryStringWhitespace() {
        assertThat(KqlCompiler.splitAtWhitespace(List.of("", "oo B", ""))).containsExactly(List.of("", "oo"), List.of("B", ""));
        assertThat(KqlCompiler.splitAtWhitespace(List.of("a b", ""))).containsExactly(List.of("a"), List.of("b", ""));
        assertThat(KqlCompiler.splitAtWhitespace(List.of("fo", " ", ""))).containsExactly(List.of("fo", ""), List.of("", ""));
    }
}

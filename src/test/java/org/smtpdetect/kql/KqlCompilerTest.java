package org.smtpdetect.kql;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.smtpdetect.event.EventParser;
import org.smtpdetect.event.FieldSchema;
import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.FieldTypes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KqlCompilerTest {

    private static boolean matches(String query, String event) {
        CompiledQuery q = KqlCompiler.compile(query, FieldTypes.ecs());
        FieldSchema schema = FieldSchema.of(q.fields());
        q.bind(schema);
        return q.matches(new EventParser(schema).parse(event));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // keyword: exact, case-sensitive, any value of an array
        "event.category:network                | {\"event\":{\"category\":[\"process\",\"network\"]}}   | true",
        "event.category:network                | {\"event\":{\"category\":\"Network\"}}                 | false",
        "event.category:net*                   | {\"event\":{\"category\":\"network\"}}                 | true",
        "event.category:*work                  | {\"event\":{\"category\":\"network\"}}                 | true",
        "event.category:n*t*k                  | {\"event\":{\"category\":\"network\"}}                 | true",
        "event.category:n*x*k                  | {\"event\":{\"category\":\"network\"}}                 | false",
        "event.category:ne*ew                  | {\"event\":{\"category\":\"new\"}}                     | false",
        "event.category:\"net*\"               | {\"event\":{\"category\":\"network\"}}                 | false",
        "event.category:*                      | {\"event\":{\"category\":\"x\"}}                       | true",
        "event.category:*                      | {\"event\":{\"category\":null}}                        | false",
        "not event.category:*                  | {}                                                     | true",
        // keyword holds numbers as their text
        "event.code:4624                       | {\"event\":{\"code\":4624}}                            | true",
        // long: coercion and ranges
        "destination.port:25                   | {\"destination\":{\"port\":\"25.0\"}}                  | true",
        "destination.port:25.0                 | {\"destination\":{\"port\":25}}                        | true",
        "destination.port:25.5                 | {\"destination\":{\"port\":25}}                        | false",
        "destination.port >= 1024              | {\"destination\":{\"port\":1024}}                      | true",
        "destination.port > 1024               | {\"destination\":{\"port\":1024}}                      | false",
        "destination.port < 25.5               | {\"destination\":{\"port\":25}}                        | true",
        "destination.port > 24.5               | {\"destination\":{\"port\":25}}                        | true",
        "destination.port <= 24.5              | {\"destination\":{\"port\":25}}                        | false",
        // ip: CIDR on the parsed address, IPv4-mapped, ranges
        "source.ip:10.0.0.0/8                  | {\"source\":{\"ip\":\"::ffff:10.9.8.7\"}}              | true",
        "source.ip:10.1.2.3                    | {\"source\":{\"ip\":\"10.1.2.3\"}}                     | true",
        "source.ip:\"::1\"                     | {\"source\":{\"ip\":\"0:0:0:0:0:0:0:1\"}}              | true",
        "source.ip:10.0.0.0/8                  | {\"source\":{\"ip\":\"::10.1.2.3\"}}                   | false",
        "source.ip >= 10.0.0.0 and source.ip <= 10.255.255.255 | {\"source\":{\"ip\":\"10.3.0.1\"}} | true",
        "source.ip > 10.0.0.0                  | {\"source\":{\"ip\":\"9.255.255.255\"}}                | false",
        // dates
        "@timestamp >= \"2024-01-01T00:00:00Z\" | {\"@timestamp\":\"2024-01-01T00:00:00.000Z\"}       | true",
        "@timestamp < 2024-01-01               | {\"@timestamp\":1704067199999}                         | true",
        // boolean
        "tls.established:true                  | {\"tls\":{\"established\":\"true\"}}                   | true",
        "tls.established:false                 | {\"tls\":{\"established\":true}}                       | false",
        // keyword ranges order by code point
        "host.name >= b                        | {\"host\":{\"name\":\"a\"}}                            | false",
        "host.name > B                         | {\"host\":{\"name\":\"a\"}}                            | true",
    })
    void typesDecideComparisons(String query, String event, boolean expected) {
        assertThat(matches(query, event)).isEqualTo(expected);
    }

    @Test
    void keywordIgnoreAboveValuesAreNotIndexed() {
        String longValue = "x".repeat(1025);
        assertThat(matches("host.name:" + longValue, "{\"host\":{\"name\":\"" + longValue + "\"}}")).isFalse();
        assertThat(matches("host.name:*", "{\"host\":{\"name\":\"" + longValue + "\"}}")).isFalse();
    }

    @Test
    void aValueListIsOneSetLookupButKeepsSemantics() {
        assertThat(matches("event.category:(network or process)", "{\"event\":{\"category\":\"process\"}}")).isTrue();
        assertThat(matches("event.category:(network and process)", "{\"event\":{\"category\":[\"process\",\"network\"]}}")).isTrue();
        assertThat(matches("event.category:(network and process)", "{\"event\":{\"category\":\"process\"}}")).isFalse();
        assertThat(matches("event.category:(not network)", "{}")).isTrue();
    }

    @Test
    void reportsFieldsItReads() {
        CompiledQuery q = KqlCompiler.compile("source.ip:10.0.0.0/8 and not destination.port:25", FieldTypes.ecs());
        assertThat(q.fields()).containsExactly(
                java.util.Map.entry("source.ip", FieldType.IP), java.util.Map.entry("destination.port", FieldType.LONG));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "source.ip:not-an-ip            | 10 | is not an IP address",
        "source.ip:10.0.0.0/33          | 10 | is not an IP address",
        // Elasticsearch's parseCidr refuses a prefix on an IPv4-mapped address written as IPv6
        "source.ip:\"::ffff:0:0/96\"    | 10 | is not an IP address",
        "source.ip:\"::ffff:10.0.0.0/104\" | 10 | is not an IP address",
        "source.ip:10.*                 | 10 | wildcards only work on keyword and text fields",
        "destination.port:abc           | 17 | is not a number",
        "destination.port:99999999999999999999 | 17 | out of range",
        "no.such.field:x                | 0  | has no type in the field type table",
        "email.attachments.file.name:x  | 0  | lies under the nested field [email.attachments]",
        "@timestamp > now-5m            | 13 | date math",
        "tls.established:yes            | 16 | is not a boolean",
        "tls.established > true         | 18 | range queries are not supported",
    })
    void rejectsWhatElasticsearchWouldRejectWithThePosition(String query, int position, String message) {
        assertThatThrownBy(() -> KqlCompiler.compile(query, FieldTypes.ecs()))
                .isInstanceOf(KqlSyntaxException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((KqlSyntaxException) e).position()).isEqualTo(position));
    }
}

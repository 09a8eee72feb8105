package org.smtpdetect.exception;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.rule.Rule;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.exception.Exceptions.entry;
import static org.smtpdetect.exception.Exceptions.list;

/** Each entry type and operator against the rule core, with Elasticsearch's comparisons for the field's type. */
class ExceptionSetTest {
    @TempDir
    Path dir;

    private Exceptions.Compiled one(String entries, String... extra) {
        return new Exceptions(dir).item(entries, extra).compile();
    }

    private Exceptions.Compiled one(String type, String field, String operator, String value) {
        return one("[" + entry(type, field, operator, value) + "]");
    }

    @ParameterizedTest(name = "{0} {1} {2} {3} on {4}")
    @CsvSource(delimiter = '|', value = {
        // match on ip: CIDR containment, IPv4-mapped, IPv6 spellings, any value of an array
        "match     | source.ip        | included | \"10.20.0.0/16\"  | {\"source\":{\"ip\":\"10.20.3.4\"}}                  | true",
        "match     | source.ip        | included | \"10.20.0.0/16\"  | {\"source\":{\"ip\":\"::ffff:10.20.3.4\"}}           | true",
        "match     | source.ip        | included | \"10.20.0.0/16\"  | {\"source\":{\"ip\":\"10.21.0.1\"}}                  | false",
        "match     | source.ip        | included | \"::ffff:10.20.3.4\" | {\"source\":{\"ip\":\"10.20.3.4\"}}               | true",
        "match     | source.ip        | included | \"10.20.3.4\"     | {\"source\":{\"ip\":[\"8.8.8.8\",\"10.20.3.4\"]}}    | true",
        "match     | destination.ip   | included | \"fe80::/10\"     | {\"destination\":{\"ip\":\"FEBF::1\"}}                | true",
        // excluded: holds when the value differs and when the field is missing, null, [] or malformed
        "match     | source.ip        | excluded | \"10.20.0.0/16\"  | {\"source\":{\"ip\":\"10.21.0.1\"}}                  | true",
        "match     | source.ip        | excluded | \"10.20.0.0/16\"  | {\"source\":{\"ip\":\"10.20.0.1\"}}                  | false",
        "match     | host.name        | excluded | \"relay-1\"       | {}                                                   | true",
        "match     | host.name        | excluded | \"relay-1\"       | {\"host\":{\"name\":null}}                           | true",
        "match     | host.name        | excluded | \"relay-1\"       | {\"host\":{\"name\":[]}}                             | true",
        "match     | source.ip        | excluded | \"10.20.0.0/16\"  | {\"source\":{\"ip\":\"not-an-ip\"}}                  | true",
        // keyword: exact and case-sensitive
        "match     | host.name        | included | \"relay-1\"       | {\"host\":{\"name\":\"relay-1\"}}                    | true",
        "match     | host.name        | included | \"relay-1\"       | {\"host\":{\"name\":\"Relay-1\"}}                    | false",
        "match     | host.name        | included | \"relay-1\"       | {\"host\":{\"name\":\"relay-1 \"}}                   | false",
        // long: coercion
        "match     | destination.port | included | \"25\"            | {\"destination\":{\"port\":\"25.0\"}}                | true",
        "match     | destination.port | included | \"25.0\"          | {\"destination\":{\"port\":25}}                      | true",
        "match     | destination.port | included | \"25\"            | {\"destination\":{\"port\":\"2.5e1\"}}               | true",
        "match     | destination.port | included | \"587\"           | {\"destination\":[{\"port\":80},{\"port\":587}]}     | true",
        // match_any
        "match_any | host.name        | included | [\"a\",\"relay-1\"] | {\"host\":{\"name\":\"relay-1\"}}                  | true",
        "match_any | host.name        | included | [\"a\",\"b\"]     | {\"host\":{\"name\":\"relay-1\"}}                    | false",
        "match_any | host.name        | excluded | [\"a\",\"b\"]     | {\"host\":{\"name\":\"relay-1\"}}                    | true",
        "match_any | destination.port | included | [\"465\",\"587\"] | {\"destination\":{\"port\":\"587\"}}                 | true",
        // wildcard: * and ?, case-sensitive, code points, escapes
        "wildcard  | host.name        | included | \"relay-*\"       | {\"host\":{\"name\":\"relay-17\"}}                   | true",
        "wildcard  | host.name        | included | \"relay-?\"       | {\"host\":{\"name\":\"relay-17\"}}                   | false",
        "wildcard  | host.name        | included | \"relay-??\"      | {\"host\":{\"name\":\"relay-17\"}}                   | true",
        "wildcard  | host.name        | included | \"RELAY-*\"       | {\"host\":{\"name\":\"relay-17\"}}                   | false",
        "wildcard  | host.name        | included | \"*-1*7\"         | {\"host\":{\"name\":\"relay-1x7\"}}                  | true",
        "wildcard  | host.name        | included | \"r?l\"           | {\"host\":{\"name\":\"r\\uD83D\\uDE00l\"}}           | true",
        "wildcard  | host.name        | included | \"a\\\\*\"         | {\"host\":{\"name\":\"a*\"}}                         | true",
        "wildcard  | host.name        | included | \"a\\\\*\"         | {\"host\":{\"name\":\"ab\"}}                         | false",
        "wildcard  | host.name        | excluded | \"relay-*\"       | {}                                                   | true",
        // exists: "" exists on keyword, a malformed ip does not
        "exists    | host.name        | included |                  | {\"host\":{\"name\":\"\"}}                           | true",
        "exists    | host.name        | included |                  | {\"host\":{\"name\":null}}                           | false",
        "exists    | source.ip        | included |                  | {\"source\":{\"ip\":\"nope\"}}                       | false",
        "exists    | source.ip        | excluded |                  | {\"source\":{\"ip\":\"nope\"}}                       | true",
        "exists    | destination.port | included |                  | {\"destination\":{\"port\":\"\"}}                    | false",
        // host.os.name.caseless: host.os.name lowercased (Elastic Defend's lowercase normalizer)
        "match     | host.os.name.caseless | included | \"windows\"  | {\"host\":{\"os\":{\"name\":\"Windows\"}}}          | true",
        "match     | host.os.name.caseless | included | \"WINDOWS\"  | {\"host\":{\"os\":{\"name\":\"windows\"}}}          | true",
        "wildcard  | host.os.name.caseless | included | \"win*\"     | {\"host\":{\"os\":{\"name\":\"Windows 11\"}}}       | true",
        "match     | host.os.name     | included | \"windows\"       | {\"host\":{\"os\":{\"name\":\"Windows\"}}}          | false",
    })
    void entryTypesAndOperatorsCompareAsTheFieldsTypeDoes(String type, String field, String operator, String value,
                                                           String event, boolean excepted) {
        assertThat(one(type, field, operator, value == null || value.isEmpty() ? null : value).excepts(event)).isEqualTo(excepted);
    }

    @Test
    void entriesAreAndedAndItemsOred() {
        Exceptions.Compiled c = new Exceptions(dir)
                .item("[" + entry("match", "source.ip", "included", "\"10.20.0.0/16\"") + "," + entry("match", "destination.port", "included", "\"25\"") + "]")
                .item("[" + entry("match", "host.name", "included", "\"relay-9\"") + "]")
                .compile();
        assertThat(c.excepts("{\"source\":{\"ip\":\"10.20.1.1\"},\"destination\":{\"port\":25}}")).isTrue();
        assertThat(c.excepts("{\"source\":{\"ip\":\"10.20.1.1\"},\"destination\":{\"port\":587}}")).isFalse();
        assertThat(c.excepts("{\"source\":{\"ip\":\"10.9.1.1\"},\"host\":{\"name\":\"relay-9\"}}")).isTrue();
        assertThat(c.match("{\"host\":{\"name\":\"relay-9\"}}", Exceptions.NOW).itemId()).isEqualTo("item-2");
    }

    @Test
    void excludedOnAMissingFieldIsKibanasPitfall() {
        // "source.ip is not 10.20.0.0/16 AND host.name is relay-1": an event without source.ip is excepted.
        Exceptions.Compiled c = one("[" + entry("match", "source.ip", "excluded", "\"10.20.0.0/16\"") + ","
                + entry("match", "host.name", "included", "\"relay-1\"") + "]");
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-1\"}}")).isTrue();
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-1\"},\"source\":{\"ip\":\"10.20.0.5\"}}")).isFalse();
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-1\"},\"source\":{\"ip\":\"10.30.0.5\"}}")).isTrue();
    }

    @Test
    void osTypesMatchHostOsTypeExactlyOrTheLowercasedOsName() {
        Exceptions.Compiled c = one("[" + entry("match", "host.name", "included", "\"relay-1\"") + "]", "\"os_types\":[\"windows\",\"linux\"]");
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-1\",\"os\":{\"type\":\"windows\"}}}")).isTrue();
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-1\",\"os\":{\"type\":\"Windows\"}}}")).isFalse();
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-1\",\"os\":{\"name\":\"Linux\"}}}")).isTrue();
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-1\",\"os\":{\"type\":\"macos\",\"name\":\"macOS\"}}}")).isFalse();
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-1\"}}")).isFalse();
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-2\",\"os\":{\"type\":\"linux\"}}}")).isFalse();
    }

    @Test
    void nestedEntriesHoldInOneObject() {
        String nested = "[{\"field\":\"email.attachments\",\"type\":\"nested\",\"entries\":["
                + entry("match", "file.name", "included", "\"invoice.pdf\"") + "," + entry("match", "file.size", "included", "\"100\"") + "]}]";
        Exceptions.Compiled c = one(nested);
        assertThat(c.excepts("{\"email\":{\"attachments\":[{\"file\":{\"name\":\"invoice.pdf\",\"size\":100}}]}}")).isTrue();
        assertThat(c.excepts("{\"email\":{\"attachments\":[{\"file\":{\"name\":\"invoice.pdf\",\"size\":7}},{\"file\":{\"name\":\"x\",\"size\":100}}]}}"))
                .as("true in different objects").isFalse();
        assertThat(c.excepts("{\"email\":{\"attachments\":{\"file.name\":\"invoice.pdf\",\"file\":{\"size\":\"100\"}}}}")).isTrue();
        assertThat(c.excepts("{\"email.attachments\":[{\"file\":{\"name\":\"invoice.pdf\",\"size\":100.0}}]}")).isTrue();
        assertThat(c.excepts("{\"email\":[{\"attachments\":[{\"file\":{\"name\":\"a\"}}]},{\"attachments\":{\"file\":{\"name\":\"invoice.pdf\",\"size\":100}}}]}"))
                .isTrue();
        assertThat(c.excepts("{}")).isFalse();

        Exceptions.Compiled excluded = new Exceptions(dir.resolve("x")).item("[{\"field\":\"email.attachments\",\"type\":\"nested\",\"entries\":["
                + entry("match", "file.name", "excluded", "\"invoice.pdf\"") + "]}]").compile();
        assertThat(excluded.excepts("{\"email\":{\"attachments\":[{\"file\":{\"size\":1}}]}}")).as("object lacking the field").isTrue();
        assertThat(excluded.excepts("{\"email\":{\"attachments\":[{\"file\":{\"name\":\"invoice.pdf\"}}]}}")).isFalse();
        assertThat(excluded.excepts("{\"host\":{\"name\":\"h\"}}")).as("no nested object at all").isFalse();
        assertThat(excluded.excepts("{\"email\":{\"attachments\":[]}}")).isFalse();
    }

    @Test
    void valueListsOfEachType() {
        Exceptions.Compiled c = new Exceptions(dir)
                .valueList("relay-ranges", "10.20.0.0/16", "  192.168.7.1-192.168.7.9  ", "", "10.20.0.0/16", "2001:db8::-2001:db8::ff")
                .valueList("relay-hosts", "relay-1", "Relay-2")
                .valueList("relay-ips", "10.1.1.1", "::ffff:10.1.1.2")
                .item("[" + list("source.ip", "included", "relay-ranges", "ip_range") + "]")
                .item("[" + list("host.name", "included", "relay-hosts", "keyword") + "]")
                .item("[" + list("source.ip", "included", "relay-ips", "ip") + "]")
                .compile();
        assertThat(c.excepts("{\"source\":{\"ip\":\"10.20.9.9\"}}")).isTrue();
        assertThat(c.excepts("{\"source\":{\"ip\":\"192.168.7.9\"}}")).as("range upper bound inclusive").isTrue();
        assertThat(c.excepts("{\"source\":{\"ip\":\"192.168.7.10\"}}")).isFalse();
        assertThat(c.excepts("{\"source\":{\"ip\":\"::ffff:192.168.7.1\"}}")).isTrue();
        assertThat(c.excepts("{\"source\":{\"ip\":\"2001:db8::80\"}}")).isTrue();
        assertThat(c.excepts("{\"source\":{\"ip\":[\"8.8.8.8\",\"10.1.1.2\"]}}")).isTrue();
        assertThat(c.excepts("{\"host\":{\"name\":\"relay-2\"}}")).isFalse();
        assertThat(c.excepts("{\"host\":{\"name\":\"Relay-2\"}}")).isTrue();
        assertThat(c.set.summary()).isEqualTo("1 list, 3 items, 3 value lists");
    }

    @Test
    void emptyValueListsBehaveAsTheRealNodeObserved() {
        Exceptions.Compiled c = new Exceptions(dir)
                .valueList("no-ranges", "", "   ")
                .valueList("no-hosts")
                .item("[" + entry("match", "host.name", "included", "\"a\"") + "," + list("source.ip", "included", "no-ranges", "ip_range") + "]")
                .item("[" + entry("match", "host.name", "included", "\"b\"") + "," + list("source.ip", "excluded", "no-ranges", "ip_range") + "]")
                .item("[" + list("host.name", "included", "no-hosts", "keyword") + "]")
                .item("[" + entry("match", "host.name", "included", "\"d\"") + "," + list("host.name", "excluded", "no-hosts", "keyword") + "]")
                .compile();
        assertThat(c.excepts("{\"host\":{\"name\":\"a\"}}")).as("empty ip_range matches every event").isTrue();
        assertThat(c.excepts("{\"host\":{\"name\":\"b\"}}")).as("also when excluded").isTrue();
        assertThat(c.excepts("{\"host\":{\"name\":\"c\"}}")).as("an empty keyword list matches none").isFalse();
        assertThat(c.excepts("{\"host\":{\"name\":\"d\"}}")).as("not in an empty list").isTrue();
        assertThat(c.set.warnings()).anySatisfy(w -> assertThat(w).contains("ip_range value list 'no-ranges' is empty"))
                .anySatisfy(w -> assertThat(w).contains("item-3").contains("can never match").contains("'no-hosts' is empty"));
    }

    @Test
    void anItemThatCanNeverMatchIsReported() {
        Exceptions.Compiled c = one("match", "destination.port", "included", "\"25.5\"");
        assertThat(c.excepts("{\"destination\":{\"port\":25}}")).isFalse();
        assertThat(c.set.warnings()).singleElement().asString().contains("relay-exceptions.ndjson:2: item 'item-1'")
                .contains("can never match").contains("destination.port is '25.5'");
    }

    @Test
    void expireTimeIsComparedWithTheExecutionTimeAndEqualStillApplies() {
        Instant expire = Instant.parse("2024-06-01T10:00:00Z");
        Exceptions.Compiled c = one("[" + entry("match", "host.name", "included", "\"relay-1\"") + "]", "\"expire_time\":\"" + expire + "\"");
        String event = "{\"host\":{\"name\":\"relay-1\"}}";
        assertThat(c.match(event, expire.toEpochMilli() - 1)).isNotNull();
        assertThat(c.match(event, expire.toEpochMilli())).isNotNull();
        assertThat(c.match(event, expire.toEpochMilli() + 1)).isNull();
        assertThat(c.exceptedUntil(event)).isEqualTo(expire.toEpochMilli());
        assertThat(c.exceptedUntil("{\"host\":{\"name\":\"relay-2\"}}")).isEqualTo(ExceptionSet.NOT_EXCEPTED);
    }

    @Test
    void exceptedUntilIsTheLatestExpiryOfTheMatchingItems() {
        Exceptions.Compiled c = new Exceptions(dir)
                .item("[" + entry("match", "host.name", "included", "\"relay-1\"") + "]", "\"expire_time\":\"2024-06-01T10:00:00.000Z\"")
                .item("[" + entry("wildcard", "host.name", "included", "\"relay-*\"") + "]", "\"expire_time\":\"2024-06-02T00:00:00Z\"")
                .item("[" + entry("match", "host.name", "included", "\"relay-3\"") + "]")
                .compile();
        assertThat(c.exceptedUntil("{\"host\":{\"name\":\"relay-1\"}}")).isEqualTo(Instant.parse("2024-06-02T00:00:00Z").toEpochMilli());
        assertThat(c.exceptedUntil("{\"host\":{\"name\":\"relay-3\"}}")).isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aRuleThatNamesListsGetsOnlyThoseAndNeverTheEndpointList() {
        Exceptions e = new Exceptions(dir).item("[" + entry("match", "host.name", "included", "\"relay-1\"") + "]");
        Rule names = withLists(List.of(new Rule.ExceptionListRef("x", "relay-exceptions", "single", "detection")));
        Rule other = withLists(List.of(new Rule.ExceptionListRef("y", "other-list", "single", "detection"),
                new Rule.ExceptionListRef("z", "endpoint_list", "agnostic", "endpoint")));
        Rule agnostic = withLists(List.of(new Rule.ExceptionListRef("x", "relay-exceptions", "agnostic", "detection")));
        ExceptionSet set = ExceptionSet.compile(e.sources(), List.of(Exceptions.SEED, names, other, agnostic), FieldTypes.ecs());
        assertThat(set.appliesTo(0)).as("names none: all lists").isTrue();
        assertThat(set.appliesTo(1)).isTrue();
        assertThat(set.appliesTo(2)).isFalse();
        assertThat(set.appliesTo(3)).as("the namespace is part of the list's identity").isFalse();
        assertThat(set.warnings()).anySatisfy(w -> assertThat(w).contains("'other-list'").contains("the rule runs without it"));
    }

    private static Rule withLists(List<Rule.ExceptionListRef> refs) {
        Rule s = Exceptions.SEED;
        return new Rule(s.ruleId() + "-" + refs.size(), s.name(), s.description(), s.version(), s.type(), s.language(), s.query(),
                s.index(), s.interval(), s.from(), s.lookBack(), s.maxSignals(), s.severity(), s.riskScore(), s.tags(), s.threat(),
                s.falsePositives(), s.references(), s.author(), s.license(), s.timestampOverride(), refs);
    }
}

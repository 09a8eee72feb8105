package org.smtpdetect.exception;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.smtpdetect.Corpus;
import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleLoader;
import org.smtpdetect.testing.ElasticsearchService;
import org.smtpdetect.testing.EsRest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.smtpdetect.exception.Exceptions.entry;
import static org.smtpdetect.exception.Exceptions.list;

/**
 * Our exception verdicts against a real Elasticsearch's: events (generated variations of the rule's traffic and
 * the verdict corpus) are indexed with ECS mappings and {@code ignore_malformed}; each exception item, written as
 * Kibana exports it, is turned into the clause Kibana's {@code buildExceptionFilter} builds and searched alone; then
 * the rule's query with Kibana's whole exception filter ({@code bool.filter} [KQL] + {@code must_not}
 * [{@code bool.should} of the items], expired items dropped) is searched. Every event gets the node's verdict for
 * every item and for the whole. Cases Elasticsearch rejects the search for are configuration errors here: the node
 * must reject them too.
 */
class ExceptionsDifferentialITCase {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final Rule SEED = RuleLoader.loadDefault();
    /** The execution's start: items that expired before it are dropped from the filter. */
    private static final Instant EXECUTION = Instant.parse("2024-06-01T10:00:00Z");

    @TempDir
    Path dir;

    /** The seed rule's KQL as the query DSL Kibana sends for it, as the rule core compiles it. */
    private static final String RULE_QUERY = Detector.compile(SEED, FieldTypes.bundled()).elasticsearchQuery().toString();

    /** The ECS types of every field the rule and the items read, as the ECS templates map them. */
    private static final String MAPPING = "{\"settings\":{\"number_of_shards\":1,\"number_of_replicas\":0,\"index.mapping.ignore_malformed\":true},"
            + "\"mappings\":{\"dynamic\":false,\"properties\":{"
            + "\"@timestamp\":{\"type\":\"date\"},"
            + "\"event\":{\"properties\":{\"category\":{\"type\":\"keyword\",\"ignore_above\":1024},\"dataset\":{\"type\":\"keyword\",\"ignore_above\":1024}}},"
            + "\"network\":{\"properties\":{\"transport\":{\"type\":\"keyword\",\"ignore_above\":1024}}},"
            + "\"source\":{\"properties\":{\"ip\":{\"type\":\"ip\"},\"port\":{\"type\":\"long\"}}},"
            + "\"destination\":{\"properties\":{\"ip\":{\"type\":\"ip\"},\"port\":{\"type\":\"long\"}}},"
            + "\"user\":{\"properties\":{\"name\":{\"type\":\"keyword\",\"ignore_above\":1024}}},"
            // Elastic Defend maps host.os.name with a lowercase-normalized multi-field, which os_types also match.
            + "\"host\":{\"properties\":{\"name\":{\"type\":\"keyword\",\"ignore_above\":1024},\"os\":{\"properties\":{"
            + "\"type\":{\"type\":\"keyword\",\"ignore_above\":1024},\"name\":{\"type\":\"keyword\",\"ignore_above\":1024,"
            + "\"fields\":{\"caseless\":{\"type\":\"keyword\",\"ignore_above\":1024,\"normalizer\":\"lowercase\"}}}}}}},"
            + "\"email\":{\"properties\":{\"attachments\":{\"type\":\"nested\",\"properties\":{\"file\":{\"properties\":{"
            + "\"name\":{\"type\":\"keyword\",\"ignore_above\":1024},\"extension\":{\"type\":\"keyword\",\"ignore_above\":1024},\"size\":{\"type\":\"long\"}}}}}}}"
            + "}}}";

    private record Item(String id, String json) {}

    private static String item(String id, String extra, String... entries) {
        return "{\"_version\":\"WzQsMV0=\",\"comments\":[],\"created_at\":\"2024-05-01T09:00:00.000Z\",\"created_by\":\"elastic\","
                + "\"description\":\"" + id + "\",\"id\":\"so-" + id + "\",\"item_id\":\"" + id + "\",\"list_id\":\"mail-relays\","
                + "\"name\":\"" + id + "\",\"namespace_type\":\"single\",\"os_types\":[],\"tags\":[],\"tie_breaker_id\":\"t\",\"type\":\"simple\","
                + "\"updated_at\":\"2024-05-01T09:00:00.000Z\",\"updated_by\":\"elastic\"" + extra + ",\"entries\":[" + String.join(",", entries) + "]}";
    }

    private static String nested(String path, String... entries) {
        return "{\"field\":\"" + path + "\",\"type\":\"nested\",\"entries\":[" + String.join(",", entries) + "]}";
    }

    /** One item per entry type and operator, the pitfalls, value lists with CIDRs and ranges, expired items. */
    private static List<Item> items() {
        List<Item> items = new ArrayList<>();
        java.util.function.BiConsumer<String, String> add = (id, json) -> items.add(new Item(id, json));
        add.accept("cidr", item("cidr", "", entry("match", "source.ip", "included", "\"10.20.0.0/24\"")));
        add.accept("mapped-ip", item("mapped-ip", "", entry("match", "source.ip", "included", "\"::ffff:192.168.7.5\"")));
        add.accept("ipv6-cidr", item("ipv6-cidr", "", entry("match", "source.ip", "included", "\"fd00::/8\"")));
        add.accept("hosts", item("hosts", "", entry("match_any", "host.name", "included", "[\"relay-1\",\"relay-2\"]")));
        add.accept("not-host-and-user", item("not-host-and-user", "", entry("match", "host.name", "excluded", "\"relay-1\""),
                entry("match", "user.name", "included", "\"svc-mail\"")));
        add.accept("not-user", item("not-user", "", entry("match", "user.name", "excluded", "\"alice\""),
                entry("match", "destination.port", "included", "\"465\"")));
        add.accept("wildcard-one", item("wildcard-one", "", entry("wildcard", "host.name", "included", "\"relay-?\"")));
        add.accept("wildcard-many", item("wildcard-many", "", entry("wildcard", "host.name", "included", "\"mx-*-0?\"")));
        add.accept("wildcard-excluded", item("wildcard-excluded", "", entry("wildcard", "host.name", "excluded", "\"*-0*\""),
                entry("match", "destination.ip", "included", "\"203.0.113.0/24\"")));
        add.accept("no-user", item("no-user", "", entry("exists", "user.name", "excluded", null),
                entry("match", "destination.port", "included", "\"587.0\"")));
        add.accept("has-os", item("has-os", "", entry("exists", "host.os.type", "included", null),
                entry("match", "host.name", "included", "\"ws-01\"")));
        add.accept("ports", item("ports", "", entry("match_any", "destination.port", "excluded", "[\"25\",\"587\"]"),
                entry("match", "host.name", "included", "\"relay-17\"")));
        add.accept("range-list", item("range-list", "", list("source.ip", "included", "relay-ranges", "ip_range")));
        add.accept("keyword-list", item("keyword-list", "", list("host.name", "included", "relay-hosts", "keyword")));
        add.accept("ip-list", item("ip-list", "", list("source.ip", "included", "relay-ips", "ip")));
        add.accept("not-in-ranges", item("not-in-ranges", "", list("source.ip", "excluded", "relay-ranges", "ip_range"),
                entry("match", "host.name", "included", "\"mx-backup-01\"")));
        add.accept("empty-ranges", item("empty-ranges", "", list("source.ip", "included", "no-ranges", "ip_range"),
                entry("match", "host.name", "included", "\"ws-02\"")));
        add.accept("not-in-empty-ranges", item("not-in-empty-ranges", "", list("source.ip", "excluded", "no-ranges", "ip_range"),
                entry("match", "host.name", "included", "\"ws-03\"")));
        add.accept("not-in-empty-hosts", item("not-in-empty-hosts", "", list("host.name", "excluded", "no-hosts", "keyword"),
                entry("match", "user.name", "included", "\"bob\"")));
        add.accept("invoice", item("invoice", "", nested("email.attachments", entry("match", "file.name", "included", "\"invoice.pdf\""),
                entry("match", "file.size", "included", "\"100\""))));
        add.accept("not-invoice", item("not-invoice", "", nested("email.attachments", entry("match", "file.name", "excluded", "\"invoice.pdf\""))));
        add.accept("exe", item("exe", "", nested("email.attachments", entry("match_any", "file.extension", "included", "[\"exe\",\"js\"]"),
                entry("exists", "file.size", "included", null))));
        add.accept("windows", item("windows", ",\"os_types\":[\"windows\"]", entry("match", "destination.ip", "included", "\"8.8.8.8\"")));
        add.accept("linux-mac", item("linux-mac", ",\"os_types\":[\"linux\",\"macos\"]", entry("wildcard", "host.name", "included", "\"ws-*\"")));
        add.accept("caseless", item("caseless", "", entry("match", "host.os.name.caseless", "included", "\"ubuntu\"")));
        add.accept("expired", item("expired", ",\"expire_time\":\"2024-05-31T00:00:00.000Z\"", entry("match", "host.name", "included", "\"ws-04\"")));
        add.accept("expires-at-start", item("expires-at-start", ",\"expire_time\":\"" + EXECUTION + "\"",
                entry("match", "host.name", "included", "\"ws-05\"")));
        add.accept("case", item("case", "", entry("match", "host.name", "included", "\"Relay-1\"")));
        add.accept("long-coerced", item("long-coerced", "", entry("match", "destination.port", "included", "\"25.0\""),
                entry("match", "user.name", "included", "\"carol\"")));
        add.accept("never", item("never", "", entry("match", "destination.port", "included", "\"25.5\"")));
        return items;
    }

    /** Items Elasticsearch refuses to search with: our loader must refuse them too. */
    private static List<Item> rejected() {
        return List.of(
                new Item("not-an-ip", item("not-an-ip", "", entry("match", "source.ip", "included", "\"mail.example.com\""))),
                new Item("mapped-cidr", item("mapped-cidr", "", entry("match", "source.ip", "included", "\"::ffff:10.0.0.0/104\""))),
                new Item("not-a-number", item("not-a-number", "", entry("match_any", "destination.port", "included", "[\"25\",\"smtp\"]"))),
                new Item("wildcard-ip", item("wildcard-ip", "", entry("wildcard", "source.ip", "included", "\"10.*\""))),
                new Item("wildcard-long", item("wildcard-long", "", entry("wildcard", "destination.port", "included", "\"2*\""))),
                new Item("nested-object", item("nested-object", "", nested("host", entry("match", "name", "included", "\"relay-1\"")))));
    }

    private static final Map<String, List<String>> VALUE_LISTS = Map.of(
            "relay-ranges", List.of("10.20.0.0/24", " 192.168.7.1-192.168.7.9 ", "", "172.16.5.0/28", "10.20.0.0/24", "fd00::10-fd00::20",
                    "192.168.8.8"),
            "relay-hosts", List.of("relay-17", "mx-backup-01", "Relay-2"),
            "relay-ips", List.of("10.30.0.1", "::ffff:10.30.0.2", "fd00::1"),
            "no-ranges", List.of("", "  "),
            "no-hosts", List.of());

    @ParameterizedTest
    @MethodSource("org.smtpdetect.testing.ElasticsearchService#versions")
    void ourVerdictsEqualTheNodesForEveryEventAndItem(String version) throws Exception {
        EsRest rest = ElasticsearchService.get(version).rest();
        String index = "exceptions-" + version.replace('.', '-') + "-" + UUID.randomUUID().toString().substring(0, 8);
        rest.put("/" + index, MAPPING).ok();

        Path lists = Files.createDirectories(dir.resolve("lists"));
        for (Map.Entry<String, List<String>> l : VALUE_LISTS.entrySet()) Files.write(lists.resolve(l.getKey() + ".txt"), l.getValue());

        Map<String, String> events = new LinkedHashMap<>();
        Random random = new Random(8);
        for (int i = 0; i < 3000; i++) events.put("g-" + i, generated(random).toString());
        for (String file : Corpus.FILES) {
            List<String> lines = Corpus.events(file);
            List<String> verdicts = Corpus.verdicts(file, false);
            for (int i = 0; i < lines.size(); i++) {
                if (verdicts.get(i).startsWith("rejected")) continue;
                events.put(file + "-" + (i + 1), withoutAnnotations(lines.get(i)));
            }
        }
        Set<String> indexed = rest.bulkIndex(index, events, new LinkedHashMap<>());

        List<Item> items = items();
        Detector detector = null;
        Map<String, ExceptionSet> perItem = new LinkedHashMap<>();
        for (Item item : items) {
            Path file = KibanaExport.write(dir.resolve(item.id + ".ndjson"), "mail-relays", "Mail relays", List.of(item.json));
            perItem.put(item.id, ExceptionSet.compile(ExceptionSources.read(List.of(file), lists), List.of(SEED), FieldTypes.ecs()));
        }
        Path all = KibanaExport.write(dir.resolve("mail-relays.ndjson"), "mail-relays", "Mail relays", items.stream().map(Item::json).toList());
        ExceptionSet whole = ExceptionSet.compile(ExceptionSources.read(List.of(all), lists), List.of(SEED), FieldTypes.ecs());
        detector = Detector.of(List.of(SEED), whole.fields());
        whole.bind(detector.schema());
        for (ExceptionSet s : perItem.values()) s.bind(detector.schema());

        long nestedVerdicts = 0;
        // Each item alone: the clause Kibana builds for it, against our item.
        long itemVerdicts = 0;
        Map<String, Integer> matchedBy = new LinkedHashMap<>();
        for (Item item : items) {
            Set<String> node = ids(rest, index, "{\"bool\":{\"should\":" + KibanaFilter.itemClauses(JSON.readTree(item.json), lists) + "}}");
            Set<String> ours = new HashSet<>();
            for (String id : indexed) {
                byte[] b = events.get(id).getBytes(StandardCharsets.UTF_8);
                ParsedEvent e = detector.parse(b);
                assertThat(e.isError()).as("%s is indexed by the node but %s for us", id, e.error()).isFalse();
                if (perItem.get(item.id).match(0, e, b, 0, b.length, Long.MIN_VALUE) != null) ours.add(id);
                itemVerdicts++;
            }
            assertThat(ours).as("events item %s excepts (node %s)", item.id, version).isEqualTo(node);
            matchedBy.put(item.id, node.size());
        }
        assertThat(matchedBy.values().stream().filter(n -> n > 0).count()).as("items that except something: %s", matchedBy)
                .isGreaterThanOrEqualTo(items.size() - 2);

        // The rule's query with Kibana's exception filter of the execution at EXECUTION.
        List<JsonNode> live = new ArrayList<>();
        for (Item item : items) {
            JsonNode n = JSON.readTree(item.json);
            if (!n.has("expire_time") || !Instant.parse(n.get("expire_time").asText()).isBefore(EXECUTION)) live.add(n);
        }
        ArrayNode should = F.arrayNode();
        for (JsonNode n : live) KibanaFilter.itemClauses(n, lists).forEach(should::add);
        String withExceptions = "{\"bool\":{\"filter\":[" + RULE_QUERY + "],\"must_not\":[{\"bool\":{\"should\":" + should + "}}]}}";
        Set<String> nodeRule = ids(rest, index, RULE_QUERY);
        Set<String> nodeAlerts = ids(rest, index, withExceptions);
        Set<String> ourRule = new HashSet<>();
        Set<String> ourAlerts = new HashSet<>();
        for (String id : indexed) {
            byte[] b = events.get(id).getBytes(StandardCharsets.UTF_8);
            ParsedEvent e = detector.parse(b);
            if (!detector.matches(0, e)) continue;
            ourRule.add(id);
            if (whole.match(0, e, b, 0, b.length, EXECUTION.toEpochMilli()) == null) ourAlerts.add(id);
        }
        assertThat(ourRule).as("rule matches").isEqualTo(nodeRule);
        assertThat(ourAlerts).as("rule matches not excepted").isEqualTo(nodeAlerts);
        assertThat(nodeAlerts.size()).isBetween(1, nodeRule.size() - 1);

        // KQL nested queries over the same events: the compiled DSL on the node against the rule core.
        for (String kql : List.of("email.attachments:{ file.name:\"invoice.pdf\" }",
                "email.attachments:{ file.name:\"invoice.pdf\" and file.size > 50 }",
                "email.attachments:{ not file.name:\"invoice.pdf\" }",
                "not email.attachments:{ file.extension:(exe or js) }",
                "email.attachments:{ file.name:*.pdf or file.extension:docx } and destination.port:25",
                "email.attachments:{ file.size:* }")) {
            org.smtpdetect.kql.CompiledQuery q = org.smtpdetect.kql.KqlCompiler.compile(kql, FieldTypes.bundled());
            org.smtpdetect.event.FieldSchema schema = org.smtpdetect.event.FieldSchema.of(q.fields());
            q.bind(schema);
            org.smtpdetect.event.EventParser parser = new org.smtpdetect.event.EventParser(schema);
            Set<String> node = ids(rest, index, q.elasticsearchQuery().toString());
            Set<String> ours = new HashSet<>();
            for (String id : indexed) {
                ParsedEvent e = parser.parse(events.get(id).getBytes(StandardCharsets.UTF_8));
                if (!e.isError() && q.matches(e)) ours.add(id);
            }
            assertThat(ours).as("events matching %s (node %s)", kql, version).isEqualTo(node);
            assertThat(node).as("events matching %s", kql).isNotEmpty();
            nestedVerdicts += indexed.size();
        }

        // What the node refuses to search with, the loader refuses to load.
        for (Item bad : rejected()) {
            String query = "{\"query\":{\"bool\":{\"should\":" + KibanaFilter.itemClauses(JSON.readTree(bad.json), lists) + "}}}";
            assertThat(rest.post("/" + index + "/_search", query).status()).as("the node's answer to %s", bad.id).isEqualTo(400);
            Path file = KibanaExport.write(dir.resolve(bad.id + ".ndjson"), "mail-relays", "Mail relays", List.of(bad.json));
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> ExceptionSet.compile(ExceptionSources.read(List.of(file), lists),
                    List.of(SEED), FieldTypes.ecs())).as("our loader on %s", bad.id).isInstanceOf(ExceptionFormatException.class);
        }
        System.out.printf("Exceptions against Elasticsearch %s: %d events indexed (%d refused by the node), %d items: %d item verdicts and %d"
                        + " rule+exceptions verdicts equal (%d rule matches, %d not excepted); %d rejected searches refused by both;"
                        + " %d verdicts of 6 KQL nested queries equal%n",
                version, indexed.size(), events.size() - indexed.size(), items.size(), itemVerdicts, indexed.size(), nodeRule.size(),
                nodeAlerts.size(), rejected().size(), nestedVerdicts);
        rest.delete("/" + index);
    }


    private static Set<String> ids(EsRest rest, String index, String query) {
        Set<String> out = new HashSet<>();
        for (JsonNode h : rest.search(index, "{\"size\":10000,\"_source\":false,\"query\":" + query + "}")) out.add(h.get("_id").asText());
        return out;
    }

    private static String withoutAnnotations(String line) throws IOException {
        JsonNode n = JSON.readTree(line);
        if (n instanceof ObjectNode o) {
            Iterator<String> names = o.fieldNames();
            while (names.hasNext()) {
                if (names.next().startsWith("_")) names.remove();
            }
        }
        return JSON.writeValueAsString(n);
    }

    // ---- generated events: the rule's traffic with the variations the items are about ----

    private static JsonNode pick(Random r, Object... values) {
        Object v = values[r.nextInt(values.length)];
        if (v == null) return null;
        if (v instanceof JsonNode n) return n;
        if (v instanceof Integer i) return F.numberNode(i);
        if (v instanceof Double d) return F.numberNode(d);
        return F.textNode((String) v);
    }

    private static ArrayNode array(Object... values) {
        ArrayNode a = F.arrayNode();
        for (Object v : values) {
            if (v instanceof String s) a.add(s);
            else if (v instanceof JsonNode n) a.add(n);
        }
        return a;
    }

    private static ObjectNode generated(Random r) {
        ObjectNode e = F.objectNode();
        e.put("@timestamp", "2024-06-01T09:5" + r.nextInt(10) + ":00Z");
        set(r, e, "event.category", pick(r, "network", "network", "network_traffic", "process", array("process", "network")));
        set(r, e, "network.transport", pick(r, "tcp", "tcp", "tcp", "udp", "TCP"));
        set(r, e, "destination.port", pick(r, 25, 25, 587, 465, "25", "587.0", 465.0, "25.0", 80, "smtp", null));
        set(r, e, "source.ip", pick(r, "10.20.0.25", "10.20.0.26", "10.20.1.7", "::ffff:10.20.0.25", "192.168.7.5", "192.168.7.9",
                "192.168.7.10", "192.168.8.8", "172.16.5.3", "172.16.5.20", "10.30.0.1", "10.30.0.2", "::ffff:a1e:2", "fd00::15", "fd00::1",
                "fd00::30", "10.9.9.9", array("8.8.8.8", "10.20.0.25"), "not-an-ip", "", null));
        set(r, e, "destination.ip", pick(r, "8.8.8.8", "8.8.8.8", "203.0.113.9", "203.0.113.77", "::ffff:8.8.8.8", "2001:db8::1", "10.1.1.1", null));
        set(r, e, "host.name", pick(r, "relay-1", "relay-2", "Relay-1", "Relay-2", "relay-17", "relay-x", "mx-backup-01", "mx-a-b-01",
                "ws-01", "ws-02", "ws-03", "ws-04", "ws-05", "", array("ws-02", "relay-1"), null));
        set(r, e, "host.os.type", pick(r, "windows", "Windows", "linux", "macos", null, null));
        set(r, e, "host.os.name", pick(r, "Windows", "Windows Server 2019", "Ubuntu", "ubuntu", "UBUNTU", "Linux", "macOS", null, null));
        set(r, e, "user.name", pick(r, "svc-mail", "SVC-MAIL", "alice", "bob", "carol", array("alice", "svc-mail"), F.arrayNode(), null, null));
        if (r.nextInt(3) == 0) set(r, e, "event.dataset", pick(r, "zeek.smtp", "zeek.conn"));
        switch (r.nextInt(8)) {
            case 0 -> set(r, e, "email.attachments", attachments(F.objectNode().put("name", "invoice.pdf").put("size", 100)));
            case 1 -> set(r, e, "email.attachments", attachments(F.objectNode().put("name", "invoice.pdf").put("size", 7),
                    F.objectNode().put("name", "x.exe").put("extension", "exe").put("size", "100")));
            case 2 -> set(r, e, "email.attachments", F.objectNode().set("file", F.objectNode().put("name", "report.docx").put("extension", "docx")));
            case 3 -> set(r, e, "email.attachments", attachments(F.objectNode().put("size", 100)));
            case 4 -> set(r, e, "email.attachments", F.arrayNode());
            case 5 -> set(r, e, "email.attachments", attachments(F.objectNode().put("name", "a.js").put("extension", "js")));
            default -> { }
        }
        return e;
    }

    private static ArrayNode attachments(ObjectNode... files) {
        ArrayNode a = F.arrayNode();
        for (ObjectNode f : files) a.add(F.objectNode().set("file", f));
        return a;
    }

    /** Sets a dotted field, as nested objects or as a dotted key (Elasticsearch indexes both the same). */
    private static void set(Random r, ObjectNode root, String path, JsonNode value) {
        if (value == null) return;
        if (r.nextInt(4) == 0) {
            root.set(path, value);
            return;
        }
        String[] parts = path.split("\\.");
        ObjectNode o = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = o.get(parts[i]);
            if (!(child instanceof ObjectNode)) {
                child = F.objectNode();
                o.set(parts[i], child);
            }
            o = (ObjectNode) child;
        }
        o.set(parts[parts.length - 1], value);
    }
}

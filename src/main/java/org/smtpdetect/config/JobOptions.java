package org.smtpdetect.config;

import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The job's options, from command-line arguments ({@code --name value} or {@code --name=value}) and from the
 * Flink configuration ({@code smtp.<name>}; arguments win). Unknown names and invalid values fail at start-up
 * with a message naming the option. Secret values may be {@code env:VAR} or {@code file:/path}; they are
 * resolved here and never logged.
 */
public final class JobOptions implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Prefix of job options inside a Flink configuration. */
    public static final String FLINK_CONFIG_PREFIX = "smtp.";
    /** Prefix of Kafka client properties passed through to the consumer and producer. */
    public static final String KAFKA_PROPERTY_PREFIX = "kafka.property.";

    enum Kind { TEXT, LIST, DURATION, BOOLEAN, POSITIVE_INT, SECRET, TIMESTAMP_FIELD, OFFSETS, AUTO_OR_FALSE }

    /** One documented option. */
    public record Option(String name, String defaultValue, Kind kind, String description) implements Serializable {}

    public static final List<Option> OPTIONS = List.of(
            new Option("rules", "", Kind.LIST, "Rule files to run (.toml detection-rules format, .ndjson Kibana export, .json), comma-separated. Empty: the bundled seed rule \"SMTP to the Internet\" v8."),
            new Option("timestamp-field", "@timestamp", Kind.TIMESTAMP_FIELD, "Event time: `@timestamp`, or `event.ingested` falling back to `@timestamp` (Kibana's timestamp override). When not set, a rule's `timestamp_override` decides."),
            new Option("max-out-of-orderness", "4m", Kind.DURATION, "Watermark bound for out-of-order events. Default: look-back minus interval, so an event Kibana could still see is never late."),
            new Option("idleness", "1m", Kind.DURATION, "A partition or file with no events for this long stops holding back the watermark."),
            new Option("caught-up-idleness", "5s", Kind.DURATION, "Once a source reader has read all its Kafka partitions to their end, a partition with no events for this long stops holding back the watermark (the most advanced one last), so the last executions of a backlog fire at once."),
            new Option("early-alerts", "false", Kind.BOOLEAN, "Alert as soon as an event is evaluated instead of when its execution closes (see README)."),
            new Option("exceptions", "", Kind.LIST, "Rule exception files, comma-separated: Kibana exception list exports (`.ndjson`) or detection-rules exceptions (`.toml`). Applied as Kibana applies them; reloaded while streaming (see README)."),
            new Option("field-types", "", Kind.TEXT, "File of field types for your own mappings, added to or replacing the bundled table (Elastic's ECS, integration and Beats types): lines of `field<TAB>mapping type[<TAB>analyzer]`."),
            new Option("value-lists", "", Kind.TEXT, "Directory of the value lists the exceptions reference: `<list id>.txt`, one value per line, as Kibana exports them."),
            new Option("exceptions-poll-interval", "30s", Kind.DURATION, "Streaming mode: how often the exception files and value lists are read again; a change applies from the next execution."),
            new Option("space-id", "default", Kind.TEXT, "Kibana space written to `kibana.space_ids` and hashed into alert ids."),
            new Option("kibana.rule-uuid", "", Kind.LIST, "`kibana.alert.rule.uuid` of the alerts: the saved-object id of the same rule installed in Kibana (so its alert flyout, investigation guide and \"add exception\" find the rule), or `rule_id=id,...` pairs when several rules run. Empty: the rule_id. Disable the Kibana copy of the rule, or each event alerts twice. Alert ids do not depend on it."),
            new Option("parallelism", "", Kind.POSITIVE_INT, "Job parallelism. Empty: the cluster's default."),
            new Option("checkpoint-interval", "30s", Kind.DURATION, "Streaming mode: exactly-once checkpoints this often; Kafka offsets are committed on each. `0` disables them (offsets are then never committed). On a cluster its own `execution.checkpointing.interval` wins unless this is given."),
            new Option("checkpoint-dir", "~/.smtp-to-internet/checkpoints", Kind.TEXT, "Local streaming runs (`mvn exec:java`): where checkpoints are kept, per consumer group. On a cluster: `execution.checkpointing.dir`."),
            new Option("resume-from-checkpoint", "true", Kind.BOOLEAN, "Local streaming runs: start from the newest checkpoint in checkpoint-dir, so a restart loses no pending alert. `false` starts from the committed offsets."),
            new Option("verbose", "false", Kind.BOOLEAN, "Print the stack trace of a start-up error after its one-line message (`--verbose` alone means true)."),
            new Option("input", "", Kind.LIST, "Replay mode: NDJSON files or directories (`.gz` accepted), comma-separated. The job runs bounded and exits."),
            new Option("output", "", Kind.TEXT, "Replay mode: file for alert documents, one JSON per line. Empty: print to stdout."),
            new Option("status-output", "", Kind.TEXT, "Replay mode: file for execution status records."),
            new Option("dead-letter-output", "", Kind.TEXT, "Replay mode: file for dead letters."),
            new Option("kafka.bootstrap-servers", "", Kind.TEXT, "Streaming mode: Kafka brokers, `host:port,...`."),
            new Option("kafka.topics", "", Kind.LIST, "Topics to read, comma-separated. Topics that do not exist yet are named once and read when created. Empty: every topic matching the rules' index patterns (see README)."),
            new Option("kafka.topic-pattern", "", Kind.TEXT, "Java regex of topics to read instead (whole name; new matching topics are discovered), e.g. `(filebeat|packetbeat|logs-endpoint\\.events).*`."),
            new Option("kafka.group-id", "smtp-to-internet", Kind.TEXT, "Consumer group; offsets are committed on checkpoints."),
            new Option("kafka.starting-offsets", "committed", Kind.OFFSETS, "`committed` (falling back to earliest), `earliest`, `latest`, or `timestamp:<epoch-ms>`. Only for a fresh start: a restore uses checkpointed offsets."),
            new Option("kafka.partition-discovery-interval", "1m", Kind.DURATION, "How often new topics and partitions are discovered (read from their earliest offset)."),
            new Option("dead-letter.topic", "smtp-to-internet-dead-letters", Kind.TEXT, "Kafka topic for dead letters (streaming mode), unless es.dead-letter-index is set."),
            new Option("es.hosts", "", Kind.LIST, "Streaming mode: Elasticsearch URLs, `https://host:9200,...` (7.17, 8.x or 9.x)."),
            new Option("es.username", "", Kind.TEXT, "Basic-auth user."),
            new Option("es.password", "", Kind.SECRET, "Basic-auth password (`env:VAR` or `file:/path` recommended)."),
            new Option("es.api-key", "", Kind.SECRET, "API key (the base64 `id:key` form Elasticsearch returns as `encoded`); instead of username/password."),
            new Option("es.ca-file", "", Kind.TEXT, "PEM file of the CA that signed Elasticsearch's certificate, for https hosts."),
            new Option("es.alert-index", "smtp-to-internet-alerts", Kind.TEXT, "Index (or alias) for alert documents."),
            new Option("es.status-index", "smtp-to-internet-executions", Kind.TEXT, "Index for execution status records."),
            new Option("es.dead-letter-index", "", Kind.TEXT, "Index for dead letters instead of the Kafka topic."),
            new Option("es.kibana-alias", "auto", Kind.AUTO_OR_FALSE, "`auto`: at start-up, add the alert index to Kibana's `.alerts-security.alerts-<space-id>` alias (as a non-write index) when Kibana has created it, so alerts show in Kibana's Alerts page. `false`: never touch it."),
            new Option("es.bulk.max-actions", "500", Kind.POSITIVE_INT, "Documents per bulk request."),
            new Option("es.bulk.flush-interval", "200ms", Kind.DURATION, "Longest a document waits in a partial bulk request (a lone alert is not held back)."),
            new Option("es.bulk.max-retries", "", Kind.POSITIVE_INT, "Retries of a document Elasticsearch could not take (unreachable, 429, 5xx) before the job fails and restarts from its last checkpoint. Empty: retry until it is written."),
            new Option("es.bulk.backoff-delay", "200ms", Kind.DURATION, "First retry delay; doubles each retry up to es.bulk.max-backoff."),
            new Option("es.bulk.max-backoff", "30s", Kind.DURATION, "Longest wait between two retries of a document. Unreachable nodes are also asked every second whether they answer again, and the first answer re-sends every waiting document."));

    private static final Map<String, Option> BY_NAME = new LinkedHashMap<>();

    static {
        for (Option o : OPTIONS) BY_NAME.put(o.name(), o);
    }

    private final Map<String, String> values;
    private final Map<String, String> kafkaProperties;

    private JobOptions(Map<String, String> values, Map<String, String> kafkaProperties) {
        this.values = values;
        this.kafkaProperties = kafkaProperties;
    }

    /** Options from arguments alone. */
    public static JobOptions fromArgs(String... args) {
        return parse(args, Map.of(), System::getenv);
    }

    /**
     * Options from arguments over Flink configuration entries ({@code smtp.*}). {@code env} resolves
     * {@code env:VAR} secrets.
     */
    public static JobOptions parse(String[] args, Map<String, String> flinkConfig, Function<String, String> env) {
        Map<String, String> raw = new LinkedHashMap<>();
        flinkConfig.forEach((k, v) -> {
            if (k.startsWith(FLINK_CONFIG_PREFIX)) raw.put(k.substring(FLINK_CONFIG_PREFIX.length()), v);
        });
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() == 2) throw new IllegalArgumentException("unexpected argument '" + a + "': options look like --name value (see README)");
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (isFlag(name) && (i + 1 >= args.length || args[i + 1].startsWith("--"))) {
                value = "true";
            } else {
                if (i + 1 >= args.length) throw new IllegalArgumentException("option --" + name + " needs a value");
                value = args[++i];
            }
            raw.put(name, value);
        }
        Map<String, String> values = new TreeMap<>();
        Map<String, String> kafka = new TreeMap<>();
        for (Map.Entry<String, String> e : raw.entrySet()) {
            String name = e.getKey();
            if (name.startsWith(KAFKA_PROPERTY_PREFIX) && name.length() > KAFKA_PROPERTY_PREFIX.length()) {
                kafka.put(name.substring(KAFKA_PROPERTY_PREFIX.length()), resolveSecret(name, e.getValue(), env));
                continue;
            }
            Option o = BY_NAME.get(name);
            if (o == null) throw new IllegalArgumentException("unknown option --" + name + suggestion(name));
            String v = o.kind() == Kind.SECRET ? resolveSecret(name, e.getValue(), env) : e.getValue().strip();
            validate(o, v);
            values.put(name, v);
        }
        JobOptions opts = new JobOptions(values, kafka);
        opts.checkCombinations();
        return opts;
    }

    /** A boolean option may be given alone ({@code --verbose}) to mean true. */
    private static boolean isFlag(String name) {
        Option o = BY_NAME.get(name);
        return o != null && o.kind() == Kind.BOOLEAN;
    }

    /** Whether {@code --verbose} was asked for, for reporting a start-up error before the options could be parsed. */
    public static boolean verboseRequested(String[] args) {
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--verbose=true") || args[i].equals("--verbose")
                    && (i + 1 >= args.length || !args[i + 1].equals("false"))) return true;
        }
        return false;
    }

    private void checkCombinations() {
        if (!list("kafka.topics").isEmpty() && !text("kafka.topic-pattern").isEmpty()) {
            throw new IllegalArgumentException("options --kafka.topics and --kafka.topic-pattern exclude each other: name the topics or give a pattern");
        }
        if (!text("kafka.topic-pattern").isEmpty()) {
            try {
                Pattern.compile(text("kafka.topic-pattern"));
            } catch (java.util.regex.PatternSyntaxException e) {
                throw new IllegalArgumentException("option --kafka.topic-pattern is not a Java regex: " + e.getDescription() + " near index " + e.getIndex());
            }
        }
        if (!list("input").isEmpty() && !text("kafka.bootstrap-servers").isEmpty()) {
            throw new IllegalArgumentException("options --input and --kafka.bootstrap-servers exclude each other: replay files or read Kafka");
        }
        if (!text("kafka.bootstrap-servers").isEmpty() && list("es.hosts").isEmpty()) {
            throw new IllegalArgumentException("option --es.hosts is required with --kafka.bootstrap-servers: alerts are written to Elasticsearch");
        }
        if (!text("es.api-key").isEmpty() && !text("es.username").isEmpty()) {
            throw new IllegalArgumentException("options --es.api-key and --es.username exclude each other: choose one authentication");
        }
        if (!text("es.username").isEmpty() && text("es.password").isEmpty()) {
            throw new IllegalArgumentException("option --es.password is required with --es.username");
        }
        for (String out : List.of("output", "status-output", "dead-letter-output")) {
            if (!text(out).isEmpty() && list("input").isEmpty()) {
                throw new IllegalArgumentException("option --" + out + " only applies to replay (--input)");
            }
        }
        String caFile = text("es.ca-file");
        if (!caFile.isEmpty() && !Files.isReadable(Path.of(caFile))) {
            throw new IllegalArgumentException("option --es.ca-file: cannot read " + caFile);
        }
        for (String rule : list("rules")) {
            if (!Files.isReadable(Path.of(rule))) throw new IllegalArgumentException("option --rules: cannot read " + rule);
        }
        for (String file : list("exceptions")) {
            if (!Files.isReadable(Path.of(file))) throw new IllegalArgumentException("option --exceptions: cannot read " + file);
        }
        String fieldTypes = text("field-types");
        if (!fieldTypes.isEmpty() && !Files.isReadable(Path.of(fieldTypes))) {
            throw new IllegalArgumentException("option --field-types: cannot read " + fieldTypes);
        }
        String valueLists = text("value-lists");
        if (!valueLists.isEmpty() && !Files.isDirectory(Path.of(valueLists))) {
            throw new IllegalArgumentException("option --value-lists: no directory " + valueLists);
        }
        if (!valueLists.isEmpty() && list("exceptions").isEmpty()) {
            throw new IllegalArgumentException("option --value-lists needs --exceptions: value lists are read for the exception items that reference them");
        }
        if (duration("exceptions-poll-interval").isZero()) {
            throw new IllegalArgumentException("option --exceptions-poll-interval must be positive, found '" + text("exceptions-poll-interval") + "'");
        }
    }

    private static String suggestion(String name) {
        String best = closest(name, BY_NAME.keySet());
        return best == null ? " (see README for the option list)" : " (did you mean --" + best + "?)";
    }

    /** The candidate closest to a misspelt {@code name} (at most 3 edits away), or null. */
    public static String closest(String name, java.util.Collection<String> candidates) {
        String best = null;
        int bestDistance = 4;
        for (String known : candidates) {
            int d = distance(name, known);
            if (d < bestDistance) {
                bestDistance = d;
                best = known;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static String resolveSecret(String name, String value, Function<String, String> env) {
        if (value.startsWith("env:")) {
            String var = value.substring(4);
            String v = env.apply(var);
            if (v == null) throw new IllegalArgumentException("option --" + name + ": environment variable " + var + " is not set");
            return v;
        }
        if (value.startsWith("file:")) {
            Path p = Path.of(value.substring(5));
            try {
                return Files.readString(p, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new IllegalArgumentException("option --" + name + ": cannot read secret file " + p + ": " + e.getMessage());
            }
        }
        return value;
    }

    private static void validate(Option o, String v) {
        String problem = null;
        switch (o.kind()) {
            case DURATION:
                if (parseDuration(v) == null) problem = "must be a duration like 500ms, 30s, 4m or 1h";
                break;
            case BOOLEAN:
                if (!v.equals("true") && !v.equals("false")) problem = "must be true or false";
                break;
            case POSITIVE_INT:
                if (!v.isEmpty()) {
                    try {
                        if (Integer.parseInt(v) <= 0) problem = "must be a positive integer";
                    } catch (NumberFormatException e) {
                        problem = "must be a positive integer";
                    }
                }
                break;
            case TIMESTAMP_FIELD:
                if (!v.equals("@timestamp") && !v.equals("event.ingested")) problem = "must be @timestamp or event.ingested";
                break;
            case OFFSETS:
                if (!v.matches("committed|earliest|latest|timestamp:\\d+")) problem = "must be committed, earliest, latest or timestamp:<epoch-ms>";
                break;
            case AUTO_OR_FALSE:
                if (!v.equals("auto") && !v.equals("false")) problem = "must be auto or false";
                break;
            default:
        }
        if (problem != null) throw new IllegalArgumentException("option --" + o.name() + " " + problem + ", found '" + v + "'");
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|min|h|d)");

    static Duration parseDuration(String v) {
        if (v.equals("0")) return Duration.ZERO;
        Matcher m = DURATION.matcher(v.toLowerCase(Locale.ROOT));
        if (!m.matches()) return null;
        long n = Long.parseLong(m.group(1));
        switch (m.group(2)) {
            case "ms": return Duration.ofMillis(n);
            case "s": return Duration.ofSeconds(n);
            case "m": case "min": return Duration.ofMinutes(n);
            case "h": return Duration.ofHours(n);
            default: return Duration.ofDays(n);
        }
    }

    public String text(String name) {
        Option o = option(name);
        return values.getOrDefault(name, o.defaultValue());
    }

    public boolean isSet(String name) {
        option(name);
        return values.containsKey(name);
    }

    public List<String> list(String name) {
        String v = text(name);
        if (v.isBlank()) return List.of();
        List<String> out = new ArrayList<>();
        for (String s : v.split(",")) {
            if (!s.isBlank()) out.add(s.strip());
        }
        return Collections.unmodifiableList(out);
    }

    public Duration duration(String name) {
        return parseDuration(text(name));
    }

    public boolean bool(String name) {
        return Boolean.parseBoolean(text(name));
    }

    /** The value, or 0 when empty. */
    public int integer(String name) {
        String v = text(name);
        return v.isEmpty() ? 0 : Integer.parseInt(v);
    }

    /** Kafka client properties given as {@code kafka.property.<name>}. */
    public Map<String, String> kafkaProperties() {
        return Collections.unmodifiableMap(kafkaProperties);
    }

    private static Option option(String name) {
        Option o = BY_NAME.get(name);
        if (o == null) throw new IllegalArgumentException("no option " + name);
        return o;
    }

    private static final java.util.Set<String> SHOWN_KAFKA_PROPERTIES = java.util.Set.of("security.protocol", "sasl.mechanism",
            "ssl.truststore.type", "ssl.truststore.location", "ssl.keystore.type", "ssl.keystore.location",
            "ssl.endpoint.identification.algorithm", "ssl.protocol", "ssl.enabled.protocols", "client.id", "client.rack",
            "isolation.level", "max.poll.records", "fetch.max.bytes", "max.partition.fetch.bytes", "request.timeout.ms",
            "compression.type", "acks", "linger.ms", "batch.size");

    /** The options as given, with secrets masked: safe to log. */
    @Override
    public String toString() {
        Map<String, String> shown = new TreeMap<>(values);
        for (Option o : OPTIONS) {
            if (o.kind() == Kind.SECRET && shown.containsKey(o.name())) shown.put(o.name(), "******");
        }
        // Only values known to be harmless are shown: a misspelt sasl.jaas.config must not leak its password.
        kafkaProperties.keySet().forEach(k -> shown.put(KAFKA_PROPERTY_PREFIX + k, SHOWN_KAFKA_PROPERTIES.contains(k) ? kafkaProperties.get(k) : "******"));
        return shown.toString();
    }

    /** Option names, for docs and manifest checks. */
    public static List<String> names() {
        return Arrays.asList(BY_NAME.keySet().toArray(new String[0]));
    }
}

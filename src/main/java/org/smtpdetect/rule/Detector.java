package org.smtpdetect.rule;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.smtpdetect.event.EventParser;
import org.smtpdetect.event.EventReader;
import org.smtpdetect.event.EventScanner;
import org.smtpdetect.event.FieldSchema;
import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.FieldTypes;
import org.smtpdetect.event.FieldValues;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.kql.CompiledQuery;
import org.smtpdetect.kql.KqlCompiler;
import org.smtpdetect.kql.KqlSyntaxException;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rules compiled together over one field schema: one parse per event extracts every field any rule reads (plus
 * the timestamp fields), then each rule's predicate runs on it. Not thread-safe: one per task.
 */
public final class Detector {
    public static final String TIMESTAMP = "@timestamp";
    public static final String EVENT_INGESTED = "event.ingested";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Which parser reads the events: both give the same verdicts and values. */
    public enum Parser {
        /** {@link EventScanner}: the validating scanner, several times faster. The default. */
        SCANNER,
        /** {@link EventParser}: Jackson configured as Elasticsearch configures it, the reference. */
        JACKSON
    }

    private final List<Rule> rules;
    private final List<CompiledQuery> queries;
    private final FieldSchema schema;
    private final EventReader parser;
    private final int timestampSlot;
    private final int ingestedSlot;

    private Detector(List<Rule> rules, List<CompiledQuery> queries, FieldSchema schema, Parser parser) {
        this.rules = List.copyOf(rules);
        this.queries = queries;
        this.schema = schema;
        this.parser = parser == Parser.JACKSON ? new EventParser(schema) : new EventScanner(schema);
        this.timestampSlot = schema.slotOf(TIMESTAMP);
        this.ingestedSlot = schema.slotOf(EVENT_INGESTED);
        for (CompiledQuery q : queries) q.bind(schema);
    }

    /** Compiles the rules over the default parser; a query that cannot run fails with the rule and the position. */
    public static Detector of(List<Rule> rules) {
        return of(rules, fieldTypes(rules), Map.of(), Parser.SCANNER);
    }

    /** Compiles the rules over the given parser. */
    public static Detector of(List<Rule> rules, Parser parser) {
        return of(rules, fieldTypes(rules), Map.of(), parser);
    }

    /**
     * Compiles the rules over a schema that also extracts {@code extraFields} (e.g. the fields rule exceptions
     * read), so one parse serves the rules and whatever else tests the event.
     */
    public static Detector of(List<Rule> rules, Map<String, FieldType> extraFields) {
        return of(rules, fieldTypes(rules), extraFields, Parser.SCANNER);
    }

    /**
     * The field types the rules compile with: the bundled table with the site's types the rules carry
     * ({@code --field-types}); the rules of one job carry the same.
     */
    public static FieldTypes fieldTypes(List<Rule> rules) {
        Map<String, String> overrides = new LinkedHashMap<>();
        for (Rule r : rules) overrides.putAll(r.fieldTypes());
        return FieldTypes.bundled().withOverrides(overrides);
    }

    /** Compiles the rules with these field types (the bundled table with a site's overrides, see FieldTypes). */
    public static Detector of(List<Rule> rules, FieldTypes types, Map<String, FieldType> extraFields) {
        return of(rules, types, extraFields, Parser.SCANNER);
    }

    /** Compiles the rules and the extra fields with these field types over the given parser. */
    public static Detector of(List<Rule> rules, FieldTypes types, Map<String, FieldType> extraFields, Parser parser) {
        if (rules.isEmpty()) throw new IllegalArgumentException("no rules");
        List<CompiledQuery> queries = new ArrayList<>();
        List<Map<String, FieldType>> fieldMaps = new ArrayList<>();
        for (Rule r : rules) {
            CompiledQuery q = compile(r, types);
            queries.add(q);
            fieldMaps.add(q.fields());
        }
        Map<String, FieldType> timestamps = new LinkedHashMap<>();
        timestamps.put(TIMESTAMP, FieldType.DATE);
        timestamps.put(EVENT_INGESTED, FieldType.DATE);
        fieldMaps.add(timestamps);
        fieldMaps.add(extraFields);
        return new Detector(rules, queries, FieldSchema.of(FieldSchema.union(fieldMaps)), parser);
    }

    /**
     * Compiles one rule's query and filters; what cannot run fails with the rule, the field ({@code query} or
     * {@code filters[i]}) and the position.
     */
    public static CompiledQuery compile(Rule r, FieldTypes types) {
        List<JsonNode> filters = new ArrayList<>();
        try {
            for (String f : r.filters()) filters.add(JSON.readTree(f));
        } catch (JsonProcessingException e) {
            throw new RuleFormatException("rule " + r.ruleId() + " (" + r.name() + "): field 'filters': not JSON: " + e.getOriginalMessage(), e);
        }
        try {
            return KqlCompiler.compile(r.query(), filters, types);
        } catch (KqlSyntaxException e) {
            String field = e.position() < 0 ? "" : "field 'query': ";
            throw new RuleFormatException("rule " + r.ruleId() + " (" + r.name() + "): " + field + e.getMessage(), e);
        }
    }

    public List<Rule> rules() {
        return rules;
    }

    /** The schema events are parsed with: every field a rule reads, the timestamps and the extra fields. */
    public FieldSchema schema() {
        return schema;
    }

    public CompiledQuery query(int rule) {
        return queries.get(rule);
    }

    /** Parses an event; the result is reused by the next call. */
    public ParsedEvent parse(byte[] data, int offset, int length) {
        return parser.parse(data, offset, length);
    }

    public ParsedEvent parse(byte[] data) {
        return parser.parse(data, 0, data.length);
    }

    public boolean matches(int rule, ParsedEvent event) {
        return !event.isError() && queries.get(rule).matches(event);
    }

    /**
     * The event time Kibana would use: {@code @timestamp}, or with {@code event.ingested} as the timestamp
     * field, {@code event.ingested} falling back to {@code @timestamp} (Kibana's timestamp override).
     * {@link Long#MIN_VALUE} when the event has no usable timestamp.
     */
    public long eventTime(ParsedEvent event, String timestampField) {
        if (EVENT_INGESTED.equals(timestampField)) {
            FieldValues ingested = event.values(ingestedSlot);
            if (!ingested.isEmpty()) return ingested.longAt(0);
        }
        FieldValues ts = event.values(timestampSlot);
        return ts.isEmpty() ? Long.MIN_VALUE : ts.longAt(0);
    }
}

package org.smtpdetect.kql;

import org.smtpdetect.event.FieldSchema;
import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.ParsedEvent;

import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/** A KQL query compiled against field types: a predicate over parsed events that knows the fields it reads. */
public final class CompiledQuery {
    /** One top-level clause and whether it held, for {@code check --explain}. */
    public record ClauseResult(String clause, boolean held) {}

    private final String query;
    private final Predicate root;
    private final List<Predicate> clauses;
    private final Map<String, FieldType> fields;
    private final List<String> warnings;
    private final ObjectNode elasticsearchQuery;
    private FieldSchema boundTo;

    CompiledQuery(String query, Predicate root, List<Predicate> clauses, Map<String, FieldType> fields, List<String> warnings,
                  ObjectNode elasticsearchQuery) {
        this.query = query;
        this.root = root;
        this.clauses = List.copyOf(clauses);
        this.fields = Collections.unmodifiableMap(fields);
        this.warnings = List.copyOf(warnings);
        this.elasticsearchQuery = elasticsearchQuery;
    }

    /** What a detection engineer should know about the query although it compiles (a clause that can never match). */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * The query Kibana's detection engine sends for the rule (a copy): {@code buildEsQuery}'s bool with the KQL's
     * DSL and the filters, without the time range and exception filter it adds per execution.
     */
    public ObjectNode elasticsearchQuery() {
        return elasticsearchQuery.deepCopy();
    }

    public String query() {
        return query;
    }

    /** The fields the query reads, with the types that decide their comparisons. */
    public Map<String, FieldType> fields() {
        return fields;
    }

    /** Binds the query to the schema its events are parsed with; must contain {@link #fields()}. */
    public synchronized CompiledQuery bind(FieldSchema schema) {
        if (boundTo != schema) {
            root.bind(schema);
            boundTo = schema;
        }
        return this;
    }

    public boolean matches(ParsedEvent event) {
        if (event.schema() != boundTo) throw new IllegalStateException("query not bound to the event's schema");
        return root.test(event);
    }

    /** The top-level clauses (of an {@code and}, or the whole query, then each filter) and whether each held. */
    public List<ClauseResult> explain(ParsedEvent event) {
        matches(event);
        List<ClauseResult> out = new ArrayList<>();
        for (Predicate p : clauses) out.add(new ClauseResult(p.describe(), p.test(event)));
        return out;
    }
}

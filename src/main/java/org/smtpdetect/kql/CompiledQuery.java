package org.smtpdetect.kql;

import org.smtpdetect.event.FieldSchema;
import org.smtpdetect.event.FieldType;
import org.smtpdetect.event.ParsedEvent;

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
    private final Map<String, FieldType> fields;
    private FieldSchema boundTo;

    CompiledQuery(String query, Predicate root, Map<String, FieldType> fields) {
        this.query = query;
        this.root = root;
        this.fields = Collections.unmodifiableMap(fields);
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

    /** The top-level clauses (of an {@code and}, or the whole query) and whether each held. */
    public List<ClauseResult> explain(ParsedEvent event) {
        matches(event);
        List<Predicate> clauses = root instanceof Predicate.And and ? and.clauses() : List.of(root);
        List<ClauseResult> out = new ArrayList<>();
        for (Predicate p : clauses) out.add(new ClauseResult(p.describe(), p.test(event)));
        return out;
    }
}

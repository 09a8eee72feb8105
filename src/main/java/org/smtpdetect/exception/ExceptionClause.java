package org.smtpdetect.exception;

import org.smtpdetect.event.NestedObjects;

import org.smtpdetect.event.EventParser;
import org.smtpdetect.event.FieldSchema;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.kql.Predicate;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A compiled exception entry or item: KQL-core predicates over the event's one-pass parse, composed as Kibana
 * composes its filter (AND of an item's entries, {@code must_not} for {@code excluded}), plus nested entries,
 * which test each object of a nested field on its own.
 */
abstract class ExceptionClause {
    /** An event under test: its parse, and its raw bytes for nested entries (parsed again only when needed). */
    static final class Document {
        final ParsedEvent event;
        private final byte[] data;
        private final int offset;
        private final int length;
        private Map<String, List<byte[]>> nested;

        Document(ParsedEvent event, byte[] data, int offset, int length) {
            this.event = event;
            this.data = data;
            this.offset = offset;
            this.length = length;
        }

        List<byte[]> nestedObjects(String path) {
            if (nested == null) nested = new HashMap<>(2);
            return nested.computeIfAbsent(path, p -> data == null ? List.of() : NestedObjects.find(data, offset, length, p));
        }
    }

    abstract boolean holds(Document d);

    abstract void bind(FieldSchema schema);

    /** A clause of entries on the event's own fields. */
    static final class Fields extends ExceptionClause {
        private final Predicate predicate;

        Fields(Predicate predicate) {
            this.predicate = predicate;
        }

        @Override
        boolean holds(Document d) {
            return predicate.test(d.event);
        }

        @Override
        void bind(FieldSchema schema) {
            predicate.bind(schema);
        }
    }

    /** Kibana's empty {@code bool} (an empty {@code ip_range} value list): Elasticsearch matches every document. */
    static final class Always extends ExceptionClause {
        @Override
        boolean holds(Document d) {
            return true;
        }

        @Override
        void bind(FieldSchema schema) {
        }
    }

    static final class Not extends ExceptionClause {
        private final ExceptionClause inner;

        Not(ExceptionClause inner) {
            this.inner = inner;
        }

        @Override
        boolean holds(Document d) {
            return !inner.holds(d);
        }

        @Override
        void bind(FieldSchema schema) {
            inner.bind(schema);
        }
    }

    /** An item: every entry holds. Entries on the event's own fields come first, nested ones (costlier) last. */
    static final class AllOf extends ExceptionClause {
        private final ExceptionClause[] clauses;

        AllOf(List<ExceptionClause> clauses) {
            this.clauses = clauses.stream()
                    .sorted((a, b) -> Boolean.compare(a instanceof Nested, b instanceof Nested))
                    .toArray(ExceptionClause[]::new);
        }

        @Override
        boolean holds(Document d) {
            for (ExceptionClause c : clauses) {
                if (!c.holds(d)) return false;
            }
            return true;
        }

        @Override
        void bind(FieldSchema schema) {
            for (ExceptionClause c : clauses) c.bind(schema);
        }
    }

    /**
     * Elasticsearch's {@code nested} query: some object of {@code path} satisfies every inner entry. Each object is
     * parsed on its own with the entries' fields relative to the path; a document without such an object matches
     * nothing, whatever the operators. Not thread-safe (one parser).
     */
    static final class Nested extends ExceptionClause {
        private final String path;
        private final Predicate inner;
        private final EventParser parser;

        Nested(String path, Predicate inner, FieldSchema objectSchema) {
            this.path = path;
            this.inner = inner;
            this.parser = new EventParser(objectSchema);
            inner.bind(objectSchema);
        }

        @Override
        boolean holds(Document d) {
            for (byte[] object : d.nestedObjects(path)) {
                ParsedEvent o = parser.parse(object);
                if (!o.isError() && inner.test(o)) return true;
            }
            return false;
        }

        @Override
        void bind(FieldSchema schema) {
        }
    }
}

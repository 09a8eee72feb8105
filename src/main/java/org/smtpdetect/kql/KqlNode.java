package org.smtpdetect.kql;

import java.util.List;

/** The syntax tree of a KQL query, before field types are known. */
public sealed interface KqlNode {
    /** Source offset of the node, for error messages. */
    int position();

    record Or(List<KqlNode> clauses, int position) implements KqlNode {}

    record And(List<KqlNode> clauses, int position) implements KqlNode {}

    record Not(KqlNode clause, int position) implements KqlNode {}

    /**
     * {@code field:values}, where values may combine literals with or/and/not. {@code field} may be a pattern
     * ({@code process.*}, an unescaped {@code *} in an unquoted field name).
     */
    record FieldMatch(String field, boolean fieldPattern, ValueExpr values, int position) implements KqlNode {}

    /** {@code field < value} and the other range operators. */
    record Range(String field, boolean fieldPattern, String operator, Literal value, int position) implements KqlNode {}

    /** {@code path:{ query }}: the query's field names are relative to the nested path. */
    record Nested(String path, KqlNode query, int position) implements KqlNode {}

    /** The value side of {@code field:(...)}. */
    sealed interface ValueExpr {
        int position();
    }

    record ValueOr(List<ValueExpr> values, int position) implements ValueExpr {}

    record ValueAnd(List<ValueExpr> values, int position) implements ValueExpr {}

    record ValueNot(ValueExpr value, int position) implements ValueExpr {}

    /**
     * A value. {@code parts} are the literal pieces between unescaped {@code *} wildcards: one part means no
     * wildcard. Quoted values never have wildcards.
     */
    record Literal(List<String> parts, boolean quoted, int position) implements ValueExpr {
        public boolean hasWildcard() {
            return parts.size() > 1;
        }

        /** The value with wildcards shown as {@code *}. */
        public String text() {
            return String.join("*", parts);
        }

        /** True for the bare {@code *} of {@code field:*} (exists). */
        public boolean isMatchAll() {
            return !quoted && parts.size() == 2 && parts.get(0).isEmpty() && parts.get(1).isEmpty();
        }

        /**
         * What Kibana sends for the value: unquoted {@code true}, {@code false} and {@code null} are JSON literals,
         * anything else a string.
         */
        public Object json() {
            if (quoted || hasWildcard()) return text();
            switch (text()) {
                case "true": return Boolean.TRUE;
                case "false": return Boolean.FALSE;
                case "null": return null;
                default: return text();
            }
        }
    }
}

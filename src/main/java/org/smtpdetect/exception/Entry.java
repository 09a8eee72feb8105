package org.smtpdetect.exception;

import java.util.List;

/**
 * One entry of an exception item, as Kibana's {@code entries} hold them. {@code at} locates it for messages
 * ({@code file:line: item 'x' entries[1]}).
 */
public sealed interface Entry {
    String field();

    String at();

    /** Kibana's {@code operator}: {@code included} (is, is one of, exists, ...) or {@code excluded} (is not, ...). */
    enum Operator {
        INCLUDED, EXCLUDED;

        static Operator of(String text) {
            switch (text) {
                case "included": return INCLUDED;
                case "excluded": return EXCLUDED;
                default: return null;
            }
        }
    }

    /** {@code match}: is / is not one value. */
    record Match(String field, Operator operator, String value, String at) implements Entry {}

    /** {@code match_any}: is one of / is not one of. */
    record MatchAny(String field, Operator operator, List<String> values, String at) implements Entry {}

    /** {@code wildcard}: matches / does not match, case-sensitive, {@code *} and {@code ?}. */
    record Wildcard(String field, Operator operator, String value, String at) implements Entry {}

    /** {@code exists}: exists / does not exist. */
    record Exists(String field, Operator operator, String at) implements Entry {}

    /** {@code list}: is in list / is not in list, a value list of type {@code keyword}, {@code ip} or {@code ip_range}. */
    record InList(String field, Operator operator, String listId, String listType, String at) implements Entry {}

    /** {@code nested}: every inner entry holds in one object of the nested field {@code field}. */
    record Nested(String field, List<Entry> entries, String at) implements Entry {}
}

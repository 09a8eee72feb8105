package org.smtpdetect.kql;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Kibana's own KQL grammar test cases (fixture {@code kibana/kuery-grammar-cases.json}, see its PROVENANCE.md). */
class KueryGrammarCasesTest {
    static Stream<Arguments> cases() throws IOException {
        try (InputStream in = KueryGrammarCasesTest.class.getResourceAsStream("/kibana/kuery-grammar-cases.json")) {
            JsonNode doc = new ObjectMapper().readTree(in);
            List<Arguments> out = new ArrayList<>();
            for (JsonNode c : doc.get("cases")) {
                out.add(Arguments.of(c.get("name").asText(), c.get("query").asText(), c.get("kibana").asText(), c.get("ours").asText()));
            }
            assertThat(out).hasSizeGreaterThan(60);
            return out.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void parsesAsKibanasGrammar(String name, String query, String kibana, String ours) {
        if (ours.startsWith("refused: ")) {
            assertThatThrownBy(() -> KqlParser.parse(query)).isInstanceOf(KqlSyntaxException.class)
                    .hasMessageContaining(ours.substring("refused: ".length()));
        } else {
            assertThat(notation(KqlParser.parse(query))).isEqualTo(kibana);
        }
    }

    /** Our tree in the fixture's notation, value lists expanded onto their field as Kibana's grammar builds them. */
    static String notation(KqlNode n) {
        if (n instanceof KqlNode.Or or) return "or(" + join(or.clauses().stream().map(KueryGrammarCasesTest::notation)) + ")";
        if (n instanceof KqlNode.And and) return "and(" + join(and.clauses().stream().map(KueryGrammarCasesTest::notation)) + ")";
        if (n instanceof KqlNode.Not not) return "not(" + notation(not.clause()) + ")";
        if (n instanceof KqlNode.Nested nested) return "nested(" + nested.path() + ", " + notation(nested.query()) + ")";
        if (n instanceof KqlNode.Range r) {
            String op = switch (r.operator()) { case "<" -> "lt"; case "<=" -> "lte"; case ">" -> "gt"; default -> "gte"; };
            return "range(" + r.field() + ", " + op + ", " + value(r.value()) + ")";
        }
        KqlNode.FieldMatch m = (KqlNode.FieldMatch) n;
        return values(m.field(), m.values());
    }

    private static String values(String field, KqlNode.ValueExpr v) {
        if (v instanceof KqlNode.ValueOr or) return "or(" + join(or.values().stream().map(e -> values(field, e))) + ")";
        if (v instanceof KqlNode.ValueAnd and) return "and(" + join(and.values().stream().map(e -> values(field, e))) + ")";
        if (v instanceof KqlNode.ValueNot not) return "not(" + values(field, not.value()) + ")";
        return "is(" + field + ", " + value((KqlNode.Literal) v) + ")";
    }

    private static String value(KqlNode.Literal l) {
        if (l.quoted()) return "\"" + l.text().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
        if (l.json() instanceof Boolean b) return b + ":boolean";
        String t = l.text();
        if (l.hasWildcard() || t.matches("[^\\s(),'\"\\\\]+")) return t;
        return "'" + t.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static String join(Stream<String> parts) {
        return parts.collect(Collectors.joining(", "));
    }
}

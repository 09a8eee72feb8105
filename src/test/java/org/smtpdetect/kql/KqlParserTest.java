package org.smtpdetect.kql;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class KqlParserTest {

    @Test
    void notBindsTighterThanAndWhichBindsTighterThanOr() {
        KqlNode n = KqlParser.parse("a:1 or not b:2 and c:3");
        assertThat(n).isInstanceOf(KqlNode.Or.class);
        KqlNode.Or or = (KqlNode.Or) n;
        assertThat(or.clauses()).hasSize(2);
        assertThat(or.clauses().get(0)).isInstanceOf(KqlNode.FieldMatch.class);
        KqlNode.And and = (KqlNode.And) or.clauses().get(1);
        assertThat(and.clauses().get(0)).isInstanceOf(KqlNode.Not.class);
        assertThat(and.clauses().get(1)).isInstanceOf(KqlNode.FieldMatch.class);
    }

    @Test
    void parenthesesOverridePrecedence() {
        KqlNode.And and = (KqlNode.And) KqlParser.parse("(a:1 or b:2) and c:3");
        assertThat(and.clauses().get(0)).isInstanceOf(KqlNode.Or.class);
    }

    @Test
    void keywordsAreCaseInsensitive() {
        assertThat(KqlParser.parse("a:1 OR b:2 AnD NOT c:3")).isInstanceOf(KqlNode.Or.class);
    }

    @Test
    void valueListsCombineWithOrAndNot() {
        KqlNode.FieldMatch m = (KqlNode.FieldMatch) KqlParser.parse("f:(x or y and not z)");
        KqlNode.ValueOr or = (KqlNode.ValueOr) m.values();
        assertThat(((KqlNode.Literal) or.values().get(0)).text()).isEqualTo("x");
        KqlNode.ValueAnd and = (KqlNode.ValueAnd) or.values().get(1);
        assertThat(and.values().get(1)).isInstanceOf(KqlNode.ValueNot.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "f:hello world       | hello world",
        "f:  padded   | padded",
        "f:\"quoted or not\" | quoted or not",
        "f:a\\:b             | a:b",
        "f:\"say \\\"hi\\\"\" | say \"hi\"",
        "f:\\or              | or",
        "f:tab\\there        | tab\there",
        "f:\\u0041           | A",
        "f:FE80\\:\\:/10     | FE80::/10",
    })
    void literalsUnescapeAndTrim(String query, String value) {
        KqlNode.FieldMatch m = (KqlNode.FieldMatch) KqlParser.parse(query);
        assertThat(((KqlNode.Literal) m.values()).text()).isEqualTo(value.replace("\\t", "\t"));
    }

    @Test
    void unescapedStarIsAWildcardAndEscapedStarIsNot() {
        KqlNode.Literal w = (KqlNode.Literal) ((KqlNode.FieldMatch) KqlParser.parse("f:ab*c*")).values();
        assertThat(w.parts()).containsExactly("ab", "c", "");
        KqlNode.Literal e = (KqlNode.Literal) ((KqlNode.FieldMatch) KqlParser.parse("f:ab\\*c")).values();
        assertThat(e.hasWildcard()).isFalse();
        assertThat(e.text()).isEqualTo("ab*c");
        KqlNode.Literal q = (KqlNode.Literal) ((KqlNode.FieldMatch) KqlParser.parse("f:\"a*b\"")).values();
        assertThat(q.hasWildcard()).isFalse();
        assertThat(((KqlNode.Literal) ((KqlNode.FieldMatch) KqlParser.parse("f:*")).values()).isMatchAll()).isTrue();
    }

    @Test
    void rangeOperators() {
        for (String op : List.of("<", "<=", ">", ">=")) {
            KqlNode.Range r = (KqlNode.Range) KqlParser.parse("destination.port " + op + " 1024");
            assertThat(r.operator()).isEqualTo(op);
            assertThat(r.value().text()).isEqualTo("1024");
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''                     | 0  | empty query",
        "f:(a or b              | 9  | expected ')'",
        "f:\"open               | 2  | unterminated quoted string",
        "just a value           | 0  | a value without a field name",
        "f:a and (g:b           | 12 | expected ')'",
        "f:{x:1                 | 6  | expected '}'",
        "f:a\\ b               | 3  | invalid escape",
        "f:a\\qb                | 3  | invalid escape",
        "f >= a*                | 5  | wildcards are not allowed in range values",
        "f:a) or g:b            | 3  | expected 'or', 'and' or the end",
    })
    void syntaxErrorsNameThePosition(String query, int position, String message) {
        assertThatThrownBy(() -> KqlParser.parse(query))
                .isInstanceOf(KqlSyntaxException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((KqlSyntaxException) e).position()).isEqualTo(position));
    }
}

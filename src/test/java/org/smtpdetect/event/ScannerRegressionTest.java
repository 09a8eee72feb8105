package org.smtpdetect.event;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every difference between {@link EventScanner} and the reference that the differential fuzz test found while
 * the scanner was written, minimised, plus the edge cases it was written against. Each document is given as
 * ISO-8859-1 text (one char per byte) and must get the same verdict, kind of rejection and values from both,
 * over the rule's schema and over a schema with every field type.
 */
class ScannerRegressionTest {
    static Stream<String> documents() {
        return Stream.of(
                // found by the fuzz test
                "{\"x.d\":-0}", // Jackson reads an integer into a double field through a long: 0.0, not -0.0
                // the reference read a double after an out-of-range integer as that integer (a Jackson 2.17 bug,
                // now avoided by the reference)
                "{\"x.t\":12345678901234567890,\"x.d\":1}", "{\"x.l\":-12345678901234567890,\"x\":{\"d\":[2,3]}}",
                // edge cases
                "{}", " {} ", "\u00ef\u00bb\u00bf{}", "\u00ef\u00bb\u00bf", "\u00ef\u00bb{}", "{} //", "{} /* */", "{} /*",
                "{} /", "{}/**/{}", "{} x", "{} 1", "{} 1x", "{} \"", "{} [", "{} ]", "{} truex", "{} true", "[]", "\"x",
                "1", "1 ", "1x", "1/", "-", "tru", "null", "{,}", "{\"a\":1,}", "[1,]", "{\"a\":[1,]}", "{\"a\" 1}",
                "{\"a\":}", "{\"a\":1 \"b\":2}", "{\"a\":01}", "{\"a\":-01}", "{\"a\":+1}", "{\"a\":.5}", "{\"a\":1.}",
                "{\"a\":1e}", "{\"a\":1e+}", "{\"a\":NaN}", "{\"a\":-Infinity}", "{\"a\":1E+5}", "{\"a\":truex}",
                "{\"a\":true1}", "{\"a\":true\u00c3\u00a9}", "{\"a\":true\u00c2\u00a0}", "{\"a\":null}", "{\"a\":nul}",
                "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\ud83d\\ude00\"}", "{\"a\":\"\\x\"}",
                "{\"a\":\"\\u12\"}", "{\"a\":\"\u0001\"}", "{\"a\":\"\u007f\"}", "{\"a\":\"\u00c0\u0080\"}",
                "{\"a\":\"\u00ed\u00a0\u0080\"}", "{\"a\":\"\u00f5\u0080\u0080\u0080\"}", "{\"a\":\"\u00f8\u0080\"}",
                "{\"a\":\"\u0080\"}", "{\"a\":\"\u00c3\"}", "{\"\u00c1\u0081\":1,\"A\":2}", "{\"\\u0041\":1,\"A\":2}",
                "{\"a\\u0000\":1,\"a\":2}", "{\"\":1,\"\":2}", "{\"a\":{\"b\":1,\"b\":2}}", "{\"a\":[{\"b\":1,\"b\":2}]}",
                "{\"destination\":{\"port\":25},\"destination.port\":26}", "{\"destination\":\"x\"}",
                "{\"destination\":[1]}", "{\"destination\":null}", "{\"destination\":[null,{\"port\":\"25\"}]}",
                "{\"destination.port.number\":\"\u00ff\"}", "{\"destination\":{\"port\":{}}}", "{\"destination\":{\"port\":[]}}",
                "{\"destination\":{\"port\":[[25]]}}", "{\"destination.port.\":1}", "{\"destination..port\":1}",
                "{\"d\\u0065stination\":{\"port\":25}}", "{\"destination\\u002eport\":25}", "{\"y\":\"v\",\"y.z\":5}",
                "{\"y\":{\"z\":\"5\"}}", "{\"y\":[\"v\",{\"z\":5}]}", "{\"\u00c3\u00a9\":{\"k\":\"v\"}}", "{\"\u00c3\u00a9.k\":\"v\"}",
                "{\"\\u00e9\":{\"k\":\"v\"}}", "{\"x\":{\"i\":\"10.1.2.3\",\"i\":1}}", "{\"x\":{\"l\":9223372036854775808}}",
                "{\"x\":{\"l\":-9223372036854775808}}", "{\"x\":{\"l\":1e19,\"t\":1.5,\"d\":1e400,\"b\":\"true\",\"k\":2.50}}",
                "{\"x.b\":true,\"x.k\":false,\"x.i\":true,\"x.t\":\"2024\",\"x.l\":\"2.5e1\",\"x.d\":\"1d\"}",
                "{\"@timestamp\":\"2024-05-01T10:20:30.123Z\",\"event\":{\"ingested\":\"2024-05-01T10:20:31Z\"}}",
                "{\"source\":{\"ip\":[\"010.1.2.3\",\"::ffff:10.1.2.3\",\"fe80::1%eth0\"]},\"destination.ip\":\"1.2.3\"}",
                "{\"a\":1}\u0000", "{\"a\":1\u000b}", "{\"a\":1\u00a0}", "{\r\n\t\"a\" : 1 }\r\n", "{\"a\":1/**/,/**/\"b\":2}",
                "{\"a\":/* \u00c3\u00a9 */1}", "{\"a\":/* \u00ff */1}", "{\"a\":// x\r1}", "{\"a\":1}// \u00c3\n",
                "{\"a\":\"\\/\"}", "{\"a\":[[[[[[[[[[]]]]]]]]]]}", "{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}",
                // text, wildcard and flattened fields
                "{\"fl\":{\"a\":[{\"b\":\"x\"},{\"c\":{\"d\":2}}],\"e\":true,\"n\":null},\"fl.f\":\"dotted\"}",
                "{\"fl\":\"Help Desk\"}", "{\"fl\":[\"a\"]}", "{\"fl\":[{\"a\":1},{\"a\":2}]}", "{\"fl\":{\"a\":1,\"a\":2}}",
                "{\"fl\":{\"a\":{\"b\":1},\"a.b\":2}}", "{\"fl.a\":{\"b\":[1,\"\\u00e9\"]},\"fl\":null}", "{\"fl\":{}}",
                "{\"fk\":\"x\"}", "{\"fk\":{\"a\":[\"x\",{\"b\":1}],\"a.c\":\"deeper\"}}", "{\"fk.a.c\":{\"d\":1}}",
                "{\"lab\":{\"x\":\"1\",\"y\":\"2\"}}", "{\"lab\":\"v\"}", "{\"lab.y\":{\"z\":1}}", "{\"lab.x\":{\"z\":1}}",
                "{\"x\":{\"f\":{\"g\":1.5e3}}}", "{\"x.f.g\":-0}", "{\"x.f\":[[{\"g\":\"\u00c3\u00a9\"}]]}",
                "{\"w\":12345678901234567890,\"t\":[1.50,false,\"\\ud83d\\ude00\"]}");
    }

    @ParameterizedTest
    @MethodSource("documents")
    void scannerAndReferenceAgree(String doc) {
        byte[] bytes = doc.getBytes(StandardCharsets.ISO_8859_1);
        for (FieldSchema schema : new FieldSchema[] {ScannerDifferentialTest.ruleSchema(), ScannerDifferentialTest.allTypesSchema()}) {
            assertThat(new ScannerDifferential(schema).difference(bytes)).as(doc).isNull();
        }
    }
}

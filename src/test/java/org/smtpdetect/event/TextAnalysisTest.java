package org.smtpdetect.event;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The analyzers of text fields, against the tokens Elasticsearch's {@code _analyze} gives (8.19, and its docs). */
class TextAnalysisTest {
    @Test
    void standardAnalyzerAsElasticsearchAnalyzes() {
        // POST _analyze {"analyzer":"standard","text":"Invoke-Mimikatz x.exe 10.1.2.3 C:\\Windows"} on an 8.19 node
        TextAnalysis.Tokens t = TextAnalysis.STANDARD.analyze("Invoke-Mimikatz x.exe 10.1.2.3 C:\\Windows");
        assertThat(t.terms()).containsExactly("invoke", "mimikatz", "x.exe", "10.1.2.3", "c", "windows");
        assertThat(t.positions()).containsExactly(0, 1, 2, 3, 4, 5);
        // the standard analyzer's example in Elasticsearch's reference: no stop words, 255-character tokens
        assertThat(TextAnalysis.STANDARD.analyze("The 2 QUICK Brown-Foxes jumped over the lazy dog's bone.").terms())
                .containsExactly("the", "2", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog's", "bone");
        assertThat(TextAnalysis.STANDARD.analyze("x".repeat(300)).terms()).containsExactly("x".repeat(255), "x".repeat(45));
        assertThat(TextAnalysis.STANDARD.analyze("...").size()).isZero();
        // More of what an 8.19 node's _analyze gave (Lucene 9.12 there, 8.7 here: the same for these)
        assertThat(TextAnalysis.STANDARD.analyze("user@example.com https://a.b/c?d=1 v1.2.3 C++ O'Neil").terms())
                .containsExactly("user", "example.com", "https", "a.b", "c", "d", "1", "v1.2.3", "c", "o'neil");
        assertThat(TextAnalysis.STANDARD.analyze("日本語のテキスト 한국어 ไทย").terms()).containsExactly("日", "本", "語", "の", "テキスト", "한국어", "ไทย");
        assertThat(TextAnalysis.STANDARD.analyze("\uD83D\uDC4D\uD83C\uDFFD hello").terms()).containsExactly("\uD83D\uDC4D\uD83C\uDFFD", "hello");
        assertThat(TextAnalysis.STANDARD.normalize("ÀbC*")).isEqualTo("àbc*");
    }

    @Test
    void patternAnalyzerAsElasticsearchsPatternAnalyzer() {
        // the pattern analyzer's example in Elasticsearch's reference (pattern \W+, lowercase)
        assertThat(TextAnalysis.of("pattern:\\W+").analyze("The 2 QUICK Brown-Foxes jumped over the lazy dog's bone.").terms())
                .containsExactly("the", "2", "quick", "brown", "foxes", "jumped", "over", "the", "lazy", "dog", "s", "bone");
        // the Windows integration's powershell_script_analyzer: non-word characters but '-' separate
        TextAnalysis ps = TextAnalysis.of("pattern:[\\W&&[^-]]+");
        assertThat(ps.analyze("$x = [IO.File]::ReadAllBytes('a'); Invoke-Mimikatz -DumpCreds").terms())
                .containsExactly("x", "io", "file", "readallbytes", "a", "invoke-mimikatz", "-dumpcreds");
        assertThat(ps.normalize("Invoke-*")).isEqualTo("invoke-*");
        assertThat(TextAnalysis.of("pattern:[\\W&&[^-]]+")).isSameAs(ps);
        assertThatThrownBy(() -> TextAnalysis.of("snowball")).hasMessageContaining("unknown analyzer");
        assertThatThrownBy(() -> TextAnalysis.of("pattern:[")).hasMessageContaining("analyzer 'pattern:['");
    }

    @Test
    void tokensOfAFieldValueAreComputedOncePerAnalyzer() {
        FieldSchema schema = FieldSchema.of(Map.of("m", FieldType.TEXT));
        ParsedEvent e = new EventParser(schema).parse("{\"m\":[\"Hello World\",\"a-b\"]}");
        FieldValues v = e.values(0);
        assertThat(v.tokensAt(0, TextAnalysis.STANDARD)).isSameAs(v.tokensAt(0, TextAnalysis.STANDARD));
        assertThat(v.tokensAt(1, TextAnalysis.STANDARD).terms()).containsExactly("a", "b");
        assertThat(v.tokensAt(1, TextAnalysis.of("pattern:[\\W&&[^-]]+")).terms()).containsExactly("a-b");
    }
}

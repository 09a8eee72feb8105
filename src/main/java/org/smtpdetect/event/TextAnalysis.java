package org.smtpdetect.event;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.pattern.PatternTokenizer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.analysis.tokenattributes.PositionIncrementAttribute;
import org.apache.lucene.util.BytesRef;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The analyzers of {@code text} and {@code match_only_text} fields, built from Lucene's own components as
 * Elasticsearch builds them: {@code standard} (what ECS and most integration fields use: Unicode text
 * segmentation, tokens of at most 255 characters, lowercased, no stop words) and {@code pattern} analyzers
 * ({@code pattern:<java regex>}: the text between matches of the regex, lowercased, as the Windows integration's
 * {@code powershell_script_analyzer} splits PowerShell script blocks).
 */
public final class TextAnalysis {
    private static final String FIELD = "text";
    private static final Map<String, TextAnalysis> BY_SPEC = new ConcurrentHashMap<>();
    /** Elasticsearch's {@code standard} analyzer. */
    public static final TextAnalysis STANDARD = new TextAnalysis("standard", new StandardAnalyzer(CharArraySet.EMPTY_SET));

    /** The tokens of one value and their positions (position increments kept, as a phrase query needs them). */
    public record Tokens(String[] terms, int[] positions) {
        public static final Tokens NONE = new Tokens(new String[0], new int[0]);

        public int size() {
            return terms.length;
        }
    }

    private final String spec;
    private final Analyzer analyzer;

    private TextAnalysis(String spec, Analyzer analyzer) {
        this.spec = spec;
        this.analyzer = analyzer;
    }

    /** The analyzer a field type table names: {@code standard} (or empty) or {@code pattern:<regex>}. */
    public static TextAnalysis of(String spec) {
        if (spec == null || spec.isEmpty() || spec.equals("-") || spec.equals("standard")) return STANDARD;
        return BY_SPEC.computeIfAbsent(spec, s -> {
            if (!s.startsWith("pattern:")) throw new IllegalArgumentException("unknown analyzer '" + s + "' (standard or pattern:<regex>)");
            Pattern p;
            try {
                p = Pattern.compile(s.substring("pattern:".length()));
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("analyzer '" + s + "': " + e.getDescription(), e);
            }
            return new TextAnalysis(s, new PatternAnalyzer(p));
        });
    }

    /** How the table names this analyzer. */
    public String spec() {
        return spec;
    }

    /** Analyses a value as Elasticsearch indexes it, or a match query's text as it searches. */
    public Tokens analyze(String text) {
        try (TokenStream ts = analyzer.tokenStream(FIELD, text)) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            PositionIncrementAttribute inc = ts.addAttribute(PositionIncrementAttribute.class);
            ts.reset();
            String[] terms = new String[4];
            int[] positions = new int[4];
            int n = 0;
            int pos = -1;
            while (ts.incrementToken()) {
                pos += inc.getPositionIncrement();
                if (n == terms.length) {
                    terms = Arrays.copyOf(terms, n * 2);
                    positions = Arrays.copyOf(positions, n * 2);
                }
                terms[n] = term.toString();
                positions[n++] = pos;
            }
            ts.end();
            return n == 0 ? Tokens.NONE : new Tokens(Arrays.copyOf(terms, n), Arrays.copyOf(positions, n));
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringReader does not fail
        }
    }

    /** The analyzer's normalization (lowercasing), which Elasticsearch applies to wildcard patterns on text fields. */
    public String normalize(String text) {
        BytesRef b = analyzer.normalize(FIELD, text);
        return b.utf8ToString();
    }

    @Override
    public String toString() {
        return spec;
    }

    /** Elasticsearch's {@code pattern} analyzer: Lucene's PatternTokenizer (group -1) and LowerCaseFilter. */
    private static final class PatternAnalyzer extends Analyzer {
        private final Pattern pattern;

        PatternAnalyzer(Pattern pattern) {
            this.pattern = pattern;
        }

        @Override
        protected TokenStreamComponents createComponents(String fieldName) {
            Tokenizer tokenizer = new PatternTokenizer(pattern, -1);
            return new TokenStreamComponents(tokenizer, new LowerCaseFilter(tokenizer));
        }

        @Override
        protected TokenStream normalize(String fieldName, TokenStream in) {
            return new LowerCaseFilter(in);
        }
    }
}

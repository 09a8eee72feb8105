package org.smtpdetect.testing.esplugin;

import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.miscellaneous.RemoveDuplicatesTokenFilter;
import org.apache.lucene.analysis.pattern.PatternCaptureGroupTokenFilter;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

/**
 * The three analysis components the {@code .security} system index declares ({@code uax_url_email} tokenizer,
 * {@code pattern_capture} and {@code unique} filters), which the full distribution gets from its
 * {@code analysis-common} module and the integ-test distribution lacks: without them the node cannot create
 * {@code .security}, so no API key can be created.
 *
 * <p>Not part of the test sources: {@code ElasticsearchService} compiles it against the distribution's own
 * {@code lib/} jars and installs it as a plugin of the secured test node.
 */
public class SecurityIndexAnalysisPlugin extends Plugin implements AnalysisPlugin {
    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
                "pattern_capture", (indexSettings, environment, name, settings) -> {
                    Pattern[] patterns = settings.getAsList("patterns").stream().map(Pattern::compile).toArray(Pattern[]::new);
                    boolean preserveOriginal = settings.getAsBoolean("preserve_original", true);
                    return filter(name, in -> new PatternCaptureGroupTokenFilter(in, preserveOriginal, patterns));
                },
                // Lucene's same-position variant: enough for the security index's email analyzer.
                "unique", (indexSettings, environment, name, settings) -> filter(name, RemoveDuplicatesTokenFilter::new));
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of("uax_url_email", (indexSettings, environment, name, settings) ->
                TokenizerFactory.newFactory(name, UAX29URLEmailTokenizer::new));
    }

    private static TokenFilterFactory filter(String name, UnaryOperator<TokenStream> filter) {
        return new TokenFilterFactory() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public TokenStream create(TokenStream tokenStream) {
                return filter.apply(tokenStream);
            }
        };
    }
}

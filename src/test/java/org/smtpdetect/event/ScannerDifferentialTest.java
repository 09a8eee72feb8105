package org.smtpdetect.event;

import org.junit.jupiter.api.Test;
import org.smtpdetect.Corpus;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.RuleLoader;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Differential fuzzing of {@link EventScanner} against the reference {@link EventParser}: the corpus, then
 * generated documents (the rule's fields in nested, dotted, escaped and mixed spellings; every kind of value,
 * escapes, surrogates, {@code \u0000}, invalid and overlong UTF-8, huge numbers, comments, white space variants,
 * a BOM, nesting around the limit) and mutations of both (truncations, byte flips, insertions, deletions,
 * splices, duplicate keys, inserted comments and BOMs). Any difference in the verdict, the kind of rejection,
 * an extracted value or the ignored fields fails the test with the document minimised.
 *
 * <p>The default run is deterministic: 1,000,000 cases from a fixed seed, stopped early (and saying so) if a
 * loaded machine makes it run past 45 seconds. A larger run with a fresh seed and no time limit:
 * <pre>mvn -B test -Dtest=ScannerDifferentialTest -Dscanner.fuzz.cases=50000000 -Dscanner.fuzz.seed=random -Dscanner.fuzz.seconds=0</pre>
 * A printed seed and case count reproduce a run: {@code -Dscanner.fuzz.seed=<seed> -Dscanner.fuzz.cases=<n>}.
 */
class ScannerDifferentialTest {
    private static final long DEFAULT_SEED = 20_261_201L;
    private static final int DEFAULT_CASES = 1_000_000;
    private static final int DEFAULT_SECONDS = 45;

    /** The schema the seed rule runs with, as the job builds it. */
    static FieldSchema ruleSchema() {
        return Detector.of(List.of(RuleLoader.loadDefault())).schema();
    }

    /** Every field type, a field that is both a value and an object, flattened fields and a name outside ASCII. */
    static FieldSchema allTypesSchema() {
        Map<String, FieldType> f = new LinkedHashMap<>();
        f.put("x.k", FieldType.KEYWORD);
        f.put("x.i", FieldType.IP);
        f.put("x.l", FieldType.LONG);
        f.put("x.d", FieldType.DOUBLE);
        f.put("x.t", FieldType.DATE);
        f.put("x.b", FieldType.BOOLEAN);
        f.put("y", FieldType.KEYWORD);
        f.put("y.z", FieldType.LONG);
        f.put("\u00e9.k", FieldType.KEYWORD);
        f.put("event.category", FieldType.BOOLEAN);
        f.put("destination.ip", FieldType.KEYWORD);
        f.put("source.ip", FieldType.DOUBLE);
        f.put("a", FieldType.IP);
        f.put("w", FieldType.WILDCARD);
        f.put("t", FieldType.TEXT);
        f.put("fl", FieldType.FLATTENED);
        f.put("fk.a", FieldType.FLATTENED_KEY);
        f.put("lab", FieldType.FLATTENED); // a flattened field queried by its own name and by a key
        f.put("lab.x", FieldType.FLATTENED_KEY);
        f.put("x.f", FieldType.FLATTENED);
        return FieldSchema.of(f);
    }

    @Test
    void scannerAgreesWithTheReferenceOnTheCorpusAndOnGeneratedAndMutatedDocuments() {
        String seedProperty = System.getProperty("scanner.fuzz.seed", Long.toString(DEFAULT_SEED));
        long seed = seedProperty.equals("random") ? new Random().nextLong() : Long.parseLong(seedProperty);
        int cases = Integer.getInteger("scanner.fuzz.cases", DEFAULT_CASES);
        int seconds = Integer.getInteger("scanner.fuzz.seconds", DEFAULT_SECONDS);
        System.out.printf("scanner differential fuzz: seed %d, %,d cases%s%n", seed, cases,
                seconds > 0 ? ", at most " + seconds + " s" : "");

        List<byte[]> corpus = new ArrayList<>();
        for (String file : Corpus.FILES) {
            for (String line : Corpus.events(file)) corpus.add(line.getBytes(StandardCharsets.UTF_8));
        }
        ScannerDifferential[] differentials = {new ScannerDifferential(ruleSchema()), new ScannerDifferential(allTypesSchema())};
        Random random = new Random(seed);
        ScannerDifferential.Generator generator = new ScannerDifferential.Generator(random);
        ScannerDifferential.Mutator mutator = new ScannerDifferential.Mutator(random);
        long start = System.nanoTime();
        long deadline = seconds > 0 ? start + seconds * 1_000_000_000L : Long.MAX_VALUE;
        int ran = 0;
        for (int i = 0; i < cases; i++, ran++) {
            if ((i & 1023) == 0 && System.nanoTime() > deadline) break;
            byte[] doc;
            if (i < corpus.size()) {
                doc = corpus.get(i);
            } else {
                int kind = random.nextInt(10);
                if (kind < 4) doc = generator.document();
                else if (kind < 7) doc = mutator.mutate(generator.document());
                else doc = mutator.mutate(corpus.get(random.nextInt(corpus.size())));
            }
            ScannerDifferential d = differentials[i & 1];
            String difference = d.difference(doc);
            if (difference != null) {
                byte[] smallest = d.minimise(doc);
                fail("case %d (seed %d) differs:%n%s%nminimised (as ISO-8859-1): %s%n%s", i, seed,
                        difference, ScannerDifferential.javaLiteral(smallest), d.difference(smallest));
            }
        }
        long accepted = 0, rejected = 0, declined = 0, quirk = 0;
        for (ScannerDifferential d : differentials) {
            accepted += d.accepted;
            rejected += d.rejected;
            declined += d.declined;
            quirk += d.explainedByNameQuirk;
        }
        System.out.printf("scanner differential fuzz: %,d cases%s in %.1f s, no difference: %,d accepted alike, %,d rejected alike, "
                        + "%,d left to the reference (UTF-16/32), %,d names with 0xFF bytes that Jackson took for names seen before%n",
                ran, ran < cases ? " (stopped at the time limit)" : "", (System.nanoTime() - start) / 1e9, accepted, rejected,
                declined, quirk);
        // the generators must keep reaching both outcomes
        assertThat(ran).isGreaterThanOrEqualTo(Math.min(cases, 100_000));
        assertThat(accepted).isGreaterThan(ran / 5);
        assertThat(rejected).isGreaterThan(ran / 5);
    }
}

package org.smtpdetect.connectors.exceptions;

import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.smtpdetect.rule.Rule;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * Watches the rule exception files and the value lists they reference: every poll interval it reads them, and
 * when their content changed and still compiles for the job's rules it emits a new {@link ExceptionsVersion}
 * (the first read after a start or restore is always emitted). A file that no longer parses keeps the last good
 * version in force and is logged once, until it parses again. One split, so one reader: run it at parallelism 1.
 *
 * <p>The versions carry no event time: the reader marks its output idle at once, and whatever consumes them must
 * follow the events' watermark alone. Bounded (for replays, which read the files once at start), it emits nothing
 * and ends.
 */
public final class ExceptionFilesSource implements Source<ExceptionsVersion, ExceptionFilesSplit, List<ExceptionFilesSplit>> {
    private static final long serialVersionUID = 1L;

    /** What to watch and how to check it. */
    public record Settings(List<String> files, String valueListDirectory, Duration pollInterval, List<Rule> rules,
                           String initialDigest) implements Serializable {
        public Settings {
            files = List.copyOf(files);
            rules = List.copyOf(rules);
        }
    }

    private final Settings settings;
    private final boolean bounded;

    private ExceptionFilesSource(Settings settings, boolean bounded) {
        this.settings = settings;
        this.bounded = bounded;
    }

    /** Polls the files every {@code settings.pollInterval()}; the version read at start-up is number 0. */
    public static ExceptionFilesSource watching(Settings settings) {
        return new ExceptionFilesSource(settings, false);
    }

    /** Emits nothing and ends: the exceptions read at start-up stay in force. */
    public static ExceptionFilesSource fixed(Settings settings) {
        return new ExceptionFilesSource(settings, true);
    }

    @Override
    public Boundedness getBoundedness() {
        return bounded ? Boundedness.BOUNDED : Boundedness.CONTINUOUS_UNBOUNDED;
    }

    @Override
    public SplitEnumerator<ExceptionFilesSplit, List<ExceptionFilesSplit>> createEnumerator(SplitEnumeratorContext<ExceptionFilesSplit> context) {
        List<ExceptionFilesSplit> splits = bounded ? List.of() : List.of(new ExceptionFilesSplit(0, settings.initialDigest()));
        return new ExceptionFilesEnumerator(context, splits, bounded);
    }

    @Override
    public SplitEnumerator<ExceptionFilesSplit, List<ExceptionFilesSplit>> restoreEnumerator(
            SplitEnumeratorContext<ExceptionFilesSplit> context, List<ExceptionFilesSplit> checkpoint) {
        return new ExceptionFilesEnumerator(context, checkpoint, bounded);
    }

    @Override
    public SimpleVersionedSerializer<ExceptionFilesSplit> getSplitSerializer() {
        return ExceptionFilesSplit.Serializer.INSTANCE;
    }

    @Override
    public SimpleVersionedSerializer<List<ExceptionFilesSplit>> getEnumeratorCheckpointSerializer() {
        return new ExceptionFilesEnumerator.StateSerializer();
    }

    @Override
    public SourceReader<ExceptionsVersion, ExceptionFilesSplit> createReader(SourceReaderContext context) {
        return new ExceptionFilesReader(context, settings);
    }
}

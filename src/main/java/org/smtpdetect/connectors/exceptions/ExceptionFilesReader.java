package org.smtpdetect.connectors.exceptions;

import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.core.io.InputStatus;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.exception.ExceptionSet;
import org.smtpdetect.exception.ExceptionSources;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** Reads the exception files on a timer; see {@link ExceptionFilesSource}. */
final class ExceptionFilesReader implements SourceReader<ExceptionsVersion, ExceptionFilesSplit> {
    private static final Logger LOG = LoggerFactory.getLogger(ExceptionFilesReader.class);

    private final SourceReaderContext context;
    private final ExceptionFilesSource.Settings settings;
    private final List<Path> files;
    private final Path valueLists;
    private final ScheduledExecutorService timer;
    private ExceptionFilesSplit split;
    private boolean noMoreSplits;
    private boolean idle;
    private boolean emittedSinceStart;
    private long nextPoll;
    /** The problem last logged, so a file that stays broken is reported once. */
    private String lastProblem;
    private CompletableFuture<Void> available = new CompletableFuture<>();

    ExceptionFilesReader(SourceReaderContext context, ExceptionFilesSource.Settings settings) {
        this.context = context;
        this.settings = settings;
        this.files = settings.files().stream().map(Path::of).collect(Collectors.toList());
        this.valueLists = settings.valueListDirectory() == null ? null : Path.of(settings.valueListDirectory());
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "exception-files-timer");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void start() {
        if (split == null) context.sendSplitRequest();
    }

    @Override
    public InputStatus pollNext(ReaderOutput<ExceptionsVersion> output) {
        if (!idle) {
            // Versions carry no event time: this output never holds back or moves a watermark.
            output.markIdle();
            idle = true;
        }
        if (split == null) return noMoreSplits ? InputStatus.END_OF_INPUT : InputStatus.NOTHING_AVAILABLE;
        long now = System.currentTimeMillis();
        if (now < nextPoll) return InputStatus.NOTHING_AVAILABLE;
        nextPoll = now + settings.pollInterval().toMillis();
        ExceptionsVersion version = read(now);
        if (version != null) output.collect(version);
        return InputStatus.NOTHING_AVAILABLE;
    }

    /** Reads and checks the files; the version to emit, or null when nothing changed or they do not compile. */
    private ExceptionsVersion read(long now) {
        ExceptionSources sources;
        ExceptionSet compiled;
        try {
            sources = ExceptionSources.read(files, valueLists);
            compiled = ExceptionSet.compile(sources, settings.rules(), Detector.fieldTypes(settings.rules()));
        } catch (RuntimeException e) {
            String problem = e.getMessage() == null ? e.toString() : e.getMessage();
            if (!problem.equals(lastProblem)) {
                LOG.error("Rule exceptions not reloaded, version {} stays in force until the files compile again: {}", split.number, problem);
                lastProblem = problem;
            }
            return null;
        }
        if (lastProblem != null) {
            LOG.info("Rule exception files compile again");
            lastProblem = null;
        }
        boolean changed = !sources.digest.equals(split.digest);
        if (!changed && emittedSinceStart) return null;
        if (changed) {
            split = split.next(sources.digest);
            LOG.info("Rule exceptions version {} read ({}), in force from the next execution", split.number, compiled.summary());
            for (String w : compiled.warnings()) LOG.warn("Rule exceptions version {}: {}", split.number, w);
        }
        emittedSinceStart = true;
        return new ExceptionsVersion(split.number, now, sources);
    }

    @Override
    public synchronized CompletableFuture<Void> isAvailable() {
        if (split == null && !noMoreSplits) return available;
        if (split == null) return CompletableFuture.completedFuture(null);
        CompletableFuture<Void> next = new CompletableFuture<>();
        long delay = Math.max(0, nextPoll - System.currentTimeMillis());
        timer.schedule(() -> next.complete(null), delay, TimeUnit.MILLISECONDS);
        return next;
    }

    @Override
    public synchronized void addSplits(List<ExceptionFilesSplit> splits) {
        if (!splits.isEmpty()) split = splits.get(0);
        available.complete(null);
    }

    @Override
    public synchronized void notifyNoMoreSplits() {
        noMoreSplits = true;
        available.complete(null);
    }

    @Override
    public List<ExceptionFilesSplit> snapshotState(long checkpointId) {
        return split == null ? List.of() : List.of(split);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        available.complete(null);
    }
}

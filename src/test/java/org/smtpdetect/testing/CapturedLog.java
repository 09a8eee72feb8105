package org.smtpdetect.testing;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every log event of this JVM at INFO and above, captured as {@code LEVEL logger - message} lines (with the
 * stack trace, if any), while the console keeps showing only warnings. Closing restores the configuration.
 */
public final class CapturedLog extends AbstractAppender implements AutoCloseable {
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final LoggerContext context;
    private final Map<LoggerConfig, Level> levels = new HashMap<>();

    private CapturedLog(LoggerContext context) {
        super("captured-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY);
        this.context = context;
    }

    public static CapturedLog capture() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        CapturedLog log = new CapturedLog(context);
        log.start0();
        return log;
    }

    private void start0() {
        start();
        Configuration config = context.getConfiguration();
        LoggerConfig root = config.getRootLogger();
        for (Appender a : List.copyOf(root.getAppenders().values())) {
            root.removeAppender(a.getName());
            root.addAppender(a, Level.WARN, null);
        }
        for (LoggerConfig c : config.getLoggers().values()) {
            levels.put(c, c.getLevel());
            if (c.getLevel().isMoreSpecificThan(Level.INFO)) c.setLevel(Level.INFO);
        }
        root.addAppender(this, Level.INFO, null);
        context.updateLoggers();
    }

    @Override
    public void append(LogEvent event) {
        StringBuilder b = new StringBuilder().append(event.getLevel()).append(' ').append(event.getLoggerName()).append(" - ")
                .append(event.getMessage().getFormattedMessage());
        if (event.getThrown() != null) {
            StringWriter trace = new StringWriter();
            event.getThrown().printStackTrace(new PrintWriter(trace));
            b.append('\n').append(trace);
        }
        lines.add(b.toString());
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** Lines of {@code level} whose message contains {@code text}. */
    public long count(String level, String text) {
        return lines.stream().filter(l -> l.startsWith(level + " ") && l.contains(text)).count();
    }

    @Override
    public void close() {
        Configuration config = context.getConfiguration();
        config.getRootLogger().removeAppender(getName());
        levels.forEach(LoggerConfig::setLevel);
        context.updateLoggers();
        stop();
    }
}

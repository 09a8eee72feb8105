package org.smtpdetect.connectors;

import java.util.function.LongSupplier;

/**
 * How many records the source reader of the current task still has to read before it reaches the end of its
 * input (Kafka: the consumer's lag over its partitions). A task runs its source reader, its watermark generators
 * and the operators chained to it on one thread, so the reader publishes its backlog for that thread and the
 * others read it there.
 */
public final class SourceBacklog {
    /** The backlog is not known (no reader published one, or it has not fetched yet). */
    public static final long UNKNOWN = -1;

    private static final ThreadLocal<LongSupplier> CURRENT = new ThreadLocal<>();

    private SourceBacklog() {}

    /** Publishes the backlog of the reader running on this thread. */
    public static void publish(LongSupplier recordsBehind) {
        CURRENT.set(recordsBehind);
    }

    /** Withdraws it when the reader closes. */
    public static void withdraw() {
        CURRENT.remove();
    }

    /** Records behind the end of the input for this thread's reader, or {@link #UNKNOWN}. */
    public static long current() {
        LongSupplier s = CURRENT.get();
        return s == null ? UNKNOWN : s.getAsLong();
    }
}

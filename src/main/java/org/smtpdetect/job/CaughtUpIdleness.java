package org.smtpdetect.job;

import org.smtpdetect.rule.EvaluatedEvent;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.TimestampAssigner;
import org.apache.flink.api.common.eventtime.TimestampAssignerSupplier;
import org.apache.flink.api.common.eventtime.WatermarkGenerator;
import org.apache.flink.api.common.eventtime.WatermarkGeneratorSupplier;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.util.clock.RelativeClock;
import org.smtpdetect.connectors.SourceBacklog;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Bounded out-of-orderness per partition, with two idleness rules:
 * <ul>
 *   <li>a partition with no events for {@code idleness} stops holding back the watermark (Flink's
 *   {@code withIdleness});</li>
 *   <li>once the source reader has read every one of its partitions to its end (its consumer lag is 0), a
 *   partition with no events for {@code caughtUpIdleness} stops holding it back too. The most advanced partition
 *   of the reader goes idle last, after the others, so that the reader's watermark first reaches it: all
 *   partitions going idle together would leave the watermark where the least advanced one held it.</li>
 * </ul>
 * Idleness is measured on the task's input activity clock, which stands still while the task is back-pressured,
 * so a partition that cannot be read is not taken for one with nothing to read. Without a known backlog (files)
 * only the first rule applies.
 */
final class CaughtUpIdleness implements WatermarkStrategy<EvaluatedEvent> {
    private static final long serialVersionUID = 1L;

    private final Duration maxOutOfOrderness;
    private final long idleMs;
    private final long caughtUpIdleMs;
    /** The partitions of this subtask's reader: one strategy instance serves one source subtask. */
    private transient List<Partition> partitions;

    CaughtUpIdleness(Duration maxOutOfOrderness, Duration idleness, Duration caughtUpIdleness) {
        this.maxOutOfOrderness = maxOutOfOrderness;
        this.idleMs = idleness.toMillis();
        this.caughtUpIdleMs = Math.min(caughtUpIdleness.toMillis(), idleMs);
    }

    @Override
    public TimestampAssigner<EvaluatedEvent> createTimestampAssigner(TimestampAssignerSupplier.Context context) {
        return (event, previous) -> event.timestamp;
    }

    @Override
    public WatermarkGenerator<EvaluatedEvent> createWatermarkGenerator(WatermarkGeneratorSupplier.Context context) {
        if (partitions == null) partitions = new ArrayList<>();
        Partition p = new Partition(new BoundedOutOfOrdernessWatermarks<>(maxOutOfOrderness), context.getInputActivityClock(),
                idleMs, caughtUpIdleMs, SourceBacklog::current, partitions);
        partitions.add(p);
        return p;
    }

    /** The generator of one partition (split), or of the reader's own output. */
    static final class Partition implements WatermarkGenerator<EvaluatedEvent> {
        private final BoundedOutOfOrdernessWatermarks<EvaluatedEvent> watermarks;
        private final RelativeClock clock;
        private final long idleMs;
        private final long caughtUpIdleMs;
        private final LongSupplier backlog;
        private final List<Partition> siblings;
        private long maxTimestamp = Long.MIN_VALUE;
        private long lastActivity;
        private boolean idle;
        /** Emitted its watermark while every sibling was idle: the reader's watermark has reached it. */
        private boolean emittedAlone;

        Partition(BoundedOutOfOrdernessWatermarks<EvaluatedEvent> watermarks, RelativeClock clock, long idleMs, long caughtUpIdleMs,
                  LongSupplier backlog, List<Partition> siblings) {
            this.watermarks = watermarks;
            this.clock = clock;
            this.idleMs = idleMs;
            this.caughtUpIdleMs = caughtUpIdleMs;
            this.backlog = backlog;
            this.siblings = siblings;
            this.lastActivity = clock.relativeTimeMillis();
        }

        @Override
        public void onEvent(EvaluatedEvent event, long eventTimestamp, WatermarkOutput output) {
            watermarks.onEvent(event, eventTimestamp, output);
            maxTimestamp = Math.max(maxTimestamp, eventTimestamp);
            lastActivity = clock.relativeTimeMillis();
            idle = false;
            emittedAlone = false;
        }

        @Override
        public void onPeriodicEmit(WatermarkOutput output) {
            long silentFor = clock.relativeTimeMillis() - lastActivity;
            boolean goIdle = silentFor >= idleMs;
            if (!goIdle && silentFor >= caughtUpIdleMs && backlog.getAsLong() == 0) {
                if (!leadsActiveSiblings()) {
                    goIdle = true;
                } else if (othersIdle()) {
                    goIdle = emittedAlone;
                    emittedAlone = true;
                }
            }
            if (goIdle) {
                if (!idle) output.markIdle();
                idle = true;
            } else {
                idle = false;
                watermarks.onPeriodicEmit(output);
            }
        }

        /** The most advanced of the partitions that are not idle (ties: the first). */
        private boolean leadsActiveSiblings() {
            for (Partition other : siblings) {
                if (other == this || other.idle) continue;
                if (other.maxTimestamp > maxTimestamp) return false;
                if (other.maxTimestamp == maxTimestamp && siblings.indexOf(other) < siblings.indexOf(this)) return false;
            }
            return true;
        }

        private boolean othersIdle() {
            for (Partition other : siblings) if (other != this && !other.idle) return false;
            return true;
        }

        boolean isIdle() {
            return idle;
        }
    }
}

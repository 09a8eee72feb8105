package org.smtpdetect.job;

import org.smtpdetect.rule.EvaluatedEvent;
import org.apache.flink.api.common.eventtime.BoundedOutOfOrdernessWatermarks;
import org.apache.flink.api.common.eventtime.Watermark;
import org.apache.flink.api.common.eventtime.WatermarkOutput;
import org.apache.flink.util.clock.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-partition watermark generators of one reader, driven by a manual clock and a backlog set by hand. */
class CaughtUpIdlenessTest {
    private final ManualClock clock = new ManualClock();
    private final AtomicLong backlog = new AtomicLong(1000);
    private final List<CaughtUpIdleness.Partition> partitions = new ArrayList<>();

    private CaughtUpIdleness.Partition partition() {
        CaughtUpIdleness.Partition p = new CaughtUpIdleness.Partition(new BoundedOutOfOrdernessWatermarks<>(Duration.ofSeconds(10)),
                clock, 60_000, 5_000, backlog::get, partitions);
        partitions.add(p);
        return p;
    }

    /** What one partition's output was told. */
    private static final class Output implements WatermarkOutput {
        long watermark = Long.MIN_VALUE;
        boolean idle;

        @Override
        public void emitWatermark(Watermark w) {
            watermark = w.getTimestamp();
            idle = false;
        }

        @Override
        public void markIdle() {
            idle = true;
        }

        @Override
        public void markActive() {
            idle = false;
        }
    }

    private void event(CaughtUpIdleness.Partition p, long ts) {
        p.onEvent(new EvaluatedEvent(), ts, new Output());
    }

    private void advance(long ms) {
        clock.advanceTime(ms, TimeUnit.MILLISECONDS);
    }

    @Test
    void whileTheReaderCatchesUpASilentPartitionHoldsTheWatermarkForTheFullIdleness() {
        CaughtUpIdleness.Partition ended = partition();
        Output out = new Output();
        event(ended, 100_000);
        advance(30_000);
        ended.onPeriodicEmit(out);
        assertThat(out.idle).isFalse();
        assertThat(out.watermark).isEqualTo(100_000 - 10_000 - 1);
        advance(30_000);
        ended.onPeriodicEmit(out);
        assertThat(out.idle).as("silent for the idleness timeout").isTrue();
    }

    @Test
    void onceCaughtUpTheLaggingPartitionsGoIdleFirstAndTheLeaderAfterItsWatermarkWasEmittedAlone() {
        CaughtUpIdleness.Partition behind = partition();
        CaughtUpIdleness.Partition ahead = partition();
        Output behindOut = new Output();
        Output aheadOut = new Output();
        event(behind, 1_000_000);
        event(ahead, 9_000_000);
        backlog.set(0);
        advance(4_000);
        behind.onPeriodicEmit(behindOut);
        ahead.onPeriodicEmit(aheadOut);
        assertThat(behindOut.idle || aheadOut.idle).as("not silent for long enough yet").isFalse();

        advance(2_000);
        behind.onPeriodicEmit(behindOut);
        ahead.onPeriodicEmit(aheadOut);
        assertThat(behindOut.idle).as("behind the other: idle at once").isTrue();
        assertThat(aheadOut.idle).as("the most advanced stays until it was the only one").isFalse();
        assertThat(aheadOut.watermark).isEqualTo(9_000_000 - 10_000 - 1);

        behind.onPeriodicEmit(behindOut);
        ahead.onPeriodicEmit(aheadOut);
        assertThat(aheadOut.idle).as("its watermark went out alone in the round before").isTrue();

        event(behind, 1_001_000);
        behind.onPeriodicEmit(behindOut);
        assertThat(behindOut.idle).as("an event makes it active again").isFalse();
        assertThat(behindOut.watermark).isEqualTo(1_001_000 - 10_000 - 1);
    }

    @Test
    void aBacklogStopsTheShortIdleness() {
        CaughtUpIdleness.Partition a = partition();
        CaughtUpIdleness.Partition b = partition();
        Output aOut = new Output();
        event(a, 5_000_000);
        event(b, 6_000_000);
        backlog.set(10);
        advance(20_000);
        a.onPeriodicEmit(aOut);
        assertThat(aOut.idle).isFalse();
        backlog.set(org.smtpdetect.connectors.SourceBacklog.UNKNOWN);
        a.onPeriodicEmit(aOut);
        assertThat(aOut.idle).as("an unknown backlog (files) is not caught up").isFalse();
    }
}

package org.smtpdetect.rule;

import org.junit.jupiter.api.Test;
import org.smtpdetect.Corpus;
import org.smtpdetect.event.ParsedEvent;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Parsing and evaluating an event that does not match allocates nothing (the scanner's promise to the source,
 * which sees millions of them), counted by the JVM's per-thread allocation counter over the corpus's real
 * events (in the steady state); the Jackson reference, measured the same way, allocates, so the count is live.
 */
class DetectorAllocationTest {
    @Test
    void eventsThatDoNotMatchAllocateNothing() {
        assumeTrue(ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean, "no allocation counter");
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        assumeTrue(threads.isThreadAllocatedMemorySupported() && threads.isThreadAllocatedMemoryEnabled(), "no allocation counter");
        List<byte[]> events = new ArrayList<>();
        for (String line : Corpus.events("real-events")) events.add(line.getBytes(StandardCharsets.UTF_8));
        Rule rule = RuleLoader.loadDefault();
        Detector scanner = Detector.of(List.of(rule));
        Detector reference = Detector.of(List.of(rule), Detector.Parser.JACKSON);

        for (int pass = 0; pass < 20; pass++) allocated(threads, scanner, events); // caches, value arrays and the JIT settle
        // A per-event allocation shows in every pass; a deoptimisation while the JIT still compiles (it re-creates
        // objects the compiler had removed) in one: the steady state is the least of a few passes.
        long least = Long.MAX_VALUE;
        for (int pass = 0; pass < 5; pass++) least = Math.min(least, allocated(threads, scanner, events));
        assertThat(least).as("bytes allocated by the scanner for %d events", events.size()).isZero();
        assertThat(allocated(threads, reference, events)).as("the reference allocates").isGreaterThan(events.size() * 1000L);
    }

    private static long allocated(com.sun.management.ThreadMXBean threads, Detector detector, List<byte[]> list) {
        byte[][] events = list.toArray(new byte[0][]);
        long thread = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(thread);
        int matches = 0;
        for (int i = 0; i < events.length; i++) { // no iterator: the loop itself must not allocate
            ParsedEvent parsed = detector.parse(events[i]);
            if (parsed.isError() || detector.matches(0, parsed)) matches++;
        }
        long bytes = threads.getThreadAllocatedBytes(thread) - before;
        assertThat(matches).as("the corpus's real events are documents that do not match").isZero();
        return bytes;
    }
}

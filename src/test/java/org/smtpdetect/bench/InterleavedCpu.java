package org.smtpdetect.bench;

import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.RuleLoader;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The core's contenders interleaved in one JVM, 100 ms slices each in turn, timed in thread CPU time: on a
 * machine shared with other work this gives ratios that load swings between JMH forks do not move. Also times a
 * floor, a walk over the same bytes that skips strings 8 bytes at a time and validates nothing: the cost of
 * visiting every token once, which bounds any parser that reads the document token by token.
 */
final class InterleavedCpu {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final String[] NAMES = {"scanner", "jackson streaming", "readTree", "floor (walk, no validation)"};
    private static volatile long sink;

    private InterleavedCpu() {}

    /** CPU nanoseconds per event of each contender (medians over the slices after a warm-up), in {@link #NAMES} order. */
    static double[] nanosPerEvent(byte[][] events, int slices) {
        Detector scanner = Detector.of(List.of(RuleLoader.loadDefault()));
        Detector jackson = Detector.of(List.of(RuleLoader.loadDefault()), Detector.Parser.JACKSON);
        TreeBaseline tree = new TreeBaseline();
        ThreadMXBean cpu = ManagementFactory.getThreadMXBean();
        List<List<Double>> samples = new ArrayList<>();
        for (int k = 0; k < NAMES.length; k++) samples.add(new ArrayList<>());
        int next = 0;
        for (int s = 0; s < slices; s++) {
            for (int k = 0; k < NAMES.length; k++) {
                long start = cpu.getCurrentThreadCpuTime();
                long n = 0;
                long acc = 0;
                do {
                    for (int j = 0; j < 1000; j++) {
                        byte[] e = events[next];
                        next = next + 1 == events.length ? 0 : next + 1;
                        switch (k) {
                            case 0: acc += scanner.matches(0, scanner.parse(e)) ? 1 : 0; break;
                            case 1: acc += jackson.matches(0, jackson.parse(e)) ? 1 : 0; break;
                            case 2: acc += tree.matches(e) ? 1 : 0; break;
                            default: acc += walk(e);
                        }
                    }
                    n += 1000;
                } while (cpu.getCurrentThreadCpuTime() - start < 100_000_000L);
                sink += acc;
                if (s >= slices / 4) samples.get(k).add((cpu.getCurrentThreadCpuTime() - start) / (double) n);
            }
        }
        double[] out = new double[NAMES.length];
        for (int k = 0; k < NAMES.length; k++) {
            List<Double> v = samples.get(k);
            Collections.sort(v);
            out[k] = v.get(v.size() / 2);
        }
        return out;
    }

    static String describe(String mix, double[] ns) {
        return String.format("interleaved %s (CPU time): scanner %,.0f ns/event (%,.0f ev/s per CPU-second), jackson streaming %,.0f ns, "
                        + "readTree %,.0f ns, floor %,.0f ns; scanner/readTree %.2fx, scanner/jackson %.2fx, scanner at %.1fx the floor",
                mix, ns[0], 1e9 / ns[0], ns[1], ns[2], ns[3], ns[2] / ns[0], ns[1] / ns[0], ns[0] / ns[3]);
    }

    /** Visits every token: strings skipped with the same 8-byte search the scanner uses, nothing checked. */
    static int walk(byte[] b) {
        int p = 0;
        int end = b.length;
        int tokens = 0;
        while (p < end) {
            int c = b[p];
            if (c == '"') {
                p = skipString(b, p + 1, end);
                tokens++;
            } else if ((c >= '0' && c <= '9') || c == '-') {
                p++;
                while (p < end && b[p] >= '0' && b[p] <= '9') p++;
                tokens++;
            } else {
                p++;
            }
        }
        return tokens;
    }

    private static int skipString(byte[] b, int p, int end) {
        while (true) {
            while (p + 8 <= end) {
                long w = (long) LONGS.get(b, p);
                long s = (((w ^ 0x2222222222222222L) - 0x0101010101010101L) | ((w ^ 0x5C5C5C5C5C5C5C5CL) - 0x0101010101010101L)) & 0x8080808080808080L;
                if (s != 0) {
                    p += Long.numberOfTrailingZeros(s) >>> 3;
                    break;
                }
                p += 8;
            }
            while (p < end && b[p] != '"' && b[p] != '\\') p++;
            if (p >= end) return end;
            if (b[p] == '"') return p + 1;
            p += 2; // an escape
        }
    }
}

package org.smtpdetect.bench;

import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Metric;
import org.apache.flink.metrics.MetricConfig;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.reporter.MetricReporter;
import org.apache.flink.metrics.reporter.MetricReporterFactory;

import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Flink metric reporter that keeps the job's own {@code eventsRead} counters (one per source subtask) where a
 * harness in the same JVM can sum them: the job is observed, not changed. Registered on a local cluster with
 * {@code metrics.reporter.<name>.factory.class} = {@link Factory}.
 */
public final class EventsReadReporter implements MetricReporter {
    private static final Map<String, Counter> COUNTERS = new ConcurrentHashMap<>();

    /** Events read so far by the running job's sources. */
    static long eventsRead() {
        long sum = 0;
        for (Counter c : COUNTERS.values()) sum += c.getCount();
        return sum;
    }

    @Override
    public void open(MetricConfig config) {
    }

    @Override
    public void close() {
    }

    @Override
    public void notifyOfAddedMetric(Metric metric, String name, MetricGroup group) {
        if (name.equals("eventsRead") && metric instanceof Counter) COUNTERS.put(group.getMetricIdentifier(name), (Counter) metric);
    }

    @Override
    public void notifyOfRemovedMetric(Metric metric, String name, MetricGroup group) {
        COUNTERS.remove(group.getMetricIdentifier(name));
    }

    public static final class Factory implements MetricReporterFactory {
        @Override
        public MetricReporter createMetricReporter(Properties properties) {
            return new EventsReadReporter();
        }
    }
}

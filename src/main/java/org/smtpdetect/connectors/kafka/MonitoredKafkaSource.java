package org.smtpdetect.connectors.kafka;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.connector.source.Boundedness;
import org.apache.flink.api.connector.source.ReaderOutput;
import org.apache.flink.api.connector.source.Source;
import org.apache.flink.api.connector.source.SourceEvent;
import org.apache.flink.api.connector.source.SourceReader;
import org.apache.flink.api.connector.source.SourceReaderContext;
import org.apache.flink.api.connector.source.SplitEnumerator;
import org.apache.flink.api.connector.source.SplitEnumeratorContext;
import org.apache.flink.api.java.typeutils.ResultTypeQueryable;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.KafkaSourceEnumState;
import org.apache.flink.connector.kafka.source.split.KafkaPartitionSplit;
import org.apache.flink.core.io.InputStatus;
import org.apache.flink.core.io.SimpleVersionedSerializer;
import org.apache.flink.metrics.CharacterFilter;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.Histogram;
import org.apache.flink.metrics.Meter;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.metrics.groups.OperatorIOMetricGroup;
import org.apache.flink.metrics.groups.SourceReaderMetricGroup;
import org.apache.flink.util.UserCodeClassLoader;
import org.smtpdetect.connectors.SourceBacklog;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;

/**
 * The Kafka source as it is, plus what an operator needs from it: beside the split enumerator runs the
 * {@link KafkaWatch} (broker outages and missing topics, once per job), and each reader publishes its consumer
 * lag (the source's {@code pendingRecords}, from the consumer's {@code records-lag}) as the task's
 * {@link SourceBacklog}, for the watermarks and the progress log. State and serializers are the Kafka source's
 * own, so savepoints are unchanged.
 */
public final class MonitoredKafkaSource<T> implements Source<T, KafkaPartitionSplit, KafkaSourceEnumState>, ResultTypeQueryable<T> {
    private static final long serialVersionUID = 1L;
    private static final long PROBE_EVERY_MS = 2_000;
    private static final long TOPICS_EVERY_MS = 60_000;

    private final KafkaSource<T> source;
    private final Properties adminProperties;
    private final TopicSubscription subscription;
    private final Duration discoveryInterval;

    MonitoredKafkaSource(KafkaSource<T> source, Properties adminProperties, TopicSubscription subscription, Duration discoveryInterval) {
        this.source = source;
        this.adminProperties = adminProperties;
        this.subscription = subscription;
        this.discoveryInterval = discoveryInterval;
    }

    @Override
    public Boundedness getBoundedness() {
        return source.getBoundedness();
    }

    @Override
    public SourceReader<T, KafkaPartitionSplit> createReader(SourceReaderContext context) throws Exception {
        LagCapturingContext lagContext = new LagCapturingContext(context);
        return new BacklogPublishingReader<>(source.createReader(lagContext), lagContext.metricGroup);
    }

    @Override
    public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> createEnumerator(SplitEnumeratorContext<KafkaPartitionSplit> context) throws Exception {
        return new WatchedEnumerator(source.createEnumerator(context), watch());
    }

    @Override
    public SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> restoreEnumerator(SplitEnumeratorContext<KafkaPartitionSplit> context,
                                                                                        KafkaSourceEnumState state) throws Exception {
        return new WatchedEnumerator(source.restoreEnumerator(context, state), watch());
    }

    private KafkaWatch watch() {
        return new KafkaWatch(adminProperties, subscription, discoveryInterval, PROBE_EVERY_MS, TOPICS_EVERY_MS);
    }

    @Override
    public SimpleVersionedSerializer<KafkaPartitionSplit> getSplitSerializer() {
        return source.getSplitSerializer();
    }

    @Override
    public SimpleVersionedSerializer<KafkaSourceEnumState> getEnumeratorCheckpointSerializer() {
        return source.getEnumeratorCheckpointSerializer();
    }

    @Override
    public TypeInformation<T> getProducedType() {
        return source.getProducedType();
    }

    /** The Kafka enumerator, with the watch running from its start to its close. */
    private static final class WatchedEnumerator implements SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> {
        private final SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> enumerator;
        private final KafkaWatch watch;

        WatchedEnumerator(SplitEnumerator<KafkaPartitionSplit, KafkaSourceEnumState> enumerator, KafkaWatch watch) {
            this.enumerator = enumerator;
            this.watch = watch;
        }

        @Override
        public void start() {
            enumerator.start();
            watch.start();
        }

        @Override
        public void handleSplitRequest(int subtaskId, String requesterHostname) {
            enumerator.handleSplitRequest(subtaskId, requesterHostname);
        }

        @Override
        public void addSplitsBack(List<KafkaPartitionSplit> splits, int subtaskId) {
            enumerator.addSplitsBack(splits, subtaskId);
        }

        @Override
        public void addReader(int subtaskId) {
            enumerator.addReader(subtaskId);
        }

        @Override
        public KafkaSourceEnumState snapshotState(long checkpointId) throws Exception {
            return enumerator.snapshotState(checkpointId);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            enumerator.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            enumerator.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void handleSourceEvent(int subtaskId, SourceEvent sourceEvent) {
            enumerator.handleSourceEvent(subtaskId, sourceEvent);
        }

        @Override
        public void close() throws java.io.IOException {
            try {
                watch.close();
            } finally {
                enumerator.close();
            }
        }
    }

    /** The Kafka reader, publishing its lag for the task thread it runs on. */
    private static final class BacklogPublishingReader<T> implements SourceReader<T, KafkaPartitionSplit> {
        private final SourceReader<T, KafkaPartitionSplit> reader;
        private final LagCapturingGroup lag;

        BacklogPublishingReader(SourceReader<T, KafkaPartitionSplit> reader, LagCapturingGroup lag) {
            this.reader = reader;
            this.lag = lag;
        }

        @Override
        public void start() {
            SourceBacklog.publish(lag::recordsBehind);
            reader.start();
        }

        @Override
        public InputStatus pollNext(ReaderOutput<T> output) throws Exception {
            return reader.pollNext(output);
        }

        @Override
        public List<KafkaPartitionSplit> snapshotState(long checkpointId) {
            return reader.snapshotState(checkpointId);
        }

        @Override
        public CompletableFuture<Void> isAvailable() {
            return reader.isAvailable();
        }

        @Override
        public void addSplits(List<KafkaPartitionSplit> splits) {
            reader.addSplits(splits);
        }

        @Override
        public void notifyNoMoreSplits() {
            reader.notifyNoMoreSplits();
        }

        @Override
        public void handleSourceEvents(SourceEvent sourceEvent) {
            reader.handleSourceEvents(sourceEvent);
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) throws Exception {
            reader.notifyCheckpointComplete(checkpointId);
        }

        @Override
        public void notifyCheckpointAborted(long checkpointId) throws Exception {
            reader.notifyCheckpointAborted(checkpointId);
        }

        @Override
        public void pauseOrResumeSplits(Collection<String> splitsToPause, Collection<String> splitsToResume) {
            reader.pauseOrResumeSplits(splitsToPause, splitsToResume);
        }

        @Override
        public void close() throws Exception {
            SourceBacklog.withdraw();
            reader.close();
        }
    }

    /** The reader's context, handing the Kafka reader a metric group that remembers its pending-records gauge. */
    private static final class LagCapturingContext implements SourceReaderContext {
        private final SourceReaderContext context;
        final LagCapturingGroup metricGroup;

        LagCapturingContext(SourceReaderContext context) {
            this.context = context;
            this.metricGroup = new LagCapturingGroup(context.metricGroup());
        }

        @Override
        public SourceReaderMetricGroup metricGroup() {
            return metricGroup;
        }

        @Override
        public Configuration getConfiguration() {
            return context.getConfiguration();
        }

        @Override
        public String getLocalHostName() {
            return context.getLocalHostName();
        }

        @Override
        public int getIndexOfSubtask() {
            return context.getIndexOfSubtask();
        }

        @Override
        public void sendSplitRequest() {
            context.sendSplitRequest();
        }

        @Override
        public void sendSourceEventToCoordinator(SourceEvent sourceEvent) {
            context.sendSourceEventToCoordinator(sourceEvent);
        }

        @Override
        public UserCodeClassLoader getUserCodeClassLoader() {
            return context.getUserCodeClassLoader();
        }

        @Override
        public int currentParallelism() {
            return context.currentParallelism();
        }
    }

    /** Registers everything on the reader's real metric group; keeps the pending-records gauge to read it. */
    private static final class LagCapturingGroup implements SourceReaderMetricGroup {
        private final SourceReaderMetricGroup group;
        private volatile Gauge<Long> pendingRecords;

        LagCapturingGroup(SourceReaderMetricGroup group) {
            this.group = group;
        }

        long recordsBehind() {
            Gauge<Long> g = pendingRecords;
            if (g == null) return SourceBacklog.UNKNOWN;
            try {
                Long v = g.getValue();
                return v == null ? SourceBacklog.UNKNOWN : v;
            } catch (RuntimeException concurrentMetricsUpdate) {
                return SourceBacklog.UNKNOWN;
            }
        }

        @Override
        public void setPendingRecordsGauge(Gauge<Long> gauge) {
            pendingRecords = gauge;
            group.setPendingRecordsGauge(gauge);
        }

        @Override
        public Counter getNumRecordsInErrorsCounter() {
            return group.getNumRecordsInErrorsCounter();
        }

        @Override
        public void setPendingBytesGauge(Gauge<Long> gauge) {
            group.setPendingBytesGauge(gauge);
        }

        @Override
        public OperatorIOMetricGroup getIOMetricGroup() {
            return group.getIOMetricGroup();
        }

        @Override
        public Counter counter(String name) {
            return group.counter(name);
        }

        @Override
        public <C extends Counter> C counter(String name, C counter) {
            return group.counter(name, counter);
        }

        @Override
        public <V, G extends Gauge<V>> G gauge(String name, G gauge) {
            return group.gauge(name, gauge);
        }

        @Override
        public <H extends Histogram> H histogram(String name, H histogram) {
            return group.histogram(name, histogram);
        }

        @Override
        public <M extends Meter> M meter(String name, M meter) {
            return group.meter(name, meter);
        }

        @Override
        public MetricGroup addGroup(String name) {
            return group.addGroup(name);
        }

        @Override
        public MetricGroup addGroup(String key, String value) {
            return group.addGroup(key, value);
        }

        @Override
        public String[] getScopeComponents() {
            return group.getScopeComponents();
        }

        @Override
        public Map<String, String> getAllVariables() {
            return group.getAllVariables();
        }

        @Override
        public String getMetricIdentifier(String metricName) {
            return group.getMetricIdentifier(metricName);
        }

        @Override
        public String getMetricIdentifier(String metricName, CharacterFilter filter) {
            return group.getMetricIdentifier(metricName, filter);
        }
    }
}

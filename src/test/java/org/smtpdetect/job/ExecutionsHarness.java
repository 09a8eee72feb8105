package org.smtpdetect.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.runtime.state.heap.HeapKeyedStateBackend;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.runtime.watermarkstatus.WatermarkStatus;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness;
import org.smtpdetect.connectors.exceptions.ExceptionsVersion;

/**
 * A {@link KibanaExecutions} in its {@link ExecutionsOperator} in a test harness, with its metrics and outputs at hand.
 * The broadcast input (exceptions versions) is at the end-of-time watermark, as a finished (bounded) exceptions
 * source leaves it: only the events' watermark may run executions.
 */
final class ExecutionsHarness implements AutoCloseable {
    static final long MINUTE = 60_000L;

    final Harness harness;
    private final InterceptingOperatorMetricGroup metrics = new InterceptingOperatorMetricGroup();
    private final MockEnvironment environment;
    private long watermark = Long.MIN_VALUE;

    private ExecutionsHarness(KibanaExecutions executions) throws Exception {
        environment = new MockEnvironmentBuilder()
                .setMetricGroup(new UnregisteredMetricGroups.UnregisteredTaskMetricGroup() {
                    @Override
                    public InternalOperatorMetricGroup getOrAddOperator(OperatorID id, String name) {
                        return metrics;
                    }
                })
                .build();
        harness = new Harness(new ExecutionsOperator(executions), environment);
    }

    /** A fresh, open harness. */
    static ExecutionsHarness open(KibanaExecutions executions) throws Exception {
        ExecutionsHarness h = new ExecutionsHarness(executions);
        h.harness.open();
        h.harness.processBroadcastWatermark(Long.MAX_VALUE);
        return h;
    }

    /** A harness restored from {@code snapshot} and opened. */
    static ExecutionsHarness restore(KibanaExecutions executions, OperatorSubtaskState snapshot) throws Exception {
        ExecutionsHarness h = new ExecutionsHarness(executions);
        h.harness.setup();
        h.harness.initializeState(snapshot);
        h.harness.open();
        h.harness.processBroadcastWatermark(Long.MAX_VALUE);
        return h;
    }

    /**
     * The two-input harness of a keyed broadcast operator on a given environment (Flink's own takes none, so its
     * metrics cannot be read): input 1 keyed by rule id, input 2 the broadcast exceptions versions.
     */
    static final class Harness extends AbstractStreamOperatorTestHarness<AlertDecision> {
        private final CoBroadcastWithKeyedOperator<String, Candidate, ExceptionsVersion, AlertDecision> operator;

        Harness(CoBroadcastWithKeyedOperator<String, Candidate, ExceptionsVersion, AlertDecision> operator,
                MockEnvironment environment) throws Exception {
            super(operator, environment);
            this.operator = operator;
            KeySelector<Candidate, String> byRule = c -> c.ruleId;
            config.setStatePartitioner(0, byRule);
            config.setStateKeySerializer(Types.STRING.createSerializer(executionConfig.getSerializerConfig()));
            config.serializeAllConfigs();
        }

        void processElement(Candidate value, long timestamp) throws Exception {
            StreamRecord<Candidate> record = new StreamRecord<>(value, timestamp);
            operator.setKeyContextElement1(record);
            operator.processElement1(record);
        }

        void processBroadcastElement(ExceptionsVersion version) throws Exception {
            operator.processElement2(new StreamRecord<>(version));
        }

        void processWatermark(long timestamp) throws Exception {
            operator.processWatermark1(new Watermark(timestamp));
        }

        void processBroadcastWatermark(long timestamp) throws Exception {
            operator.processWatermark2(new Watermark(timestamp));
        }

        void processWatermarkStatus(WatermarkStatus status) throws Exception {
            operator.processWatermarkStatus1(status);
        }

        int numKeyedStateEntries() {
            return ((HeapKeyedStateBackend<?>) operator.getKeyedStateBackend()).numKeyValueStateEntries();
        }

        BroadcastState<String, ExceptionsVersion> broadcastState() throws Exception {
            return operator.getOperatorStateBackend().getBroadcastState(KibanaExecutions.EXCEPTIONS);
        }
    }

    static Candidate candidate(String ruleId, String alertId, long timestamp) {
        return new Candidate(ruleId, alertId, timestamp, "smtp-events", "0/" + alertId,
                ("{\"id\":\"" + alertId + "\"}").getBytes(StandardCharsets.UTF_8), new String[0]);
    }

    void send(Candidate candidate) throws Exception {
        harness.processElement(candidate, candidate.timestamp);
    }

    /** A new exceptions version, as the exceptions source broadcasts it. */
    void exceptions(ExceptionsVersion version) throws Exception {
        harness.processBroadcastElement(version);
    }

    /** Advances the watermark (ignoring one that would not advance it, as Flink does). */
    void watermark(long timestamp) throws Exception {
        if (timestamp > watermark) {
            watermark = timestamp;
            harness.processWatermark(timestamp);
        }
    }

    /** The events input goes idle (idleness), or active again. */
    void eventsIdle(boolean idle) throws Exception {
        harness.processWatermarkStatus(idle ? WatermarkStatus.IDLE : WatermarkStatus.ACTIVE);
    }

    void endOfInput() throws Exception {
        watermark(Long.MAX_VALUE);
    }

    List<AlertDecision> alerts() {
        return harness.extractOutputValues();
    }

    List<ExecutionStatus> statuses() {
        List<ExecutionStatus> statuses = new ArrayList<>();
        Queue<StreamRecord<ExecutionStatus>> records = harness.getSideOutput(KibanaExecutions.STATUS);
        if (records != null) {
            records.forEach(r -> statuses.add(r.getValue()));
        }
        return statuses;
    }

    /** The watermark last given to the events input. */
    long watermarkNow() {
        return watermark;
    }

    @SuppressWarnings("unchecked")
    long gauge(String name) {
        return ((Gauge<Long>) metrics.get(name)).getValue();
    }

    long counter(String name) {
        Counter counter = (Counter) metrics.get(name);
        return counter == null ? 0 : counter.getCount();
    }

    OperatorSubtaskState snapshot() throws Exception {
        return harness.snapshot(1L, 1L);
    }

    /** After end of input nothing may remain: no keyed state entry, no timer. */
    void assertDrained() {
        assertThat(harness.numEventTimeTimers()).as("event-time timers").isZero();
        assertThat(harness.numKeyedStateEntries()).as("keyed state entries").isZero();
    }

    @Override
    public void close() throws Exception {
        harness.close();
        environment.close();
    }
}

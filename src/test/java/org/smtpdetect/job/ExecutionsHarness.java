package org.smtpdetect.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.metrics.groups.InternalOperatorMetricGroup;
import org.apache.flink.runtime.metrics.groups.UnregisteredMetricGroups;
import org.apache.flink.runtime.metrics.util.InterceptingOperatorMetricGroup;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.runtime.operators.testutils.MockEnvironmentBuilder;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/** A {@link KibanaExecutions} in a keyed operator test harness, with its metrics and outputs at hand. */
final class ExecutionsHarness implements AutoCloseable {
    static final long MINUTE = 60_000L;

    final KeyedOneInputStreamOperatorTestHarness<String, Candidate, AlertDecision> harness;
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
        harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(executions), c -> c.ruleId, Types.STRING, environment);
    }

    /** A fresh, open harness. */
    static ExecutionsHarness open(KibanaExecutions executions) throws Exception {
        ExecutionsHarness h = new ExecutionsHarness(executions);
        h.harness.open();
        return h;
    }

    /** A harness restored from {@code snapshot} and opened. */
    static ExecutionsHarness restore(KibanaExecutions executions, OperatorSubtaskState snapshot) throws Exception {
        ExecutionsHarness h = new ExecutionsHarness(executions);
        h.harness.setup();
        h.harness.initializeState(snapshot);
        h.harness.open();
        return h;
    }

    static Candidate candidate(String ruleId, String alertId, long timestamp) {
        return new Candidate(ruleId, alertId, timestamp, "smtp-events", "0/" + alertId,
                ("{\"id\":\"" + alertId + "\"}").getBytes(StandardCharsets.UTF_8), new String[0]);
    }

    void send(Candidate candidate) throws Exception {
        harness.processElement(candidate, candidate.timestamp);
    }

    /** Advances the watermark (ignoring one that would not advance it, as Flink does). */
    void watermark(long timestamp) throws Exception {
        if (timestamp > watermark) {
            watermark = timestamp;
            harness.processWatermark(timestamp);
        }
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

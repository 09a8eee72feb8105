package org.smtpdetect.job;

import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.smtpdetect.connectors.exceptions.ExceptionsVersion;

import java.util.List;

/**
 * Runs {@link KibanaExecutions} with the events' watermark alone. Flink's keyed broadcast operator takes the lower
 * watermark of its two inputs and, while one input is idle, the other's; but the exceptions versions carry no
 * event time, and a finished or idle exceptions input must never let executions run ahead of the events (an idle
 * events input next to a finished exceptions source would otherwise jump to the end of time and fire every
 * execution at once). So the events input's watermark drives the timers directly and the exceptions input's is
 * dropped; watermark statuses pass as Flink combines them.
 */
final class ExecutionsOperator extends CoBroadcastWithKeyedOperator<String, Candidate, ExceptionsVersion, AlertDecision> {
    private static final long serialVersionUID = 1L;

    ExecutionsOperator(KibanaExecutions executions) {
        super(executions, List.of(KibanaExecutions.EXCEPTIONS));
    }

    @Override
    public void processWatermark1(Watermark mark) throws Exception {
        processWatermark(mark);
    }

    @Override
    public void processWatermark2(Watermark mark) {
        // Exceptions versions carry no event time.
    }
}

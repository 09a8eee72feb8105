package org.smtpdetect.job;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.flink.api.common.functions.MapFunction;
import org.smtpdetect.alert.AlertIds;
import org.smtpdetect.connectors.SinkDocument;

import java.time.Instant;

/** Execution status records as documents; the id is the rule and execution, so a replay overwrites it. */
public final class StatusDocuments implements MapFunction<ExecutionStatus, SinkDocument> {
    private static final long serialVersionUID = 1L;

    private final String spaceId;

    /** @param spaceId the Kibana space, part of the execution uuid the alerts of the execution carry too */
    public StatusDocuments(String spaceId) {
        this.spaceId = spaceId;
    }

    @Override
    public SinkDocument map(ExecutionStatus s) {
        ObjectNode d = JsonNodeFactory.instance.objectNode();
        d.put("@timestamp", Instant.ofEpochMilli(s.executionTime).toString());
        d.put("rule_id", s.ruleId);
        d.put("execution_time", Instant.ofEpochMilli(s.executionTime).toString());
        d.put("execution_uuid", AlertIds.executionUuid(spaceId, s.ruleId, s.executionTime));
        d.put("candidates", s.candidates);
        d.put("alerted", s.alerted);
        d.put("capped", s.capped);
        d.put("late", s.late);
        d.put("dropped", s.dropped);
        d.put("excepted", s.excepted);
        d.put("status", s.capped > 0 ? "partial failure" : "succeeded");
        if (s.capped > 0) d.put("message", KibanaExecutions.MAX_SIGNALS_WARNING);
        // Regular records (an execution's firing, even one that only excepted events) have one id per rule and
        // execution, so a replay overwrites them; supplementary records of late alerts get an id from Elasticsearch.
        boolean lateSupplement = s.late > 0 && s.candidates == 0 && s.excepted == 0;
        return new SinkDocument(lateSupplement ? null : s.ruleId + "@" + s.executionTime, d.toString());
    }
}

package org.smtpdetect.connectors.elasticsearch;

import java.io.Serializable;

/**
 * Receives documents Elasticsearch rejected for good, so the job can route them to its dead-letter output.
 * Called on the sink's bulk thread after the sink has logged the rejection at WARN and counted it in the
 * {@code sinkRejected} metric. Throwing fails the sink (and the job, which then restarts per its strategy).
 */
@FunctionalInterface
public interface RejectedDocumentHandler extends Serializable {
    /** Does nothing beyond the sink's own WARN log and metric. */
    RejectedDocumentHandler LOG_ONLY = rejected -> {};

    void onRejected(RejectedDocument rejected) throws Exception;
}

package org.smtpdetect.connectors.elasticsearch;

/** How the Elasticsearch sink writes a document. */
public enum WriteMode {
    /**
     * {@code op_type=create} with the document's id: written once, never replaced. A document whose id exists
     * (409 version conflict) counts as already written. Alerts use this so that replays after a restart, retried
     * bulks and re-processing never duplicate an alert, and never reset one an analyst has already triaged
     * (Kibana keeps {@code kibana.alert.workflow_status} in the alert document itself). Requires an id.
     */
    CREATE,
    /** Plain index: the document's id if it has one (replacing), else an id chosen by Elasticsearch. */
    INDEX
}

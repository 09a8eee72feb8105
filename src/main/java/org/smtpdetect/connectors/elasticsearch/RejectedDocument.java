package org.smtpdetect.connectors.elasticsearch;

import java.io.Serializable;

/** A document Elasticsearch refused for good (mapping error, bad request...): what it was and why. */
public final class RejectedDocument implements Serializable {
    private static final long serialVersionUID = 1L;

    public final String index;
    /** The document id, or null when Elasticsearch was to choose it. */
    public final String id;
    public final String json;
    /** HTTP status of the item (400 for mapping errors), or -1 when the sink refused it before sending. */
    public final int status;
    public final String reason;

    public RejectedDocument(String index, String id, String json, int status, String reason) {
        this.index = index;
        this.id = id;
        this.json = json;
        this.status = status;
        this.reason = reason;
    }

    @Override
    public String toString() {
        return "RejectedDocument{" + index + "/" + id + ", status=" + status + ", " + reason + "}";
    }
}

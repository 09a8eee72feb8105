package org.smtpdetect.connectors;

import java.util.Objects;

/** A JSON document bound for a sink, with its deterministic id (null lets the sink choose). Flink POJO. */
public class SinkDocument {
    public String id;
    public String json;

    public SinkDocument() {}

    public SinkDocument(String id, String json) {
        this.id = id;
        this.json = json;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof SinkDocument)) return false;
        SinkDocument d = (SinkDocument) o;
        return Objects.equals(id, d.id) && Objects.equals(json, d.json);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, json);
    }

    @Override
    public String toString() {
        return "SinkDocument{" + id + ", " + json + "}";
    }
}

package org.smtpdetect.job;

import org.apache.flink.streaming.api.datastream.DataStream;
import org.smtpdetect.connectors.SinkDocument;

/** Where one kind of output goes: attaches a sink (with name and uid) to the stream of documents. */
@FunctionalInterface
public interface DocumentSink {
    void attach(DataStream<SinkDocument> documents, String name);
}

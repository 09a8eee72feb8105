package org.smtpdetect.job;

/** The job's three outputs: alert documents, execution status records and dead letters. */
public record Sinks(DocumentSink alerts, DocumentSink statuses, DocumentSink deadLetters) {}

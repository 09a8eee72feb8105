package org.smtpdetect.connectors.exceptions;

import org.smtpdetect.exception.ExceptionSources;

import java.util.Objects;

/**
 * One version of the rule exceptions: the exception files and value lists as read at {@code readAt}, numbered in
 * the order the job read them. The job keeps the newest it received in broadcast state. Flink POJO.
 */
public class ExceptionsVersion {
    /** 0 for the version read at start-up; each change the source reads adds one. */
    public long number;
    /** Wall-clock time of the read (epoch millis), for logs. */
    public long readAt;
    public ExceptionSources sources;

    public ExceptionsVersion() {}

    public ExceptionsVersion(long number, long readAt, ExceptionSources sources) {
        this.number = number;
        this.readAt = readAt;
        this.sources = sources;
    }

    /** The content's identity: versions with one digest apply the same exceptions. */
    public String digest() {
        return sources.digest;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ExceptionsVersion v && number == v.number && readAt == v.readAt
                && Objects.equals(sources == null ? null : sources.digest, v.sources == null ? null : v.sources.digest);
    }

    @Override
    public int hashCode() {
        return Objects.hash(number, sources == null ? null : sources.digest);
    }

    @Override
    public String toString() {
        return "ExceptionsVersion{" + number + ", " + (sources == null ? "-" : sources.digest.substring(0, 12)) + "}";
    }
}

package org.smtpdetect.exception;

/** Exception lists or value lists the job cannot apply as Kibana would; the message names file, line and field. */
public class ExceptionFormatException extends IllegalArgumentException {
    public ExceptionFormatException(String message) {
        super(message);
    }

    public ExceptionFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

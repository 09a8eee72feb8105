package org.smtpdetect.rule;

/** A rule file the job cannot run; the message names the file and the field. */
public class RuleFormatException extends IllegalArgumentException {
    public RuleFormatException(String message) {
        super(message);
    }

    public RuleFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

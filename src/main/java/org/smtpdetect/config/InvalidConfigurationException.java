package org.smtpdetect.config;

/** Start-up configuration (options or rule files) the job cannot run with; the message names what to fix. */
public class InvalidConfigurationException extends IllegalArgumentException {
    public InvalidConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}

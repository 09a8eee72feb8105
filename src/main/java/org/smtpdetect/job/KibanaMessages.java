package org.smtpdetect.job;

/** Kibana's own wording, so users recognise what they see. */
public final class KibanaMessages {
    public static final String MAX_SIGNALS_WARNING =
            "This rule reached the maximum alert limit for the rule execution. Some alerts were not created.";

    private KibanaMessages() {}
}

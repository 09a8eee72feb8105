package org.smtpdetect.kql;

/** A query the compiler cannot accept, with the offset where the problem is. */
public class KqlSyntaxException extends IllegalArgumentException {
    private final int position;

    public KqlSyntaxException(String message, String query, int position) {
        super(message + " at position " + position + " (column " + (position + 1) + ")\n" + query.replace('\n', ' ')
                + "\n" + " ".repeat(Math.max(0, position)) + "^");
        this.position = position;
    }

    /** A problem outside the query text (a rule's filter); {@link #position()} is -1. */
    public KqlSyntaxException(String message) {
        super(message);
        this.position = -1;
    }

    /** The first line of the message: the problem and its position, without the query and the caret. */
    public String summary() {
        String m = getMessage();
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    public int position() {
        return position;
    }
}

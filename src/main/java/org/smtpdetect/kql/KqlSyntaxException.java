package org.smtpdetect.kql;

/** A query the compiler cannot accept, with the offset where the problem is. */
public class KqlSyntaxException extends IllegalArgumentException {
    private final int position;

    public KqlSyntaxException(String message, String query, int position) {
        super(message + " at position " + position + " (column " + (position + 1) + ")\n" + query.replace('\n', ' ')
                + "\n" + " ".repeat(Math.max(0, position)) + "^");
        this.position = position;
    }

    public int position() {
        return position;
    }
}

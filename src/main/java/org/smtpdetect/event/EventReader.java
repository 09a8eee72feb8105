package org.smtpdetect.event;

import java.nio.charset.StandardCharsets;

/**
 * Turns one raw JSON record into a {@link ParsedEvent} over a {@link FieldSchema}: {@link EventScanner} (the
 * default) or {@link EventParser} (Jackson, the reference). Both give the same verdicts and values; neither is
 * thread-safe, and the returned event is reused by the next call.
 */
public interface EventReader {
    FieldSchema schema();

    /** Parses {@code data[offset, offset+length)}; a null array is empty input. */
    ParsedEvent parse(byte[] data, int offset, int length);

    default ParsedEvent parse(byte[] data) {
        return data == null ? parse(null, 0, 0) : parse(data, 0, data.length);
    }

    default ParsedEvent parse(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return parse(b, 0, b.length);
    }
}

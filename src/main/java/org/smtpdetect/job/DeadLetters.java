package org.smtpdetect.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.smtpdetect.alert.AlertIds;
import org.smtpdetect.connectors.SinkDocument;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;

/**
 * Dead-letter documents: the raw record (as text when it is valid UTF-8, else base64), its source coordinates,
 * the reason and when it was rejected. The id is derived from the coordinates so a replay rewrites, never
 * duplicates, a dead letter.
 */
public final class DeadLetters {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DeadLetters() {}

    public static SinkDocument of(byte[] raw, String origin, String position, String reason, Instant at) {
        ObjectNode d = JSON.createObjectNode();
        d.put("@timestamp", at.toString());
        d.put("reason", reason);
        d.put("origin", origin);
        d.put("position", position);
        String text = utf8(raw);
        if (text != null) {
            d.put("raw", text);
        } else {
            d.put("raw", Base64.getEncoder().encodeToString(raw));
            d.put("raw_encoding", "base64");
        }
        return new SinkDocument(AlertIds.alertId(origin, position, "dead-letter", ""), d.toString());
    }

    private static String utf8(byte[] raw) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }
}

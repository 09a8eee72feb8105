package org.smtpdetect.alert;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Deterministic alert ids, as Kibana derives {@code kibana.alert.uuid}: sha256 of the source event's coordinates
 * and {@code <space>:<rule id>}. Kibana hashes index + _id + _version; here the coordinates are the Kafka topic
 * and partition/offset (or file path and line number), joined with a separator so no two coordinates collide.
 * The same event and rule always give the same id, so a replay or retry can never create a second alert.
 */
public final class AlertIds {
    public static final String DEFAULT_SPACE = "default";

    private AlertIds() {}

    public static String alertId(String origin, String position, String spaceId, String ruleId) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(origin.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update(position.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
            sha.update((spaceId + ":" + ruleId).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JVM", e);
        }
    }
}

package org.smtpdetect.alert;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.UUID;

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

    /** Namespace of execution uuids (a random UUID fixed once, so the ids never change). */
    private static final UUID EXECUTION_NAMESPACE = UUID.fromString("4c5c1a7e-6b0f-4b51-9d3c-2f6e8a1d9b07");

    /**
     * {@code kibana.alert.rule.execution.uuid}: one id per execution, a name-based (version 5, SHA-1) UUID of the
     * space, rule id and execution time, so a replay or a restore from a savepoint gives the same id. Kibana draws
     * a random one per run; any UUID is valid there.
     */
    public static String executionUuid(String spaceId, String ruleId, long executionTime) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-1");
            sha.update(toBytes(EXECUTION_NAMESPACE));
            sha.update((spaceId + ":" + ruleId + ":" + executionTime).getBytes(StandardCharsets.UTF_8));
            byte[] h = sha.digest();
            h[6] = (byte) ((h[6] & 0x0f) | 0x50);
            h[8] = (byte) ((h[8] & 0x3f) | 0x80);
            long msb = 0;
            long lsb = 0;
            for (int i = 0; i < 8; i++) msb = (msb << 8) | (h[i] & 0xff);
            for (int i = 8; i < 16; i++) lsb = (lsb << 8) | (h[i] & 0xff);
            return new UUID(msb, lsb).toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by every JVM", e);
        }
    }

    private static byte[] toBytes(UUID u) {
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (u.getMostSignificantBits() >>> (56 - 8 * i));
            b[8 + i] = (byte) (u.getLeastSignificantBits() >>> (56 - 8 * i));
        }
        return b;
    }
}

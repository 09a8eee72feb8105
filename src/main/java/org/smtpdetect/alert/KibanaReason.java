package org.smtpdetect.alert;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code kibana.alert.reason} in Kibana's wording (security_solution {@code rule_types/utils/reason_formatters.ts}
 * at 0533da2631): {@code "{category }event{ with}{ process P,}{ parent process Q,}{ file F,}{ source IP}{:PORT,}
 * { destination IP}{:PORT,}{ by USER}{ on HOST} created SEVERITY alert NAME."}
 *
 * <p>Values are read from the event's source as lodash {@code get} reads them (the dotted key itself, else the
 * nested path). A value is absent when it is missing, null, {@code ""}, {@code []}, {@code "-"} or {@code ["-"]};
 * an array is joined with ", ". At that commit Kibana reads {@code _source}, where a JSON number or boolean has
 * no {@code length}, so it counts as absent: a port stored as a number (as Packetbeat writes it) is not shown.
 * "with" appears only when a process, parent, file, source or destination value is present.
 */
final class KibanaReason {
    /** {@code kibana.alert.reason} is a keyword without ignore_above: a longer text would make Lucene refuse the alert. */
    private static final int MAX_BYTES = AlertSource.MAX_TERM_BYTES;

    private KibanaReason() {}

    static String of(JsonNode source, String severity, String ruleName) {
        String category = value(source, "event.category");
        String process = value(source, "process.name");
        String parent = value(source, "process.parent.name");
        String file = value(source, "file.name");
        String sourceIp = value(source, "source.ip");
        String sourcePort = value(source, "source.port");
        String destinationIp = value(source, "destination.ip");
        String destinationPort = value(source, "destination.port");
        String user = value(source, "user.name");
        String host = value(source, "host.name");
        boolean withFields = process != null || parent != null || file != null || sourceIp != null || sourcePort != null
                || destinationIp != null || destinationPort != null;

        StringBuilder s = new StringBuilder();
        if (category != null) s.append(category).append(' ');
        s.append("event");
        if (withFields) s.append(" with");
        if (process != null) s.append(" process ").append(process).append(',');
        if (parent != null) s.append(" parent process ").append(parent).append(',');
        if (file != null) s.append(" file ").append(file).append(',');
        if (sourceIp != null) s.append(" source ").append(sourceIp);
        if (sourcePort != null) s.append(':').append(sourcePort).append(',');
        if (destinationIp != null) s.append(" destination ").append(destinationIp);
        if (destinationPort != null) s.append(':').append(destinationPort).append(',');
        if (user != null) s.append(" by ").append(user);
        if (host != null) s.append(" on ").append(host);
        s.append(" created ").append(severity).append(" alert ").append(ruleName).append('.');
        return capped(s.toString());
    }

    /** Kibana's getFieldTemplateValue over lodash getOr(null, path, _source). */
    static String value(JsonNode source, String path) {
        JsonNode v = source.get(path);
        if (v == null) {
            v = source;
            for (String part : path.split("\\.")) {
                v = v.isObject() ? v.get(part) : null;
                if (v == null) return null;
            }
        }
        if (v.isTextual()) {
            String s = v.textValue();
            return s.isEmpty() || s.equals("-") ? null : s;
        }
        if (!v.isArray() || v.isEmpty()) return null; // numbers, booleans, objects have no length
        if (v.size() == 1 && v.get(0).isTextual() && v.get(0).textValue().equals("-")) return null;
        List<String> parts = new ArrayList<>(v.size());
        v.forEach(e -> parts.add(jsString(e)));
        return String.join(", ", parts);
    }

    /** An array element as JavaScript's Array.join renders it. */
    private static String jsString(JsonNode e) {
        if (e.isNull() || e.isMissingNode()) return "";
        if (e.isTextual()) return e.textValue();
        if (e.isObject()) return "[object Object]";
        if (e.isArray()) {
            List<String> parts = new ArrayList<>(e.size());
            e.forEach(x -> parts.add(jsString(x)));
            return String.join(",", parts);
        }
        if (e.isFloatingPointNumber() && e.doubleValue() == Math.rint(e.doubleValue()) && Math.abs(e.doubleValue()) < 1e21) {
            return Long.toString((long) e.doubleValue());
        }
        return e.asText();
    }

    private static String capped(String reason) {
        if (reason.length() * 3L <= MAX_BYTES || reason.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES) return reason;
        int end = MAX_BYTES / 3 - 1;
        if (Character.isHighSurrogate(reason.charAt(end - 1))) end--;
        return reason.substring(0, end) + "…";
    }
}

package org.smtpdetect.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.smtpdetect.event.IpAddresses;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The straightforward way to run the rule, as the benchmarks' point of comparison: {@link ObjectMapper#readTree}
 * on the whole event, then the rule's fields looked up in the tree (nested objects, dotted keys at any level and
 * arrays of values or objects, as Elasticsearch flattens them) and the query's clauses evaluated on them.
 *
 * <p>Deliberately generous to itself: all eight fields the core extracts are looked up, but dates are not
 * parsed, keyword coercion is {@code asText}, only the clauses reached are evaluated (IP addresses parsed with
 * the same strict parser as the core), and duplicate keys are not checked (a default {@code ObjectMapper}).
 * It is not used for verdicts; {@link #matches} agrees with the core on ordinary events only.
 */
final class TreeBaseline {
    private static final String[][] FIELDS = {
            {"event", "category"}, {"network", "transport"}, {"destination", "port"}, {"event", "dataset"},
            {"source", "ip"}, {"destination", "ip"}, {"@timestamp"}, {"event", "ingested"},
    };
    private static final int CATEGORY = 0, TRANSPORT = 1, PORT = 2, DATASET = 3, SOURCE_IP = 4, DEST_IP = 5;

    private static final Set<String> CATEGORIES = Set.of("network", "network_traffic");
    private static final Set<String> TCP = Set.of("tcp");
    private static final Set<String> ZEEK_SMTP = Set.of("zeek.smtp");
    private static final IpAddresses.Block[] SOURCE_BLOCKS = blocks("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16");
    private static final IpAddresses.Block[] DEST_BLOCKS = blocks("10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16",
            "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/4", "::1", "FE80::/10", "FF00::/8");

    private final ObjectMapper mapper = new ObjectMapper();
    /** keys[f][from][to]: parts from..to-1 of field f joined with dots, the key a dotted name would use. */
    private final String[][][] keys = new String[FIELDS.length][][];
    @SuppressWarnings("unchecked")
    private final List<JsonNode>[] values = new List[FIELDS.length];
    private final long[] ip = new long[2];

    TreeBaseline() {
        for (int f = 0; f < FIELDS.length; f++) {
            String[] parts = FIELDS[f];
            keys[f] = new String[parts.length][parts.length + 1];
            for (int from = 0; from < parts.length; from++) {
                for (int to = from + 1; to <= parts.length; to++) {
                    keys[f][from][to] = String.join(".", java.util.Arrays.copyOfRange(parts, from, to));
                }
            }
            values[f] = new ArrayList<>(4);
        }
    }

    /** Parses and evaluates one event; invalid JSON does not match. */
    boolean matches(byte[] event) {
        JsonNode root;
        try {
            root = mapper.readTree(event);
        } catch (IOException e) {
            return false;
        }
        if (root == null || !root.isObject()) return false;
        for (int f = 0; f < FIELDS.length; f++) {
            values[f].clear();
            collect(root, f, 0, values[f]);
        }
        return anyKeyword(values[CATEGORY], CATEGORIES)
                && anyKeyword(values[TRANSPORT], TCP)
                && (anyPort(values[PORT]) || anyKeyword(values[DATASET], ZEEK_SMTP))
                && anyIpIn(values[SOURCE_IP], SOURCE_BLOCKS)
                && !anyIpIn(values[DEST_IP], DEST_BLOCKS);
    }

    /** Values of field f below {@code node}, where parts before {@code from} are already matched. */
    private void collect(JsonNode node, int f, int from, List<JsonNode> out) {
        if (node.isArray()) {
            for (JsonNode e : node) collect(e, f, from, out);
            return;
        }
        String[][] k = keys[f];
        if (from == k.length) {
            if (!node.isNull()) out.add(node);
            return;
        }
        if (!node.isObject()) return;
        for (int to = from + 1; to <= k.length; to++) {
            JsonNode child = node.get(k[from][to]);
            if (child != null) collect(child, f, to, out);
        }
    }

    private static boolean anyKeyword(List<JsonNode> vs, Set<String> wanted) {
        for (JsonNode v : vs) {
            if (v.isValueNode() && wanted.contains(v.asText())) return true;
        }
        return false;
    }

    private static boolean anyPort(List<JsonNode> vs) {
        for (JsonNode v : vs) {
            long p;
            if (v.isIntegralNumber() && v.canConvertToLong()) {
                p = v.longValue();
            } else if (v.isTextual()) {
                try {
                    p = Long.parseLong(v.textValue());
                } catch (NumberFormatException e) {
                    continue;
                }
            } else {
                continue;
            }
            if (p == 25 || p == 465 || p == 587) return true;
        }
        return false;
    }

    private boolean anyIpIn(List<JsonNode> vs, IpAddresses.Block[] blocks) {
        for (JsonNode v : vs) {
            if (!v.isValueNode() || !IpAddresses.parse(v.asText(), ip)) continue;
            for (IpAddresses.Block b : blocks) {
                if (b.contains(ip[0], ip[1])) return true;
            }
        }
        return false;
    }

    private static IpAddresses.Block[] blocks(String... cidrs) {
        IpAddresses.Block[] out = new IpAddresses.Block[cidrs.length];
        for (int i = 0; i < cidrs.length; i++) out[i] = IpAddresses.parseBlock(cidrs[i]);
        return out;
    }
}

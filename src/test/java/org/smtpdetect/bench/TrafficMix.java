package org.smtpdetect.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import org.smtpdetect.Corpus;
import org.smtpdetect.event.ParsedEvent;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.RuleLoader;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Pattern;

/**
 * The event streams the benchmarks run on.
 *
 * <ul>
 *   <li>{@code realistic}: what a network sees, where SMTP to the Internet is rare. Real ECS documents from the
 *       corpus (Elastic's own pipeline outputs) of 1.1 to 1.5 KB written compactly as Beats write them, without
 *       the corpus annotations, with their addresses, ids, numbers and times varied so that no two are alike,
 *       each checked still not to match; one event in {@value #MATCH_EVERY} is one of the corpus's matches.</li>
 *   <li>{@code burst}: the corpus as it is (1,772 events, 35% matching, plus the semantics cases), the mix of
 *       an attack in progress.</li>
 * </ul>
 * Every realistic document starts with its {@code @timestamp}, so a harness can restamp it.
 */
final class TrafficMix {
    static final int MATCH_EVERY = 1000;
    static final int MIN_BYTES = 1100;
    static final int MAX_BYTES = 1500;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    private static final Pattern HEX_ID = Pattern.compile("[0-9a-fA-F-]{8,}");
    private static final Pattern TIME = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d.*");

    private TrafficMix() {}

    /** The named mix: {@code realistic} with {@code n} events, or {@code burst} (the corpus; n ignored). */
    static byte[][] of(String name, int n) {
        switch (name) {
            case "realistic": return realistic(n, 20_261_201L);
            case "burst": return burst();
            default: throw new IllegalArgumentException("unknown mix " + name + " (realistic, burst)");
        }
    }

    /** Every corpus line, in file order. */
    static byte[][] burst() {
        List<byte[]> out = new ArrayList<>();
        for (String file : Corpus.FILES) {
            for (String line : Corpus.events(file)) out.add(line.getBytes(StandardCharsets.UTF_8));
        }
        return out.toArray(new byte[0][]);
    }

    static byte[][] realistic(int n, long seed) {
        Detector reference = Detector.of(List.of(RuleLoader.loadDefault()), Detector.Parser.JACKSON);
        List<ObjectNode> quiet = new ArrayList<>();
        for (String line : Corpus.events("real-events")) {
            ObjectNode doc = document(line);
            int size = bytes(doc).length;
            if (size >= MIN_BYTES && size <= MAX_BYTES) quiet.add(doc);
        }
        List<byte[]> matches = new ArrayList<>();
        List<String> derived = Corpus.events("derived-events");
        List<String> verdicts = Corpus.verdicts("derived-events", false);
        for (int i = 0; i < derived.size(); i++) {
            if (!verdicts.get(i).equals("true")) continue;
            byte[] m = bytes(document(derived.get(i)));
            if (m.length >= MIN_BYTES && m.length <= MAX_BYTES) matches.add(m);
        }
        Random random = new Random(seed);
        byte[][] out = new byte[n][];
        int matchIndex = 0;
        for (int i = 0; i < n; i++) {
            if (i % MATCH_EVERY == MATCH_EVERY / 2) {
                out[i] = matches.get(matchIndex++ % matches.size());
                continue;
            }
            while (out[i] == null) {
                ObjectNode doc = quiet.get(random.nextInt(quiet.size())).deepCopy();
                vary(doc, random);
                byte[] b = bytes(doc);
                ParsedEvent e = reference.parse(b);
                if (!e.isError() && !reference.matches(0, e) && b.length <= MAX_BYTES + 40) out[i] = b;
            }
        }
        return out;
    }

    /** A corpus line without its annotations ({@code _}-prefixed fields), {@code @timestamp} first. */
    private static ObjectNode document(String line) {
        try {
            ObjectNode in = (ObjectNode) JSON.readTree(line);
            ObjectNode out = JSON.createObjectNode();
            if (in.has("@timestamp")) out.set("@timestamp", in.get("@timestamp"));
            for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                if (!f.getKey().startsWith("_") && !f.getKey().equals("@timestamp")) out.set(f.getKey(), f.getValue());
            }
            if (!out.has("@timestamp")) {
                ObjectNode stamped = JSON.createObjectNode().put("@timestamp", "2024-01-01T00:00:00.000Z");
                stamped.setAll(out);
                return stamped;
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** New addresses (same first octet), ids, counters and times, as the next event from the same source would have. */
    private static void vary(JsonNode node, Random r) {
        if (node instanceof ObjectNode) {
            ObjectNode o = (ObjectNode) node;
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> f = it.next();
                JsonNode v = f.getValue();
                JsonNode replaced = varied(f.getKey(), v, r);
                if (replaced != null) f.setValue(replaced);
                else vary(v, r);
            }
        } else if (node instanceof ArrayNode) {
            ArrayNode a = (ArrayNode) node;
            for (int i = 0; i < a.size(); i++) {
                JsonNode replaced = varied("", a.get(i), r);
                if (replaced != null) a.set(i, replaced);
                else vary(a.get(i), r);
            }
        }
    }

    private static JsonNode varied(String key, JsonNode v, Random r) {
        if (v.isTextual()) {
            String s = v.textValue();
            if (IPV4.matcher(s).matches()) return TextNode.valueOf(s.substring(0, s.indexOf('.')) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + (1 + r.nextInt(254)));
            if (TIME.matcher(s).matches()) return TextNode.valueOf(s.substring(0, 14) + String.format("%02d:%02d", r.nextInt(60), r.nextInt(60)) + s.substring(19));
            if (HEX_ID.matcher(s).matches()) {
                StringBuilder b = new StringBuilder(s.length());
                for (char c : s.toCharArray()) b.append(c == '-' ? '-' : "0123456789abcdef".charAt(r.nextInt(16)));
                return TextNode.valueOf(b.toString());
            }
            return null;
        }
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            long x = v.longValue();
            if (key.endsWith("port")) return IntNode.valueOf(1024 + r.nextInt(64_000));
            if (x > 1000) return LongNode.valueOf(x / 2 + (long) (r.nextDouble() * x));
        }
        return null;
    }

    private static byte[] bytes(JsonNode doc) {
        try {
            return JSON.writeValueAsBytes(doc);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static double averageBytes(byte[][] events) {
        long bytes = 0;
        for (byte[] e : events) bytes += e.length;
        return (double) bytes / events.length;
    }

    static double matchShare(byte[][] events) {
        Detector reference = Detector.of(List.of(RuleLoader.loadDefault()), Detector.Parser.JACKSON);
        long matches = 0;
        for (byte[] e : events) matches += reference.matches(0, reference.parse(e)) ? 1 : 0;
        return (double) matches / events.length;
    }
}

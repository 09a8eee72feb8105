package org.smtpdetect.exception;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A value list as Kibana exports it ({@code POST /api/lists/items/_export}): one value per line. Read with
 * Kibana's import rules: blank lines skipped, values trimmed (JavaScript's {@code trim}) and de-duplicated. The
 * list's type is not in the file; it comes from the entry that references the list.
 *
 * @param lines the 1-based line of each value, for messages
 */
record ValueList(String id, String path, List<String> values, List<Integer> lines) {

    static ValueList parse(String id, String path, String text) {
        String[] raw = text.split("\r\n|\n|\r", -1);
        Map<String, Integer> values = new LinkedHashMap<>();
        for (int i = 0; i < raw.length; i++) {
            String v = trim(raw[i]);
            if (!v.isEmpty()) values.putIfAbsent(v, i + 1);
        }
        return new ValueList(id, path, List.copyOf(values.keySet()), List.copyOf(new ArrayList<>(values.values())));
    }

    /** JavaScript's {@code String.prototype.trim}: Unicode white space and line terminators, BOM included. */
    static String trim(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && isJsWhitespace(s.charAt(start))) start++;
        while (end > start && isJsWhitespace(s.charAt(end - 1))) end--;
        return s.substring(start, end);
    }

    private static boolean isJsWhitespace(char c) {
        switch (c) {
            case '\t': case '\n': case 0x0B: case '\f': case '\r': case ' ': case 0xA0: case 0x1680: case 0x2028:
            case 0x2029: case 0x202F: case 0x205F: case 0x3000: case 0xFEFF:
                return true;
            default:
                return c >= 0x2000 && c <= 0x200A;
        }
    }

    String at(int index) {
        return path + ":" + lines.get(index);
    }
}

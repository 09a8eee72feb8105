package org.smtpdetect.event;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The parser's shortcuts for the common IPv4 and timestamp spellings give exactly what the reference parsers
 * (the IP library, the {@code strict_date_optional_time} formatter) give, on every text they accept, over
 * exhaustive combinations of edge values and many random texts. Texts they decline go to the reference anyway.
 */
class FastPathEquivalenceTest {
    private static final long SEED = 20_240_611L;

    @Test
    void canonicalIpv4IsWhatTheLibraryParses() {
        String[] parts = {"0", "1", "7", "9", "10", "25", "99", "100", "127", "199", "200", "249", "250", "254", "255",
                "256", "260", "299", "300", "999", "1000", "00", "01", "09", "000", "001", "010", "0255", "", "a", "f",
                "ff", "1a", " 1", "1 ", "-1", "+1", "1e1", "0x1", "*", "%"};
        int accepted = 0;
        for (String a : parts) {
            for (String b : parts) {
                for (String c : new String[] {"0", "1", "10", "255", "256", "00", "01", "", "x"}) {
                    for (String d : parts) {
                        String text = a + "." + b + "." + c + "." + d;
                        if (assertSameIp(text)) accepted++;
                    }
                }
            }
        }
        assertThat(accepted).isGreaterThan(10_000);
    }

    @Test
    void canonicalIpv4AgreesOnRandomTexts() {
        Random r = new Random(SEED);
        String alphabet = "0123456789....::%abcdefABCDEFx -/";
        int accepted = 0;
        for (int i = 0; i < 200_000; i++) {
            String text;
            if (i % 2 == 0) {
                text = r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256) + "." + r.nextInt(256);
                if (i % 10 == 0) text = mutate(text, r, alphabet);
            } else {
                text = randomText(r, alphabet, r.nextInt(18));
            }
            if (assertSameIp(text)) accepted++;
        }
        assertThat(accepted).isGreaterThan(80_000);
        for (String text : List.of("0.0.0.0", "255.255.255.255", "1.2.3.4", "10.0.0.1", "192.168.0.1",
                "1.1.1.1.", ".1.1.1", "1..1.1", "1.1.1", "1.1.1.1.1", "::ffff:1.2.3.4", "1.2.3.4%1", "01.2.3.4")) {
            assertSameIp(text);
        }
    }

    @Test
    void plainIpv6IsWhatTheLibraryParses() {
        String[] groups = {"0", "1", "a", "F", "00", "0a", "fFf", "0000", "ffff", "1234", "abcd", "00000", "12345", "g", "", " 1",
                "1%", "1.2", "x"};
        int accepted = 0;
        // every shape of up to 9 groups with the gap anywhere, over a few group values
        Random r = new Random(SEED);
        for (int count = 0; count <= 9; count++) {
            for (int gap = -1; gap <= count; gap++) {
                for (int k = 0; k < 400; k++) {
                    StringBuilder b = new StringBuilder();
                    for (int g = 0; g < count; g++) {
                        if (g == gap) b.append("::");
                        else if (g > 0) b.append(':');
                        b.append(groups[r.nextInt(k < 200 ? 12 : groups.length)]);
                    }
                    if (gap == count) b.append("::");
                    if (assertSameIp(b.toString())) accepted++;
                }
            }
        }
        for (String text : List.of("::", "::1", "1::", "::ffff:a0b:c0d", "2001:db8::25", "fe80::1", "fe80::1%eth0", "::ffff:1.2.3.4",
                "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8", ":::",
                "1:::2", ":1::", "1::2::3", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "FF02::1", "2a02:cf40:add:4002:91f2:a9b2:e09a:6fc6")) {
            assertSameIp(text);
        }
        assertThat(accepted).isGreaterThan(3_000);
    }

    @Test
    void plainIpv6AgreesOnRandomTexts() {
        Random r = new Random(SEED);
        String alphabet = "0123456789abcdefABCDEF::::::.%x ";
        int accepted = 0;
        for (int i = 0; i < 200_000; i++) {
            String text;
            if (i % 2 == 0) {
                StringBuilder b = new StringBuilder();
                int count = 1 + r.nextInt(8);
                int gap = r.nextInt(count + 2) - 1;
                for (int g = 0; g < count; g++) {
                    b.append(g == gap ? "::" : g > 0 ? ":" : "").append(Integer.toHexString(r.nextInt(1 << (4 * (1 + r.nextInt(4))))));
                }
                text = b.toString();
                if (i % 10 == 0) text = mutate(text, r, alphabet);
            } else {
                text = randomText(r, alphabet, r.nextInt(20));
            }
            if (assertSameIp(text)) accepted++;
        }
        assertThat(accepted).isGreaterThan(40_000);
    }

    /** Asserts the shortcuts decline or agree with the library; returns whether one accepted. */
    private static boolean assertSameIp(String text) {
        long[] reference = {-1, -1};
        boolean valid = IpAddresses.parseWithLibrary(text, reference);
        boolean accepted = false;
        for (int shortcut = 0; shortcut < 2; shortcut++) {
            long[] fast = {-1, -1};
            boolean took = shortcut == 0 ? IpAddresses.parseCanonicalIpv4(text, fast) : IpAddresses.parsePlainIpv6(text, fast);
            if (took) {
                assertThat(valid).as("library accepts %s", text).isTrue();
                assertThat(fast).as(text).containsExactly(reference);
            } else {
                assertThat(fast).as("untouched for %s", text).containsExactly(-1, -1);
            }
            accepted |= took;
        }
        long[] combined = {-1, -1};
        assertThat(IpAddresses.parse(text, combined)).as(text).isEqualTo(valid);
        assertThat(combined).as(text).containsExactly(reference);
        return accepted;
    }

    @Test
    void simpleTimestampsAreWhatTheFormatterParses() {
        String[] years = {"0000", "0001", "1600", "1900", "1969", "1970", "2000", "2023", "2024", "2100", "9999", "199", "20x3"};
        String[] months = {"00", "01", "02", "04", "09", "10", "11", "12", "13", "1", "x1"};
        String[] days = {"00", "01", "09", "10", "27", "28", "29", "30", "31", "32", "3"};
        String[] times = {"00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "09:05:07", "1:00:00", "12:0:00",
                "12-00-00", "12:00"};
        String[] fractions = {"", ".", ".0", ".1", ".12", ".123", ".1234", ".999999", ".123456789", ".1234567890",
                ".000000001", ",123", ".1a"};
        String[] zones = {"", "Z", "z", "+00:00", "+01:00", "-05:30", "+0100", "ZZ", " ", "Z ", "+24:00"};
        int accepted = 0;
        for (String y : years) {
            for (String mo : months) {
                for (String d : days) {
                    for (String t : times) {
                        String fraction = fractions[(y.hashCode() + mo.hashCode() * 31 + d.hashCode() * 7 + t.hashCode()) & 7];
                        for (String z : zones) {
                            if (assertSameDate(y + "-" + mo + "-" + d + "T" + t + fraction + z)) accepted++;
                        }
                    }
                }
                for (String f : fractions) {
                    for (String z : zones) {
                        if (assertSameDate(y + "-" + mo + "-15T10:20:30" + f + z)) accepted++;
                    }
                }
            }
        }
        assertThat(accepted).isGreaterThan(4_000);
    }

    @Test
    void simpleTimestampsAgreeOnRandomTexts() {
        Random r = new Random(SEED);
        int accepted = 0;
        for (int i = 0; i < 100_000; i++) {
            String text = String.format("%04d-%02d-%02dT%02d:%02d:%02d", r.nextInt(10_000), 1 + r.nextInt(12),
                    1 + r.nextInt(31), r.nextInt(24), r.nextInt(60), r.nextInt(60));
            int digits = r.nextInt(11);
            if (digits > 0) {
                StringBuilder b = new StringBuilder(text).append('.');
                for (int k = 0; k < digits; k++) b.append((char) ('0' + r.nextInt(10)));
                text = b.toString();
            }
            if (r.nextBoolean()) text += "Z";
            if (i % 5 == 0) text = mutate(text, r, "0123456789-T:.Z+ ");
            if (assertSameDate(text)) accepted++;
        }
        assertThat(accepted).isGreaterThan(50_000);
        for (String text : List.of("2023-05-05T17:51:17.000Z", "2023-05-05T17:51:17Z", "2023-05-05T17:51:17",
                "2024-02-29T00:00:00Z", "2023-02-29T00:00:00Z", "2000-02-29T12:00:00.5Z", "1900-02-29T12:00:00Z",
                "1969-12-31T23:59:59.999Z", "0000-01-01T00:00:00Z", "2023-05-05", "2023-05-05T17:51:17.000+00:00")) {
            assertSameDate(text);
        }
    }

    /** Asserts the shortcut declines or agrees with the formatter; returns whether it accepted. */
    private static boolean assertSameDate(String text) {
        long fast = Coercions.isoDateTimeUtc(text);
        Long reference;
        try {
            reference = Coercions.dateWithFormatter(text);
        } catch (Coercions.Malformed e) {
            reference = null;
        }
        if (fast != Coercions.NOT_SIMPLE) {
            assertThat(reference).as(text).isEqualTo(fast);
        }
        Long combined;
        try {
            combined = Coercions.dateFromString(text);
        } catch (Coercions.Malformed e) {
            combined = null;
        }
        if (!text.isEmpty() && text.chars().allMatch(Character::isDigit)) return false; // epoch millis, not ours
        assertThat(combined).as(text).isEqualTo(reference);
        return fast != Coercions.NOT_SIMPLE;
    }

    private static String mutate(String text, Random r, String alphabet) {
        StringBuilder b = new StringBuilder(text);
        int at = r.nextInt(b.length() + 1);
        switch (r.nextInt(3)) {
            case 0: b.insert(at, alphabet.charAt(r.nextInt(alphabet.length()))); break;
            case 1: if (at < b.length()) b.deleteCharAt(at); break;
            default: if (at < b.length()) b.setCharAt(at, alphabet.charAt(r.nextInt(alphabet.length())));
        }
        return b.toString();
    }

    private static String randomText(Random r, String alphabet, int length) {
        List<Character> cs = new ArrayList<>();
        for (int i = 0; i < length; i++) cs.add(alphabet.charAt(r.nextInt(alphabet.length())));
        StringBuilder b = new StringBuilder();
        cs.forEach(b::append);
        return b.toString();
    }
}

package org.smtpdetect.event;

import inet.ipaddr.AddressStringParameters.RangeParameters;
import inet.ipaddr.IPAddress;
import inet.ipaddr.IPAddressString;
import inet.ipaddr.IPAddressStringParameters;
import inet.ipaddr.ipv6.IPv6AddressStringParameters;

/**
 * IP addresses as Elasticsearch's {@code ip} field stores them: 16 bytes, IPv4 as IPv4-mapped IPv6
 * ({@code ::ffff:a.b.c.d}), held here as two longs. So {@code ::ffff:10.1.2.3} IS {@code 10.1.2.3} and an IPv4
 * CIDR block is the mapped block {@code ::ffff:a.b.c.d/(96+n)}.
 *
 * <p>Parsing follows Elasticsearch's {@code InetAddresses.forString}: only hex digits, dots and colons, an
 * optional {@code %zone} on IPv6 (ignored); four decimal IPv4 parts without leading zeros. The IPAddress library
 * does the structural parse, configured strictly: its defaults would read {@code ""} as 127.0.0.1, {@code 1.2.3}
 * as 1.2.0.3, {@code 10} as 0.0.0.10 and {@code 010.1.2.3} as 10.1.2.3, all of which Elasticsearch rejects.
 */
public final class IpAddresses {
    private static final long MAPPED_V4_LO_PREFIX = 0x0000_ffff_0000_0000L;

    private static final IPAddressStringParameters STRICT = strictParameters();

    private static IPAddressStringParameters strictParameters() {
        IPAddressStringParameters.Builder b = new IPAddressStringParameters.Builder()
                .allowEmpty(false).allowSingleSegment(false).allowPrefix(false).allowMask(false).allowAll(false)
                .allowPrefixOnly(false).allowWildcardedSeparator(false).setRangeOptions(RangeParameters.NO_RANGE);
        b.getIPv4AddressParametersBuilder()
                .allowLeadingZeros(false).allow_inet_aton(false).allowBinary(false)
                .setRangeOptions(RangeParameters.NO_RANGE);
        IPv6AddressStringParameters.Builder v6 = b.getIPv6AddressParametersBuilder();
        v6.allowZone(false).allowMixed(true).allowBinary(false).allowBase85(false)
                .allowLeadingZeros(true).allowUnlimitedLeadingZeros(false)
                .setRangeOptions(RangeParameters.NO_RANGE);
        // The IPv4 tail of a mixed IPv6 address follows the IPv4 rules (no leading zeros).
        v6.getEmbeddedIPv4AddressParametersBuilder()
                .allowLeadingZeros(false).allow_inet_aton(false).allowBinary(false)
                .setRangeOptions(RangeParameters.NO_RANGE);
        return b.toParams();
    }

    private IpAddresses() {}

    /**
     * Parses {@code text} into {@code out[0]} (high 64 bits) and {@code out[1]} (low 64 bits).
     * Returns false, leaving {@code out} untouched, when Elasticsearch would reject the value.
     */
    public static boolean parse(CharSequence text, long[] out) {
        return parseCanonicalIpv4(text, out) || parsePlainIpv6(text, out) || parseWithLibrary(text.toString(), out);
    }

    /**
     * The common case without the library: four decimal parts 0-255 without leading zeros and nothing else
     * ({@code 10.1.2.3}). Returns false, leaving {@code out} untouched, for any other text, valid or not, which
     * {@link #parseWithLibrary} then decides; on the texts it accepts it gives the library's result.
     */
    static boolean parseCanonicalIpv4(CharSequence s, long[] out) {
        int n = s.length();
        if (n < 7 || n > 15) return false;
        long address = 0;
        int parts = 0;
        int value = 0;
        int digits = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (digits == 0 || parts == 3) return false;
                address = (address << 8) | value;
                parts++;
                value = 0;
                digits = 0;
            } else if (c >= '0' && c <= '9') {
                if (digits > 0 && value == 0) return false; // a leading zero
                value = value * 10 + (c - '0');
                if (++digits > 3 || value > 255) return false;
            } else {
                return false;
            }
        }
        if (digits == 0 || parts != 3) return false;
        out[0] = 0L;
        out[1] = MAPPED_V4_LO_PREFIX | (address << 8) | value;
        return true;
    }

    /**
     * Plain IPv6 without the library: colon-separated groups of 1 to 4 hex digits, eight of them or fewer with
     * one {@code ::} standing for at least one zero group, and nothing else (no zone, no IPv4 tail). Returns
     * false, leaving {@code out} untouched, for any other text, valid or not, which {@link #parseWithLibrary}
     * then decides; on the texts it accepts it gives the library's result.
     */
    static boolean parsePlainIpv6(CharSequence s, long[] out) {
        int n = s.length();
        if (n < 2 || n > 39) return false;
        long hi = 0;
        long lo = 0;
        int groups = 0;
        int gapAt = -1; // groups read before the "::"
        int i = 0;
        if (s.charAt(0) == ':') {
            if (s.charAt(1) != ':') return false;
            gapAt = 0;
            i = 2;
        }
        while (i < n) {
            int start = i;
            int value = 0;
            for (; i < n; i++) {
                int d = hexValue(s.charAt(i));
                if (d < 0) break;
                value = (value << 4) | d;
            }
            if (i == start || i - start > 4 || groups == 8) return false;
            hi = (hi << 16) | (lo >>> 48);
            lo = (lo << 16) | value;
            groups++;
            if (i == n) break;
            if (s.charAt(i) != ':') return false;
            i++;
            if (i < n && s.charAt(i) == ':') {
                if (gapAt >= 0) return false;
                gapAt = groups;
                i++;
            } else if (i == n) {
                return false;
            }
        }
        if (gapAt < 0 ? groups != 8 : groups > 7) return false;
        if (gapAt >= 0) {
            // the groups after the gap stay where they are; those before it move up past the zeros
            int tailBits = 16 * (groups - gapAt);
            int gapBits = 16 * (8 - groups);
            long tailHi = tailBits >= 128 ? hi : tailBits > 64 ? hi & (-1L >>> (128 - tailBits)) : 0;
            long tailLo = tailBits >= 64 ? lo : tailBits == 0 ? 0 : lo & (-1L >>> (64 - tailBits));
            long headHi = shiftRightHi(hi, lo, tailBits);
            long headLo = shiftRightLo(hi, lo, tailBits);
            int up = tailBits + gapBits;
            hi = shiftLeftHi(headHi, headLo, up) | tailHi;
            lo = shiftLeftLo(headLo, up) | tailLo;
        }
        out[0] = hi;
        out[1] = lo;
        return true;
    }

    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    private static long shiftRightHi(long hi, long lo, int bits) {
        return bits >= 128 ? 0 : bits >= 64 ? 0 : bits == 0 ? hi : hi >>> bits;
    }

    private static long shiftRightLo(long hi, long lo, int bits) {
        if (bits >= 128) return 0;
        if (bits >= 64) return hi >>> (bits - 64);
        return bits == 0 ? lo : (lo >>> bits) | (hi << (64 - bits));
    }

    private static long shiftLeftHi(long hi, long lo, int bits) {
        if (bits >= 128) return 0;
        if (bits >= 64) return lo << (bits - 64);
        return bits == 0 ? hi : (hi << bits) | (lo >>> (64 - bits));
    }

    private static long shiftLeftLo(long lo, int bits) {
        return bits >= 64 ? 0 : lo << bits;
    }

    /** {@link #parse} through the IP library only: the reference for any spelling. */
    static boolean parseWithLibrary(String text, long[] out) {
        String address = stripZoneAsElasticsearchDoes(text);
        if (address == null) return false;
        IPAddress ip = new IPAddressString(address, STRICT).getAddress();
        if (ip == null) return false;
        byte[] b = ip.getBytes();
        if (b.length == 4) {
            out[0] = 0L;
            out[1] = MAPPED_V4_LO_PREFIX | (Integer.toUnsignedLong(((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff)));
        } else {
            out[0] = toLong(b, 0);
            out[1] = toLong(b, 8);
        }
        return true;
    }

    /** The first pass of Elasticsearch's parser: classifies characters and drops an IPv6 zone id. */
    private static String stripZoneAsElasticsearchDoes(String s) {
        boolean hasColon = false;
        boolean hasDot = false;
        int percent = -1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                hasDot = true;
            } else if (c == ':') {
                if (hasDot) return null;
                hasColon = true;
            } else if (c == '%') {
                percent = i;
                break;
            } else if (Character.digit(c, 16) == -1) {
                return null;
            }
        }
        if (hasColon) return percent < 0 ? s : s.substring(0, percent);
        if (hasDot && percent < 0) return s;
        return null;
    }

    private static long toLong(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) v = (v << 8) | (b[off + i] & 0xff);
        return v;
    }

    /** Formats a stored address back the way Elasticsearch returns it (IPv4 for mapped addresses). */
    public static String format(long hi, long lo) {
        if (hi == 0 && (lo & 0xffff_ffff_0000_0000L) == MAPPED_V4_LO_PREFIX) {
            return ((lo >>> 24) & 0xff) + "." + ((lo >>> 16) & 0xff) + "." + ((lo >>> 8) & 0xff) + "." + (lo & 0xff);
        }
        byte[] b = new byte[16];
        for (int i = 0; i < 8; i++) {
            b[i] = (byte) (hi >>> (56 - 8 * i));
            b[8 + i] = (byte) (lo >>> (56 - 8 * i));
        }
        return new inet.ipaddr.ipv6.IPv6Address(b).toCompressedString();
    }

    /** A CIDR block (or a single address) in the 128-bit space, as an ip term query value. */
    public record Block(long hi, long lo, int prefix) {
        public boolean contains(long h, long l) {
            if (prefix == 0) return true;
            if (prefix <= 64) {
                long mask = -1L << (64 - prefix);
                return ((h ^ hi) & mask) == 0;
            }
            if (h != hi) return false;
            if (prefix == 128) return l == lo;
            long mask = -1L << (128 - prefix);
            return ((l ^ lo) & mask) == 0;
        }
    }

    /**
     * Parses an ip query value: an address or {@code address/prefix}, as Elasticsearch's ip term query does.
     * An IPv4 prefix is shifted by 96 so it applies to the mapped form. Returns null when invalid, including a
     * prefix on an IPv4-mapped address written as IPv6 ({@code ::ffff:10.0.0.0/104}), which Elasticsearch's
     * {@code InetAddresses.parseCidr} rejects as ambiguous.
     */
    public static Block parseBlock(String value) {
        int slash = value.indexOf('/');
        long[] a = new long[2];
        if (slash < 0) {
            return parse(value, a) ? new Block(a[0], a[1], 128) : null;
        }
        String addr = value.substring(0, slash);
        int prefix;
        try {
            prefix = Integer.parseInt(value.substring(slash + 1));
        } catch (NumberFormatException e) {
            return null;
        }
        if (!parse(addr, a)) return null;
        boolean v4 = addr.indexOf(':') < 0;
        if (!v4 && a[0] == 0 && (a[1] & 0xffff_ffff_0000_0000L) == MAPPED_V4_LO_PREFIX) return null;
        if (prefix < 0 || prefix > (v4 ? 32 : 128)) return null;
        int p = v4 ? prefix + 96 : prefix;
        // Clear host bits, as Elasticsearch does for CIDR queries.
        long hi = a[0], lo = a[1];
        if (p <= 64) {
            hi = p == 0 ? 0 : hi & (-1L << (64 - p));
            lo = 0;
        } else if (p < 128) {
            lo = lo & (-1L << (128 - p));
        }
        return new Block(hi, lo, p);
    }

    /** Unsigned 128-bit comparison, for ranges on ip fields. */
    public static int compare(long hi1, long lo1, long hi2, long lo2) {
        int c = Long.compareUnsigned(hi1, hi2);
        return c != 0 ? c : Long.compareUnsigned(lo1, lo2);
    }
}

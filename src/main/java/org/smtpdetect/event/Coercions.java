package org.smtpdetect.event;

import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.Month;
import java.time.ZoneOffset;
import java.time.chrono.IsoChronology;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;

/** Value coercions exactly as Elasticsearch applies them when it indexes a field (with coercion on). */
public final class Coercions {
    /** Sentinel meaning "Elasticsearch would reject this value" (malformed). */
    public static final class Malformed extends Exception {
        private Malformed() {
            super(null, null, false, false);
        }
    }

    static final Malformed MALFORMED = new Malformed();

    private static final BigDecimal LONG_MAX_PLUS_ONE = BigDecimal.valueOf(Long.MAX_VALUE).add(BigDecimal.ONE);
    private static final BigDecimal LONG_MIN_MINUS_ONE = BigDecimal.valueOf(Long.MIN_VALUE).subtract(BigDecimal.ONE);

    private Coercions() {}

    /**
     * A {@code long} field's string value: {@code Long.parseLong}, else a decimal truncated toward zero
     * ({@code "25.9"}, {@code "2.5e1"}), as Elasticsearch's {@code toLong(text, coerce=true)}.
     */
    public static long longFromString(CharSequence s) throws Malformed {
        try {
            return Long.parseLong(s, 0, s.length(), 10);
        } catch (NumberFormatException ignored) {
            // fall through to the decimal path
        }
        try {
            BigDecimal d = new BigDecimal(s.toString());
            if (d.compareTo(LONG_MAX_PLUS_ONE) >= 0 || d.compareTo(LONG_MIN_MINUS_ONE) <= 0) throw MALFORMED;
            return d.toBigInteger().longValue();
        } catch (NumberFormatException | ArithmeticException e) {
            throw MALFORMED;
        }
    }

    /** A {@code long} field's JSON floating-point value: truncated, rejected outside the long range. */
    public static long longFromDouble(double d) throws Malformed {
        if (Double.isNaN(d) || d >= 0x1p63 || d < -0x1p63) throw MALFORMED;
        return (long) d;
    }

    /**
     * A {@code double} field's string value as Elasticsearch parses it: Java's {@code Double.parseDouble}, so
     * surrounding whitespace, an {@code f}/{@code d} suffix and hex floats ({@code 0x1p3}) are accepted, and only
     * finite values (observed on 7.17 and 8.19: {@code "24 "}, {@code "24d"}, {@code ".5"} index; {@code "0x10"},
     * {@code "1_000"}, {@code "NaN"}, {@code " "} are rejected).
     */
    public static double doubleFromString(String s) throws Malformed {
        try {
            double d = Double.parseDouble(s);
            if (!Double.isFinite(d)) throw MALFORMED;
            return d;
        } catch (NumberFormatException e) {
            throw MALFORMED;
        }
    }

    /** A {@code float} field's string value: as {@link #doubleFromString} with float range ({@code "1e39"} is malformed). */
    public static float floatFromString(String s) throws Malformed {
        try {
            float f = Float.parseFloat(s);
            if (!Float.isFinite(f)) throw MALFORMED;
            return f;
        } catch (NumberFormatException e) {
            throw MALFORMED;
        }
    }

    /** {@code strict_date_optional_time}: date, optional time with fraction, optional offset (UTC if absent). */
    private static final DateTimeFormatter STRICT_DATE_OPTIONAL_TIME = new DateTimeFormatterBuilder()
            .appendValue(ChronoField.YEAR, 4)
            .optionalStart().appendLiteral('-').appendValue(ChronoField.MONTH_OF_YEAR, 2)
            .optionalStart().appendLiteral('-').appendValue(ChronoField.DAY_OF_MONTH, 2)
            .optionalStart().appendLiteral('T')
            .optionalStart().appendValue(ChronoField.HOUR_OF_DAY, 2)
            .optionalStart().appendLiteral(':').appendValue(ChronoField.MINUTE_OF_HOUR, 2)
            .optionalStart().appendLiteral(':').appendValue(ChronoField.SECOND_OF_MINUTE, 2)
            .optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true).optionalEnd()
            .optionalStart().appendLiteral(',').appendValue(ChronoField.NANO_OF_SECOND, 1).optionalEnd()
            .optionalEnd().optionalEnd().optionalEnd()
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalEnd().optionalEnd().optionalEnd()
            .toFormatter().withResolverStyle(ResolverStyle.STRICT)
            .withChronology(java.time.chrono.IsoChronology.INSTANCE);

    /**
     * A {@code date} field's string value in epoch milliseconds, with Elasticsearch's default format
     * {@code strict_date_optional_time||epoch_millis}.
     */
    public static long dateFromString(CharSequence s) throws Malformed {
        if (s.length() > 0 && isEpochMillis(s)) {
            try {
                return Long.parseLong(s, 0, s.length(), 10);
            } catch (NumberFormatException e) {
                throw MALFORMED;
            }
        }
        long millis = isoDateTimeUtc(s);
        return millis != NOT_SIMPLE ? millis : dateWithFormatter(s.toString());
    }

    /** Result of {@link #isoDateTimeUtc} for text it leaves to the formatter. */
    static final long NOT_SIMPLE = Long.MIN_VALUE;

    /**
     * The common spelling without the formatter: exactly {@code yyyy-MM-ddTHH:mm:ss}, an optional fraction of 1
     * to 9 digits and an optional {@code Z}, with every field in range. {@link #NOT_SIMPLE} for any other text,
     * valid or not, which {@link #dateWithFormatter} then decides; on the texts it accepts it gives the
     * formatter's result.
     */
    static long isoDateTimeUtc(CharSequence s) {
        int n = s.length();
        if (n < 19 || n > 30 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != 'T'
                || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return NOT_SIMPLE;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = digits(s, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59) {
            return NOT_SIMPLE;
        }
        if (day > 28 && day > Month.of(month).length(IsoChronology.INSTANCE.isLeapYear(year))) {
            return NOT_SIMPLE;
        }
        int i = 19;
        int nano = 0;
        if (i < n && s.charAt(i) == '.') {
            int start = ++i;
            while (i < n && i - start < 9 && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                nano = nano * 10 + (s.charAt(i) - '0');
                i++;
            }
            if (i == start) return NOT_SIMPLE;
            for (int k = i - start; k < 9; k++) nano *= 10;
        }
        if (i < n && s.charAt(i) == 'Z') i++;
        if (i != n) return NOT_SIMPLE;
        long seconds = epochDay(year, month, day) * 86_400L + hour * 3_600L + minute * 60L + second;
        return seconds * 1000 + nano / 1_000_000;
    }

    /** Days since 1970-01-01 of a valid proleptic Gregorian date (as {@code LocalDate.toEpochDay}, without the object). */
    static long epochDay(int year, int month, int day) {
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yearOfEra = y - era * 400;
        long dayOfYear = (153L * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
        long dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
        return era * 146_097 + dayOfEra - 719_468;
    }

    /** The value of {@code length} ASCII digits at {@code from}, or -1. */
    private static int digits(CharSequence s, int from, int length) {
        int v = 0;
        for (int i = from; i < from + length; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') return -1;
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** {@link #dateFromString} through the formatter only: the reference for any spelling but epoch millis. */
    static long dateWithFormatter(String s) throws Malformed {
        try {
            TemporalAccessor t = STRICT_DATE_OPTIONAL_TIME.parse(s);
            int year = t.get(ChronoField.YEAR);
            int month = t.isSupported(ChronoField.MONTH_OF_YEAR) ? t.get(ChronoField.MONTH_OF_YEAR) : 1;
            int day = t.isSupported(ChronoField.DAY_OF_MONTH) ? t.get(ChronoField.DAY_OF_MONTH) : 1;
            int hour = t.isSupported(ChronoField.HOUR_OF_DAY) ? t.get(ChronoField.HOUR_OF_DAY) : 0;
            int minute = t.isSupported(ChronoField.MINUTE_OF_HOUR) ? t.get(ChronoField.MINUTE_OF_HOUR) : 0;
            int second = t.isSupported(ChronoField.SECOND_OF_MINUTE) ? t.get(ChronoField.SECOND_OF_MINUTE) : 0;
            int nano = t.isSupported(ChronoField.NANO_OF_SECOND) ? t.get(ChronoField.NANO_OF_SECOND) : 0;
            int offset = t.isSupported(ChronoField.OFFSET_SECONDS) ? t.get(ChronoField.OFFSET_SECONDS) : 0;
            return LocalDate.of(year, month, day).atTime(LocalTime.of(hour, minute, second, nano))
                    .toInstant(ZoneOffset.ofTotalSeconds(offset)).toEpochMilli();
        } catch (DateTimeException | ArithmeticException e) {
            throw MALFORMED;
        }
    }

    private static boolean isEpochMillis(CharSequence s) {
        int start = s.charAt(0) == '-' ? 1 : 0;
        if (start == s.length()) return false;
        for (int i = start; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        }
        // A bare four-digit year is a date in Elasticsearch's default format before it is epoch_millis.
        return !(start == 0 && s.length() == 4);
    }

    /** A {@code boolean} field's string value: only "true", "false" (and "" as missing, handled by the caller). */
    public static boolean booleanFromString(CharSequence s) throws Malformed {
        if ("true".contentEquals(s)) return true;
        if ("false".contentEquals(s)) return false;
        throw MALFORMED;
    }
}

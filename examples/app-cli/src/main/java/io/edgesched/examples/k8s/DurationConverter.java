package io.edgesched.examples.k8s;

import java.time.Duration;
import java.util.Locale;
import picocli.CommandLine;

/** Parses "500ms", "10s", "5m", "1h", "0" or ISO-8601 ("PT10S") into a {@link Duration}. */
public final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        return parse(value);
    }

    /** The duration; negative ones are refused (no option of ours means anything by them). */
    public static Duration parse(String value) {
        Duration d = parseAny(value);
        if (d.isNegative()) {
            throw new CommandLine.TypeConversionException("'" + value + "' is negative; use e.g. 500ms, 10s or 5m");
        }
        return d;
    }

    private static Duration parseAny(String value) {
        String v = value.trim().toLowerCase(Locale.ROOT);
        try {
            if (v.startsWith("pt") || v.startsWith("p")) {
                return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
            }
            if (v.equals("0")) {
                return Duration.ZERO;
            }
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            long n = Long.parseLong(v.substring(0, v.length() - 1));
            return switch (v.charAt(v.length() - 1)) {
                case 's' -> Duration.ofSeconds(n);
                case 'm' -> Duration.ofMinutes(n);
                case 'h' -> Duration.ofHours(n);
                default -> throw new NumberFormatException();
            };
        } catch (RuntimeException e) {
            throw new CommandLine.TypeConversionException("'" + value
                    + "' is not a duration; use e.g. 500ms, 10s, 5m, 1h or PT10S");
        }
    }
}

package io.edgesched.examples.k8s;

import java.time.Duration;
import picocli.CommandLine;

/** A {@link DurationConverter} for intervals and timeouts, where 0 would mean "never" or "spin": must be positive. */
public final class PositiveDurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
        Duration d = DurationConverter.parse(value);
        if (d.isZero()) {
            throw new CommandLine.TypeConversionException("'" + value + "' must be longer than 0; use e.g. 500ms, 10s or 5m");
        }
        return d;
    }
}

package io.edgesched.api.demand;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link DemandStore} turns counters into rates and how much it remembers.
 *
 * @param halfLife              rates decay with this half-life (older traffic counts half as much per half-life)
 * @param metric                which counter is demand
 * @param maxClientsPerWorkload top-N: at most this many client aggregates per workload; the rest is folded
 *                              into one "other clients" aggregate per (workload, entry node) so no demand is lost
 * @param maxAggregates         hard cap on all aggregates together; beyond it new clients go to "other" directly
 * @param ipv4PrefixBits        clients are aggregated to this IPv4 prefix (32 = per address, 24 = per /24)
 * @param ipv6PrefixBits        the same for IPv6 (128 = per address, 56 = per /56)
 * @param staleAfter            an aggregate not seen for this long and with a negligible rate is dropped
 * @param rttSmoothing          weight of a new RTT value in the exponential moving average ({@code 0 < a <= 1})
 * @param handoff               when a client's demand moves to its new entry node at once ({@link HandoffRule})
 */
public record DemandConfig(Duration halfLife, DemandMetric metric, int maxClientsPerWorkload, int maxAggregates,
                           int ipv4PrefixBits, int ipv6PrefixBits, Duration staleAfter, double rttSmoothing,
                           HandoffRule handoff) {
    public DemandConfig {
        Objects.requireNonNull(halfLife, "halfLife");
        Objects.requireNonNull(metric, "metric");
        Objects.requireNonNull(staleAfter, "staleAfter");
        Objects.requireNonNull(handoff, "handoff");
        if (halfLife.isNegative() || halfLife.isZero()) {
            throw new IllegalArgumentException("halfLife must be positive, got " + halfLife);
        }
        if (maxClientsPerWorkload < 1 || maxAggregates < 1) {
            throw new IllegalArgumentException("maxClientsPerWorkload and maxAggregates must be >= 1");
        }
        if (ipv4PrefixBits < 0 || ipv4PrefixBits > 32) {
            throw new IllegalArgumentException("ipv4PrefixBits must be 0..32, got " + ipv4PrefixBits);
        }
        if (ipv6PrefixBits < 0 || ipv6PrefixBits > 128) {
            throw new IllegalArgumentException("ipv6PrefixBits must be 0..128, got " + ipv6PrefixBits);
        }
        if (!(rttSmoothing > 0 && rttSmoothing <= 1)) {
            throw new IllegalArgumentException("rttSmoothing must be in (0, 1], got " + rttSmoothing);
        }
    }

    /**
     * 60 s half-life, packets, 1000 clients per workload, 2M aggregates, no prefix aggregation, 10 min staleness,
     * handoff after two reads within 60 s.
     */
    public static DemandConfig defaults() {
        return new DemandConfig(Duration.ofSeconds(60), DemandMetric.PACKETS, 1000, 2_000_000, 32, 128,
                Duration.ofMinutes(10), 0.3, HandoffRule.defaults());
    }

    public DemandConfig withHalfLife(Duration d) {
        return new DemandConfig(d, metric, maxClientsPerWorkload, maxAggregates, ipv4PrefixBits, ipv6PrefixBits, staleAfter, rttSmoothing, handoff);
    }

    public DemandConfig withMetric(DemandMetric m) {
        return new DemandConfig(halfLife, m, maxClientsPerWorkload, maxAggregates, ipv4PrefixBits, ipv6PrefixBits, staleAfter, rttSmoothing, handoff);
    }

    public DemandConfig withMaxClientsPerWorkload(int n) {
        return new DemandConfig(halfLife, metric, n, maxAggregates, ipv4PrefixBits, ipv6PrefixBits, staleAfter, rttSmoothing, handoff);
    }

    public DemandConfig withMaxAggregates(int n) {
        return new DemandConfig(halfLife, metric, maxClientsPerWorkload, n, ipv4PrefixBits, ipv6PrefixBits, staleAfter, rttSmoothing, handoff);
    }

    /** Aggregate clients to prefixes (also a privacy option: single addresses are never stored). */
    public DemandConfig withPrefixes(int ipv4Bits, int ipv6Bits) {
        return new DemandConfig(halfLife, metric, maxClientsPerWorkload, maxAggregates, ipv4Bits, ipv6Bits, staleAfter, rttSmoothing, handoff);
    }

    public DemandConfig withStaleAfter(Duration d) {
        return new DemandConfig(halfLife, metric, maxClientsPerWorkload, maxAggregates, ipv4PrefixBits, ipv6PrefixBits, d, rttSmoothing, handoff);
    }

    public DemandConfig withRttSmoothing(double a) {
        return new DemandConfig(halfLife, metric, maxClientsPerWorkload, maxAggregates, ipv4PrefixBits, ipv6PrefixBits, staleAfter, a, handoff);
    }

    public DemandConfig withHandoff(HandoffRule rule) {
        return new DemandConfig(halfLife, metric, maxClientsPerWorkload, maxAggregates, ipv4PrefixBits, ipv6PrefixBits, staleAfter, rttSmoothing, rule);
    }
}

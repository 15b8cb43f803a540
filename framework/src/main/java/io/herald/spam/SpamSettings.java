package io.herald.spam;

import io.herald.api.config.Configuration;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The spam chain's settings, configuration pid {@code spam} ({@code conf/spam.cfg}).
 *
 * <pre>
 * # enabled = true
 * # junk = 5.0                  score at or above which the message goes to the recipient's Junk folder
 * # reject = 15.0               score at or above which the message is refused at the end of DATA (550 5.7.1)
 * # submission.junk = 5.0       the same two for authenticated clients (submission); default: junk
 * # submission.reject = 15.0    default: reject
 * # trusted.relays =            IPs/CIDRs whose X-Spam-Status this hop believes, e.g. 10.0.0.0/8, 2001:db8::/32
 * # filter.timeout = 10s        longest a filter may take; one that takes longer is skipped (fail open)
 * # threads = 4                 filters running at once, across all sessions
 * # queue = 64                  checks waiting for a thread; beyond that filters are skipped (fail open)
 * </pre>
 */
public record SpamSettings(boolean enabled, Thresholds mta, Thresholds submission, IpRanges trustedRelays,
                           Duration filterTimeout, int threads, int queue) {

    /** @param junk score from which a message is junk; @param reject score from which it is refused */
    public record Thresholds(double junk, double reject) { }

    public static final String PID = "spam";

    public static SpamSettings defaults() {
        return new SpamSettings(true, new Thresholds(5.0, 15.0), new Thresholds(5.0, 15.0), IpRanges.NONE,
                Duration.ofSeconds(10), 4, 64);
    }

    /** Reads and checks the settings; a wrong value is refused with the file, key, value and what is allowed. */
    public static SpamSettings from(Configuration c) {
        double junk = getDouble(c, "junk", 5.0);
        double reject = getDouble(c, "reject", 15.0);
        if (reject < junk) throw c.invalid("reject", c.get("reject", String.valueOf(reject)), "a score not below junk (" + junk + ")");
        double sJunk = getDouble(c, "submission.junk", junk);
        double sReject = getDouble(c, "submission.reject", reject);
        if (sReject < sJunk) throw c.invalid("submission.reject", String.valueOf(sReject), "a score not below submission.junk (" + sJunk + ")");
        IpRanges trusted;
        try {
            trusted = IpRanges.parse(c.getList("trusted.relays", List.of()));
        } catch (IllegalArgumentException e) {
            throw c.invalid("trusted.relays", e.getMessage(), "a comma-separated list of IP addresses and CIDR ranges (no host names)");
        }
        Duration timeout = c.getDuration("filter.timeout", Duration.ofSeconds(10));
        if (timeout.isZero() || timeout.isNegative()) throw c.invalid("filter.timeout", c.get("filter.timeout", ""), "a positive duration");
        return new SpamSettings(c.getBoolean("enabled", true), new Thresholds(junk, reject), new Thresholds(sJunk, sReject),
                trusted, timeout, c.getInt("threads", 4, 1, 256), c.getInt("queue", 64, 0, 100_000));
    }

    private static double getDouble(Configuration c, String key, double def) {
        Optional<String> v = c.get(key);
        if (v.isEmpty()) return def;
        try {
            double d = Double.parseDouble(v.get());
            if (!Double.isFinite(d)) throw new NumberFormatException();
            return d;
        } catch (NumberFormatException e) {
            throw c.invalid(key, v.get(), "a decimal number such as 5.0");
        }
    }
}

package io.herald.plugin.spamassassin;

import io.herald.api.config.Configuration;
import io.herald.api.plugin.PluginContext;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamVerdict;
import io.herald.api.spam.SpamVerdict.Reason;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Asks a SpamAssassin {@code spamd} for its verdict on each message and contributes SpamAssassin's score
 * (times {@code weight}) to the chain. Each rule that hit with non-zero points becomes a reason {@code SA_<RULE>}
 * (with {@code command = SYMBOLS}, which gives names without points, one reason {@code SPAMASSASSIN} carries the
 * whole score and lists the rules).
 *
 * <p>Configuration ({@code conf/spam-spamassassin.cfg}); off by default because it needs a running spamd:
 * <pre>
 * # enabled = false
 * # host = 127.0.0.1
 * # port = 783
 * # timeout = 10s          connect and answer; past it the filter is skipped (fail open)
 * # max.size = 512000      octets; larger messages are not sent and get no opinion (as spamc's -s default)
 * # user =                 the spamd user whose preferences apply (User: header); empty: spamd's own default
 * # command = REPORT       REPORT (per-rule points) or SYMBOLS (rule names only)
 * # weight = 1.0           SpamAssassin's score is multiplied by this before it is added to the chain's
 * </pre>
 *
 * <p>Failure policy: fail open. A refused connection, a time-out or a reply that does not parse throws, so the
 * chain skips this filter for the message and names it in {@code skipped=}; mail is never lost or held.
 */
@Singleton
public final class SpamAssassinFilter implements SpamFilter {

    private final boolean enabled;
    private final SpamdClient client;
    private final Duration timeout;
    private final long maxSize;
    private final SpamdClient.Command command;
    private final double weight;

    @Inject
    public SpamAssassinFilter(PluginContext context) {
        this(context.config());
    }

    public SpamAssassinFilter(Configuration c) {
        this.enabled = c.getBoolean("enabled", false);
        String host = c.get("host", "127.0.0.1");
        int port = c.getInt("port", 783, 1, 65535);
        this.timeout = c.getDuration("timeout", Duration.ofSeconds(10));
        if (timeout.isZero() || timeout.isNegative()) throw c.invalid("timeout", c.get("timeout", ""), "a positive duration");
        this.maxSize = c.getLong("max.size", 512_000, 1, Long.MAX_VALUE);
        String cmd = c.get("command", "REPORT").toUpperCase(Locale.ROOT);
        try {
            this.command = SpamdClient.Command.valueOf(cmd);
        } catch (IllegalArgumentException e) {
            throw c.invalid("command", cmd, "REPORT or SYMBOLS");
        }
        String w = c.get("weight", "1.0");
        try {
            this.weight = Double.parseDouble(w);
            if (!Double.isFinite(weight)) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            throw c.invalid("weight", w, "a decimal number such as 1.0");
        }
        Optional<String> user = c.get("user");
        if (user.isPresent() && user.get().chars().anyMatch(ch -> ch <= ' ' || ch >= 127))
            throw c.invalid("user", user.get(), "a user name without spaces or control characters");
        this.client = new SpamdClient(host, port, timeout, user);
    }

    @Override
    public String name() {
        return "spamassassin";
    }

    @Override
    public Optional<Duration> timeLimit() {
        return Optional.of(timeout.plusSeconds(1)); // the socket's own limits fire first, with a precise message
    }

    @Override
    public SpamVerdict score(SpamCheck check) throws IOException {
        if (!enabled) return SpamVerdict.NONE;
        if (check.message().size() > maxSize) return SpamVerdict.NONE; // as spamc: big messages are not scanned
        SpamdClient.Result r = client.check(command, check.message());
        return verdict(r, weight);
    }

    /** The chain's view of spamd's result. */
    static SpamVerdict verdict(SpamdClient.Result r, double weight) {
        double total = r.score() * weight;
        List<Reason> reasons = new ArrayList<>();
        boolean withPoints = !r.rules().isEmpty() && r.rules().stream().noneMatch(x -> Double.isNaN(x.points()));
        if (withPoints) {
            for (SpamdClient.Rule rule : r.rules()) {
                if (rule.points() == 0.0) continue; // informational rules: listed by spamd, no share of the score
                String d = rule.description().isEmpty() ? "SpamAssassin rule " + rule.name() : rule.description();
                reasons.add(new Reason(reasonName(rule.name()), rule.points() * weight, d));
            }
        }
        if (!withPoints || reasons.isEmpty() && total != 0.0) {
            StringBuilder d = new StringBuilder("SpamAssassin score ").append(r.score()).append('/').append(r.threshold());
            if (!r.rules().isEmpty()) d.append(": ").append(String.join(",", r.rules().stream().map(SpamdClient.Rule::name).toList()));
            reasons.clear();
            reasons.add(new Reason("SPAMASSASSIN", total, d.toString()));
        }
        return new SpamVerdict(total, reasons);
    }

    /** {@code SA_} and the rule name in the chain's alphabet (upper-case letters, digits, {@code _}). */
    static String reasonName(String rule) {
        return "SA_" + rule.toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9_]", "_");
    }
}

package io.herald.sasl;

import io.herald.api.config.Configuration;

import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Brute-force protection for authentication. Failed attempts are counted in a sliding {@code window} under three
 * keys, each with its own limit; reaching a limit locks that key for {@code lockout.period} (every attempt it covers
 * is refused at once, before any password is checked):
 * <ul>
 *   <li><b>the pair</b> (client address, account): after {@code lockout.after} failures that address may no longer
 *       try that account. One guesser locks itself out of one account; the real user, from anywhere else, is not
 *       affected, and neither are other users behind the guesser's address.</li>
 *   <li><b>the address</b> over all accounts: after {@code address.lockout.after} failures (default three times
 *       {@code lockout.after}) the address may try no account (a guesser walking through user names).</li>
 *   <li><b>the account</b> over all addresses: after {@code account.lockout.after} failures (default five times
 *       {@code lockout.after}) the account is locked for every address <em>except</em> the ones that logged into it
 *       successfully within {@code known.period}: distributed guessing (a botnet, a few tries per address) stops,
 *       and the real user, from an address she used before, still gets in.</li>
 * </ul>
 * Client addresses are counted as themselves, IPv6 ones by /64 (one subscriber's network).
 *
 * <p>After {@code failures.before.delay} failures (the largest of the three counts) each further failure reply is
 * delayed, twice as long each time up to {@code delay.max}. A successful login is never delayed; it clears the
 * failures of its pair (not those of its address or its account: a guesser sharing a NAT with a real user, or a
 * distributed attack, does not start again from zero because the user logged in) and remembers the address as known
 * good for the account (at most {@code known.max} addresses per account, the most recent).
 *
 * <p>Protocol layers use it like this ({@link SaslExchange} does it for SASL):
 * <ol>
 *   <li>{@link #check} before verifying a secret: {@link Verdict.Locked} → refuse now ({@code 454 4.7.0}).</li>
 *   <li>after the verification, {@link #failed} (returns the delay) or {@link #succeeded}.</li>
 *   <li>send a failure reply through {@link #after}, which schedules it: no thread sleeps, least of all an
 *       I/O thread.</li>
 * </ol>
 *
 * <p>Configuration (pid {@code auth}): {@code failures.before.delay} (3), {@code delay.initial} (1s),
 * {@code delay.max} (30s), {@code lockout.after} (10), {@code address.lockout.after} (30),
 * {@code account.lockout.after} (50), {@code lockout.period} (15m), {@code window} (15m), {@code known.period} (30d),
 * {@code known.max} (10).
 *
 * <p>State is in memory only: a restart forgets every count, lock and known-good address (so a restart lifts the
 * lock-outs, and after it an account locked by distributed guessing admits only addresses that logged in since).
 * Threading: thread-safe. Memory is bounded: at most {@code MAX_KEYS} counted keys (stale ones are dropped first) and
 * known-good addresses for at most {@code MAX_KNOWN_ACCOUNTS} accounts (the least recently used dropped first).
 */
public final class AuthThrottle {

    static final int MAX_KEYS = 100_000;
    static final int MAX_KNOWN_ACCOUNTS = 100_000;

    /**
     * The limits, from the {@code auth} configuration.
     *
     * @param lockoutAfter        failures of one (address, account) pair that lock the pair
     * @param addressLockoutAfter failures of one address, over all accounts, that lock the address
     * @param accountLockoutAfter failures of one account, over all addresses, that lock the account for every address
     *                            not known good
     * @param knownPeriod         how long a successful login's address stays known good for its account
     * @param knownMax            how many known-good addresses are kept per account (the most recent)
     */
    public record Limits(int failuresBeforeDelay, Duration initialDelay, Duration maxDelay, int lockoutAfter,
                         Duration lockoutPeriod, Duration window, int addressLockoutAfter, int accountLockoutAfter,
                         Duration knownPeriod, int knownMax) {

        public Limits {
            if (addressLockoutAfter < lockoutAfter || accountLockoutAfter < lockoutAfter) {
                throw new IllegalArgumentException("address and account limits must not be smaller than the pair's");
            }
            if (knownMax < 0) throw new IllegalArgumentException("knownMax < 0");
        }

        public static Limits defaults() {
            return new Limits(3, Duration.ofSeconds(1), Duration.ofSeconds(30), 10, Duration.ofMinutes(15), Duration.ofMinutes(15),
                    30, 50, Duration.ofDays(30), 10);
        }

        public static Limits from(Configuration c) {
            int before = c.getInt("failures.before.delay", 3, 0, 1000);
            int lockout = c.getInt("lockout.after", 10, 1, 100_000);
            if (lockout <= before) throw c.invalid("lockout.after", String.valueOf(lockout), "a number greater than failures.before.delay (" + before + ")");
            int addressLockout = c.getInt("address.lockout.after", 3 * lockout, 1, 1_000_000);
            if (addressLockout < lockout) throw c.invalid("address.lockout.after", String.valueOf(addressLockout), "a number not smaller than lockout.after (" + lockout + ")");
            int accountLockout = c.getInt("account.lockout.after", 5 * lockout, 1, 1_000_000);
            if (accountLockout < lockout) throw c.invalid("account.lockout.after", String.valueOf(accountLockout), "a number not smaller than lockout.after (" + lockout + ")");
            return new Limits(before, c.getDuration("delay.initial", Duration.ofSeconds(1)), c.getDuration("delay.max", Duration.ofSeconds(30)),
                    lockout, c.getDuration("lockout.period", Duration.ofMinutes(15)), c.getDuration("window", Duration.ofMinutes(15)),
                    addressLockout, accountLockout, c.getDuration("known.period", Duration.ofDays(30)), c.getInt("known.max", 10, 0, 1000));
        }
    }

    /** The answer of {@link #check}. */
    public sealed interface Verdict {
        record Allowed() implements Verdict { }

        /** @param remaining how long the lock-out lasts still; @param key what is locked, for the log */
        record Locked(Duration remaining, String key) implements Verdict { }
    }

    private static final Verdict.Allowed ALLOWED = new Verdict.Allowed();

    private final Limits limits;
    private final Clock clock;
    private final ScheduledExecutorService scheduler;
    private final Map<String, Counter> counters = new ConcurrentHashMap<>();
    /** account key → the addresses that logged into it, with the time of their last success. */
    private final Map<String, KnownAddresses> known = new ConcurrentHashMap<>();
    private final AtomicLong delaysApplied = new AtomicLong();
    private final AtomicLong delayedMillis = new AtomicLong();

    public AuthThrottle(Limits limits, Clock clock, ScheduledExecutorService scheduler) {
        this.limits = limits;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    public Limits limits() {
        return limits;
    }

    /**
     * Whether an attempt may go ahead: refused when the address is locked, the (address, account) pair is locked, or
     * the account is locked and the address did not log into it within {@code known.period}.
     *
     * @param address the client's address; may be null (tools)
     * @param account the account asked for, or null when not known yet (check the address alone)
     */
    public Verdict check(InetAddress address, String account) {
        Instant now = clock.instant();
        String a = address == null ? null : addressKey(address);
        String u = account == null ? null : accountKey(account);
        Verdict v = lockOf(a, now);
        if (v == ALLOWED && a != null && u != null) v = lockOf(pairKey(a, u), now);
        if (v == ALLOWED && u != null) {
            v = lockOf(u, now);
            if (v != ALLOWED && a != null && isKnown(u, a, now)) v = ALLOWED;
        }
        return v;
    }

    /** Records a failed attempt; returns how long to wait before sending the failure reply ({@link Duration#ZERO}: none). */
    public Duration failed(InetAddress address, String account) {
        Instant now = clock.instant();
        String a = address == null ? null : addressKey(address);
        String u = account == null ? null : accountKey(account);
        int worst = 0;
        if (a != null) worst = Math.max(worst, count(a, limits.addressLockoutAfter, now));
        if (a != null && u != null) worst = Math.max(worst, count(pairKey(a, u), limits.lockoutAfter, now));
        if (u != null) worst = Math.max(worst, count(u, limits.accountLockoutAfter, now));
        return delayFor(worst);
    }

    /**
     * Records a successful login: clears the failures of the (address, account) pair and remembers the address as
     * known good for the account. Never delays.
     */
    public void succeeded(InetAddress address, String account) {
        if (address == null || account == null) return;
        String a = addressKey(address);
        String u = accountKey(account);
        counters.remove(pairKey(a, u));
        if (limits.knownMax == 0) return;
        Instant now = clock.instant();
        if (!known.containsKey(u) && known.size() >= MAX_KNOWN_ACCOUNTS) pruneKnown(now);
        known.computeIfAbsent(u, k -> new KnownAddresses()).add(a, now, limits.knownMax);
    }

    /**
     * The number of failures counted now (for tests and metrics): for the pair when both are given, else for the
     * address or the account alone.
     */
    public int failures(InetAddress address, String account) {
        String key = address != null && account != null ? pairKey(addressKey(address), accountKey(account))
                : account != null ? accountKey(account) : addressKey(address);
        Counter c = counters.get(key);
        if (c == null) return 0;
        synchronized (c) {
            c.expire(clock.instant(), limits.window);
            return c.failures.size();
        }
    }

    /** Whether the address logged into the account successfully within {@code known.period} (tests, metrics). */
    public boolean isKnown(InetAddress address, String account) {
        return isKnown(accountKey(account), addressKey(address), clock.instant());
    }

    /** How many replies were delayed by {@link #after} so far (tests, metrics). */
    public long delaysApplied() {
        return delaysApplied.get();
    }

    /** The sum of those delays in milliseconds. */
    public long delayedMillis() {
        return delayedMillis.get();
    }

    /** Completes with {@code value} after {@code delay}, on the scheduler; at once when the delay is zero. */
    public <T> CompletableFuture<T> after(Duration delay, T value) {
        if (delay.isZero() || delay.isNegative()) return CompletableFuture.completedFuture(value);
        delaysApplied.incrementAndGet();
        delayedMillis.addAndGet(delay.toMillis());
        CompletableFuture<T> f = new CompletableFuture<>();
        scheduler.schedule(() -> f.complete(value), delay.toMillis(), TimeUnit.MILLISECONDS);
        return f;
    }

    Duration delayFor(int failures) {
        int over = failures - limits.failuresBeforeDelay;
        if (over <= 0) return Duration.ZERO;
        long ms = limits.initialDelay.toMillis() << Math.min(over - 1, 30);
        return Duration.ofMillis(Math.min(ms, limits.maxDelay.toMillis()));
    }

    private Verdict lockOf(String key, Instant now) {
        if (key == null) return ALLOWED;
        Counter c = counters.get(key);
        if (c == null) return ALLOWED;
        synchronized (c) {
            if (c.lockedUntil != null && now.isBefore(c.lockedUntil)) {
                return new Verdict.Locked(Duration.between(now, c.lockedUntil), key);
            }
        }
        return ALLOWED;
    }

    /** Counts one failure under {@code key}; locks it at {@code limit}. Returns the count (before a lock cleared it). */
    private int count(String key, int limit, Instant now) {
        if (counters.size() >= MAX_KEYS) prune(now);
        Counter c = counters.computeIfAbsent(key, k -> new Counter());
        synchronized (c) {
            c.expire(now, limits.window);
            c.failures.addLast(now);
            int n = c.failures.size();
            if (n >= limit) {
                c.lockedUntil = now.plus(limits.lockoutPeriod);
                c.failures.clear();
            }
            return n;
        }
    }

    private boolean isKnown(String accountKey, String addressKey, Instant now) {
        KnownAddresses k = known.get(accountKey);
        return k != null && k.contains(addressKey, now.minus(limits.knownPeriod));
    }

    private void prune(Instant now) {
        counters.entrySet().removeIf(e -> {
            Counter c = e.getValue();
            synchronized (c) {
                c.expire(now, limits.window);
                return c.failures.isEmpty() && (c.lockedUntil == null || !now.isBefore(c.lockedUntil));
            }
        });
        if (counters.size() >= MAX_KEYS) counters.clear(); // a flood of distinct keys: forget rather than grow
    }

    /** Drops expired known-good addresses; if still full, the tenth of the accounts whose last success is oldest. */
    private synchronized void pruneKnown(Instant now) {
        if (known.size() < MAX_KNOWN_ACCOUNTS) return;
        Instant oldest = now.minus(limits.knownPeriod);
        known.entrySet().removeIf(e -> e.getValue().expire(oldest));
        if (known.size() < MAX_KNOWN_ACCOUNTS) return;
        List<Map.Entry<String, Instant>> byLast = known.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue().last()))
                .sorted(Map.Entry.comparingByValue(Comparator.naturalOrder()))
                .toList();
        for (int i = 0; i < Math.max(1, byLast.size() / 10); i++) known.remove(byLast.get(i).getKey());
    }

    /** The key a client address is counted under: the address itself, or for IPv6 its /64 (one subscriber's network). */
    public static String addressKey(InetAddress a) {
        return io.herald.api.protocol.ConnectionLimits.addressKey(a);
    }

    static String accountKey(String account) {
        return "user:" + account.toLowerCase(Locale.ROOT);
    }

    private static String pairKey(String addressKey, String accountKey) {
        return "pair:" + addressKey + "|" + accountKey;
    }

    private static final class Counter {
        final ArrayDeque<Instant> failures = new ArrayDeque<>();
        Instant lockedUntil;

        void expire(Instant now, Duration window) {
            Instant oldest = now.minus(window);
            while (!failures.isEmpty() && !failures.peekFirst().isAfter(oldest)) failures.removeFirst();
            if (lockedUntil != null && !now.isBefore(lockedUntil)) lockedUntil = null;
        }
    }

    /** The known-good addresses of one account, least recently successful first. Guarded by itself. */
    private static final class KnownAddresses {
        private final LinkedHashMap<String, Instant> lastSuccess = new LinkedHashMap<>();

        synchronized void add(String addressKey, Instant now, int max) {
            lastSuccess.remove(addressKey);
            lastSuccess.put(addressKey, now);
            Iterator<String> it = lastSuccess.keySet().iterator();
            while (lastSuccess.size() > max) {
                it.next();
                it.remove();
            }
        }

        synchronized boolean contains(String addressKey, Instant notBefore) {
            Instant t = lastSuccess.get(addressKey);
            return t != null && t.isAfter(notBefore);
        }

        /** Drops the addresses older than {@code notAfter}; true when none is left. */
        synchronized boolean expire(Instant notAfter) {
            lastSuccess.values().removeIf(t -> !t.isAfter(notAfter));
            return lastSuccess.isEmpty();
        }

        synchronized Instant last() {
            Instant last = Instant.MIN;
            for (Instant t : lastSuccess.values()) if (t.isAfter(last)) last = t;
            return last;
        }
    }
}

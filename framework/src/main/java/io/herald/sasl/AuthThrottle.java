package io.herald.sasl;

import io.herald.api.config.Configuration;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Brute-force protection for authentication: failed attempts are counted per client address (IPv6 by /64) and
 * per account, in a sliding window. After {@code failures.before.delay} failures each further failure reply is
 * delayed, twice as long each time up to {@code delay.max}; after {@code lockout.after} failures the address or
 * account is locked out for {@code lockout.period}: every attempt is refused at once, before any password is
 * checked. An account is locked after {@code lockout.after} failures, an address after {@code address.lockout.after}
 * (default three times as many): one client guessing one account locks that account, and other users behind the
 * same address (a NAT, a shared webmail host) can still log in until the address itself looks like an attack. A successful login is never delayed, and clears its account's failures (not its address's).
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
 * {@code delay.max} (30s), {@code lockout.after} (10), {@code address.lockout.after} (30), {@code lockout.period} (15m),
 * {@code window} (15m).
 * Threading: thread-safe. Memory is bounded: at most {@code MAX_KEYS} tracked keys; stale ones are dropped first.
 */
public final class AuthThrottle {

    static final int MAX_KEYS = 100_000;

    /** The limits, from the {@code auth} configuration. */
    public record Limits(int failuresBeforeDelay, Duration initialDelay, Duration maxDelay, int lockoutAfter,
                         Duration lockoutPeriod, Duration window, int addressLockoutAfter) {
        /** With the address locked out at the same count as an account (the original behaviour). */
        public Limits(int failuresBeforeDelay, Duration initialDelay, Duration maxDelay, int lockoutAfter,
                      Duration lockoutPeriod, Duration window) {
            this(failuresBeforeDelay, initialDelay, maxDelay, lockoutAfter, lockoutPeriod, window, lockoutAfter);
        }

        public static Limits defaults() {
            return new Limits(3, Duration.ofSeconds(1), Duration.ofSeconds(30), 10, Duration.ofMinutes(15), Duration.ofMinutes(15), 30);
        }

        public static Limits from(Configuration c) {
            int before = c.getInt("failures.before.delay", 3, 0, 1000);
            int lockout = c.getInt("lockout.after", 10, 1, 100_000);
            if (lockout <= before) throw c.invalid("lockout.after", String.valueOf(lockout), "a number greater than failures.before.delay (" + before + ")");
            int addressLockout = c.getInt("address.lockout.after", 3 * lockout, 1, 1_000_000);
            if (addressLockout < lockout) throw c.invalid("address.lockout.after", String.valueOf(addressLockout), "a number not smaller than lockout.after (" + lockout + ")");
            return new Limits(before, c.getDuration("delay.initial", Duration.ofSeconds(1)), c.getDuration("delay.max", Duration.ofSeconds(30)),
                    lockout, c.getDuration("lockout.period", Duration.ofMinutes(15)), c.getDuration("window", Duration.ofMinutes(15)), addressLockout);
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
    private final java.util.concurrent.atomic.AtomicLong delaysApplied = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong delayedMillis = new java.util.concurrent.atomic.AtomicLong();

    public AuthThrottle(Limits limits, Clock clock, ScheduledExecutorService scheduler) {
        this.limits = limits;
        this.clock = clock;
        this.scheduler = scheduler;
    }

    public Limits limits() {
        return limits;
    }

    /**
     * Whether an attempt may go ahead.
     *
     * @param address the client's address; may be null (tools)
     * @param account the account asked for, or null when not known yet (check the address alone)
     */
    public Verdict check(InetAddress address, String account) {
        Instant now = clock.instant();
        for (String key : keys(address, account)) {
            if (key == null) continue;
            Counter c = counters.get(key);
            if (c == null) continue;
            synchronized (c) {
                if (c.lockedUntil != null && now.isBefore(c.lockedUntil)) {
                    return new Verdict.Locked(Duration.between(now, c.lockedUntil), key);
                }
            }
        }
        return ALLOWED;
    }

    /** Records a failed attempt; returns how long to wait before sending the failure reply ({@link Duration#ZERO}: none). */
    public Duration failed(InetAddress address, String account) {
        Instant now = clock.instant();
        int worst = 0;
        for (String key : keys(address, account)) {
            if (key == null) continue;
            if (counters.size() >= MAX_KEYS) prune(now);
            Counter c = counters.computeIfAbsent(key, k -> new Counter());
            synchronized (c) {
                c.expire(now, limits.window);
                c.failures.addLast(now);
                int n = c.failures.size();
                if (n >= (key.startsWith("user:") ? limits.lockoutAfter : limits.addressLockoutAfter)) {
                    c.lockedUntil = now.plus(limits.lockoutPeriod);
                    c.failures.clear();
                }
                worst = Math.max(worst, n);
            }
        }
        return delayFor(worst);
    }

    /** Records a successful login: clears the account's failures. Never delays. */
    public void succeeded(InetAddress address, String account) {
        if (account != null) counters.remove(accountKey(account));
    }

    /** The number of failures counted now for the address (or the account, if given): for tests and metrics. */
    public int failures(InetAddress address, String account) {
        Counter c = counters.get(account != null ? accountKey(account) : addressKey(address));
        if (c == null) return 0;
        synchronized (c) {
            c.expire(clock.instant(), limits.window);
            return c.failures.size();
        }
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

    private static String[] keys(InetAddress address, String account) {
        return new String[] {address == null ? null : addressKey(address), account == null ? null : accountKey(account)};
    }

    /** The key a client address is counted under: the address itself, or for IPv6 its /64 (one subscriber's network). */
    public static String addressKey(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address) {
            StringBuilder s = new StringBuilder("ip6:");
            for (int i = 0; i < 8; i++) s.append(String.format("%02x", b[i] & 0xff));
            return s.append("/64").toString();
        }
        return "ip:" + a.getHostAddress();
    }

    static String accountKey(String account) {
        return "user:" + account.toLowerCase(Locale.ROOT);
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
}

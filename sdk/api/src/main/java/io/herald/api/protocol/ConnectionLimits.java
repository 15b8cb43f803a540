package io.herald.api.protocol;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.HexFormat;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntSupplier;

/**
 * Connection limits for a plugin's listeners, with the semantics of the SMTP core's {@code maxSessions} and
 * {@code maxConnectionsPerAddress}: at most {@code maxSessions} connections at once in total, and at most
 * {@code maxPerAddress} from one client address (an IPv6 client counts by its /64, one subscriber's network). Share
 * one instance between the listeners that should count together (a plain and an implicit-TLS port of one protocol).
 *
 * <p>Call {@link #admit} when a connection opens; when it is {@link Admitted}, call {@link Admitted#close()} when the
 * connection closes (more than once is harmless), so that the address may connect again. A {@link Refused}
 * connection was not counted: answer it with the protocol's "try again later" and close it.
 *
 * <p><b>Threading.</b> Thread-safe and lock-free; no I/O.
 *
 * @since 1.2
 */
public final class ConnectionLimits {

    private final IntSupplier maxSessions;
    private final IntSupplier maxPerAddress;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final ConcurrentHashMap<String, Integer> perAddress = new ConcurrentHashMap<>();

    /** @throws IllegalArgumentException when a limit is below 1 */
    public ConnectionLimits(int maxSessions, int maxPerAddress) {
        this(() -> maxSessions, () -> maxPerAddress);
        if (maxSessions < 1 || maxPerAddress < 1) throw new IllegalArgumentException("limits must be at least 1");
    }

    /**
     * Limits read at each {@link #admit}, for a listener whose settings change while it runs (the SMTP core's
     * reconfiguration): a lower limit refuses new connections until enough of those open have closed.
     */
    public ConnectionLimits(IntSupplier maxSessions, IntSupplier maxPerAddress) {
        this.maxSessions = maxSessions;
        this.maxPerAddress = maxPerAddress;
    }

    /** Why a connection was refused. */
    public enum Reason {
        /** {@code maxSessions} connections are open. */
        TOO_MANY_SESSIONS,
        /** {@code maxConnectionsPerAddress} connections from this client's address are open. */
        TOO_MANY_FROM_ADDRESS
    }

    /** The outcome of {@link #admit}. */
    public sealed interface Admission permits Admitted, Refused { }

    /** Refused, not counted. */
    public record Refused(Reason reason) implements Admission { }

    /** Counted; {@link #close()} releases it once. */
    public final class Admitted implements Admission, AutoCloseable {
        private final String key;
        private final AtomicBoolean released = new AtomicBoolean();

        private Admitted(String key) {
            this.key = key;
        }

        @Override
        public void close() {
            if (released.compareAndSet(false, true)) release(key);
        }
    }

    /**
     * Counts a new connection from {@code address} (null when unknown: counted under one shared key) against the
     * limits.
     */
    public Admission admit(InetAddress address) {
        if (open.incrementAndGet() > maxSessions.getAsInt()) {
            open.decrementAndGet();
            refused.incrementAndGet();
            return new Refused(Reason.TOO_MANY_SESSIONS);
        }
        String key = address == null ? "unknown" : addressKey(address);
        if (perAddress.merge(key, 1, Integer::sum) > maxPerAddress.getAsInt()) {
            release(key);
            refused.incrementAndGet();
            return new Refused(Reason.TOO_MANY_FROM_ADDRESS);
        }
        return new Admitted(key);
    }

    private void release(String key) {
        perAddress.computeIfPresent(key, (k, n) -> n <= 1 ? null : n - 1);
        open.decrementAndGet();
    }

    /** Connections counted now. */
    public int open() {
        return open.get();
    }

    /** Connections counted now from {@code address} (its /64 for IPv6). */
    public int openFrom(InetAddress address) {
        return perAddress.getOrDefault(addressKey(address), 0);
    }

    /** Connections refused so far. */
    public long refused() {
        return refused.get();
    }

    /** Addresses with a connection counted now (for tests: 0 once every connection closed, nothing leaks). */
    public int addresses() {
        return perAddress.size();
    }

    /**
     * The key a client address is counted under: the address itself, or for IPv6 its /64 (one subscriber's network).
     * The core's login throttle counts addresses the same way.
     */
    public static String addressKey(InetAddress a) {
        byte[] b = a.getAddress();
        if (a instanceof Inet6Address) {
            return "ip6:" + HexFormat.of().formatHex(b, 0, 8) + "/64";
        }
        return "ip:" + a.getHostAddress();
    }
}

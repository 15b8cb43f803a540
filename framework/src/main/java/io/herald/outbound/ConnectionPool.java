package io.herald.outbound;

import io.herald.api.routing.Route;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Open connections by destination, and the limit on connections per destination (address and port).
 *
 * <p>A permit of the destination's semaphore is held by every open connection, in use or idle; so at most
 * {@code maxPerDestination} connections to one address exist at a time and a sender that finds none free waits.
 * A connection given back after a successful transaction is kept idle for {@code idleTime} for the next message
 * with the same key (address + TLS policy + AUTH identity, so a connection is never shared across credentials);
 * a reaper closes those left longer. Threading: thread-safe.
 */
final class ConnectionPool implements AutoCloseable {

    /** What the pool keeps. */
    interface Pooled {
        int transactions();

        boolean usable();

        void close();
    }

    private record Idle(Pooled connection, long since) { }

    private final int maxPerDestination;
    private final Duration idleTime;
    private final int maxTransactions;
    private final Map<InetSocketAddress, Semaphore> permits = new ConcurrentHashMap<>();
    private final Map<String, ArrayDeque<Idle>> idle = new HashMap<>();
    private final Map<String, InetSocketAddress> addressOf = new HashMap<>();
    private final ScheduledExecutorService reaper;
    private boolean closed;

    ConnectionPool(int maxPerDestination, Duration idleTime, int maxTransactions) {
        this.maxPerDestination = maxPerDestination;
        this.idleTime = idleTime;
        this.maxTransactions = maxTransactions;
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "herald-outbound-reaper");
            t.setDaemon(true);
            return t;
        });
        long period = Math.max(250, Math.min(idleTime.toMillis(), 1000));
        reaper.scheduleWithFixedDelay(this::reap, period, period, TimeUnit.MILLISECONDS);
    }

    static String key(InetSocketAddress address, Route.Relay route) {
        return address + "|" + route.tls() + "|" + route.credentials().map(Route.Credentials::username).orElse("");
    }

    /** A permit to use a connection to one destination: an idle one to reuse, or none (open a new one). */
    final class Lease {
        private final String key;
        private final InetSocketAddress address;
        private final Pooled connection;
        private boolean released;

        Lease(String key, InetSocketAddress address, Pooled connection) {
            this.key = key;
            this.address = address;
            this.connection = connection;
        }

        /** The idle connection taken from the pool, or null. */
        Pooled connection() { return connection; }

        /**
         * Gives the permit back: {@code used} (the connection now, may be null) is kept for reuse when
         * {@code reusable}, else closed.
         */
        void release(Pooled used, boolean reusable) {
            if (released) return;
            released = true;
            if (used != null && reusable && used.usable() && used.transactions() < maxTransactions && !idleTime.isZero()) {
                synchronized (ConnectionPool.this) {
                    if (!closed) {
                        idle.computeIfAbsent(key, k -> new ArrayDeque<>()).addLast(new Idle(used, System.nanoTime()));
                        addressOf.put(key, address);
                        return;
                    }
                }
            }
            if (used != null) used.close();
            permits(address).release();
        }
    }

    /**
     * Takes an idle connection for this key, or a permit to open one, waiting at most {@code wait} for a permit.
     *
     * @throws IOException when no permit became free in time
     */
    Lease acquire(String key, InetSocketAddress address, Duration wait) throws IOException {
        Pooled reuse = takeIdle(key);
        if (reuse != null) return new Lease(key, address, reuse);
        Semaphore s = permits(address);
        try {
            if (!s.tryAcquire()) {
                // an idle connection to the same address with another key holds a permit: close the oldest
                closeOneIdle(address);
                if (!s.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IOException("all " + maxPerDestination + " connections to " + address + " are busy");
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for a connection to " + address);
        }
        // one may have been given back while waiting
        Pooled again = takeIdle(key);
        if (again != null) {
            s.release();
            return new Lease(key, address, again);
        }
        return new Lease(key, address, null);
    }

    private Pooled takeIdle(String key) {
        List<Pooled> dead = new ArrayList<>();
        Pooled found = null;
        synchronized (this) {
            ArrayDeque<Idle> q = idle.get(key);
            while (q != null && !q.isEmpty()) {
                Idle i = q.pollLast();
                if (i.connection().usable()) {
                    found = i.connection();
                    break;
                }
                dead.add(i.connection());
            }
        }
        InetSocketAddress a;
        synchronized (this) {
            a = addressOf.get(key);
        }
        for (Pooled p : dead) {
            p.close();
            permits(a).release();
        }
        return found;
    }

    private void closeOneIdle(InetSocketAddress address) {
        Pooled victim = null;
        synchronized (this) {
            for (Map.Entry<String, ArrayDeque<Idle>> e : idle.entrySet()) {
                if (address.equals(addressOf.get(e.getKey())) && !e.getValue().isEmpty()) {
                    victim = e.getValue().pollFirst().connection();
                    break;
                }
            }
        }
        if (victim != null) {
            victim.close();
            permits(address).release();
        }
    }

    private Semaphore permits(InetSocketAddress address) {
        return permits.computeIfAbsent(address, a -> new Semaphore(maxPerDestination));
    }

    private void reap() {
        long limit = System.nanoTime() - idleTime.toNanos();
        List<Map.Entry<InetSocketAddress, Pooled>> expired = new ArrayList<>();
        synchronized (this) {
            for (Map.Entry<String, ArrayDeque<Idle>> e : idle.entrySet()) {
                for (Iterator<Idle> it = e.getValue().iterator(); it.hasNext(); ) {
                    Idle i = it.next();
                    if (i.since() < limit || !i.connection().usable()) {
                        it.remove();
                        expired.add(Map.entry(addressOf.get(e.getKey()), i.connection()));
                    }
                }
            }
        }
        for (Map.Entry<InetSocketAddress, Pooled> e : expired) {
            e.getValue().close();
            permits(e.getKey()).release();
        }
    }

    /** Idle connections now (for tests and stats). */
    synchronized int idleCount() {
        return idle.values().stream().mapToInt(ArrayDeque::size).sum();
    }

    @Override
    public void close() {
        reaper.shutdownNow();
        List<Pooled> all = new ArrayList<>();
        synchronized (this) {
            closed = true;
            for (ArrayDeque<Idle> q : idle.values()) for (Idle i : q) all.add(i.connection());
            idle.clear();
        }
        for (Pooled p : all) p.close();
    }
}

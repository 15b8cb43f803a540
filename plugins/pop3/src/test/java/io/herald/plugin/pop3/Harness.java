package io.herald.plugin.pop3;

import io.herald.api.config.Configuration;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executor;

/** Drives {@link Pop3Session}s without a network: what the session writes is collected, its work runs on {@code workers}. */
final class Harness {

    final MemoryStore store = new MemoryStore();
    final TestLogins logins = new TestLogins();
    final MaildropLocks locks = new MaildropLocks();
    final Maildrop.SizeCache sizes = new Maildrop.SizeCache(1000);
    final Map<String, String> config = new HashMap<>();
    Executor workers = Runnable::run;

    Pop3Settings settings() {
        Map<String, String> copy = Map.copyOf(config);
        return Pop3Settings.from(new Configuration() {
            @Override public String pid() { return "pop3"; }
            @Override public Optional<String> get(String key) { return Optional.ofNullable(copy.get(key)); }
            @Override public Set<String> keys() { return copy.keySet(); }
        });
    }

    Pop3Session.Services services() {
        return new Pop3Session.Services(store, logins, locks, sizes, workers, "pop.herald.test", settings());
    }

    /** A client on the STLS listener from a non-loopback address. */
    Client client() {
        return client(false, address("192.0.2.7"));
    }

    Client client(boolean implicitTls, InetSocketAddress remote) {
        Client c = new Client(remote);
        c.session = new Pop3Session(services(), c, implicitTls ? "pop3s" : "pop3", "t", implicitTls, !implicitTls);
        c.session.opened();
        return c;
    }

    static InetSocketAddress address(String ip) {
        try {
            return new InetSocketAddress(InetAddress.getByName(ip), 50000);
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One connection: the transport the session writes to, and the client's side of it. */
    static final class Client implements Pop3Session.Transport {
        final InetSocketAddress remote;
        Pop3Session session;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private int read;
        volatile boolean tls;
        volatile boolean closed;
        volatile boolean suspended;

        Client(InetSocketAddress remote) {
            this.remote = remote;
        }

        @Override public synchronized void write(byte[] octets, Runnable whenWritten) {
            if (closed) throw new IllegalStateException("write after close: " + new String(octets, StandardCharsets.UTF_8));
            out.write(octets, 0, octets.length);
            notifyAll();
            if (whenWritten != null) whenWritten.run();
        }

        @Override public void startTls() { tls = true; }

        @Override public void suspendRead(boolean suspend) { suspended = suspend; }

        @Override public synchronized void close() { closed = true; notifyAll(); }

        @Override public InetSocketAddress remote() { return remote; }

        /** Sends raw octets. */
        Client raw(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            session.received(b, 0, b.length);
            return this;
        }

        /** Sends one command line and returns what the server answered since the last call. */
        String send(String line) {
            raw(line + "\r\n");
            return take();
        }

        /** What the server wrote since the last call. */
        synchronized String take() {
            byte[] all = out.toByteArray();
            String s = new String(all, read, all.length - read, StandardCharsets.UTF_8);
            read = all.length;
            return s;
        }

        /** Waits until the server's output since the last take ends with {@code suffix} (for tests with real threads). */
        synchronized String awaitEnd(String suffix, long millis) throws InterruptedException {
            long until = System.currentTimeMillis() + millis;
            while (true) {
                byte[] all = out.toByteArray();
                String s = new String(all, read, all.length - read, StandardCharsets.UTF_8);
                if (s.endsWith(suffix)) {
                    read = all.length;
                    return s;
                }
                long left = until - System.currentTimeMillis();
                if (left <= 0) throw new AssertionError("no " + suffix.replace("\r\n", "\\r\\n") + " in time; got: " + s);
                wait(left);
            }
        }
    }
}

package io.herald.queue;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.routing.Router;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.SessionInfo;
import io.herald.host.ExtensionRegistry;
import io.herald.host.Plugin;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** Real pieces for queue and delivery tests: sessions, envelopes, a registry, and a deduplicating store. */
public final class QueueTestSupport {

    private QueueTestSupport() { }

    public static QueueSettings fastSettings() {
        return new QueueSettings(Duration.ofMillis(20), Duration.ofMillis(100), Duration.ofDays(5), 2, 8, 0);
    }

    public static SessionInfo session() {
        try {
            return new SessionInfo("s1", "smtp", new InetSocketAddress(InetAddress.getByAddress(new byte[] {(byte) 192, 0, 2, 7}), 40000),
                    new InetSocketAddress(InetAddress.getByAddress(new byte[] {127, 0, 0, 1}), 2525),
                    Optional.of("client.example"), true, false, Optional.empty());
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    public static MailAddress addr(String a) {
        int at = a.lastIndexOf('@');
        return new MailAddress(a.substring(0, at), a.substring(at + 1));
    }

    public static Envelope envelope(String from, String... rcpts) {
        return new Envelope(from == null ? Optional.empty() : Optional.of(addr(from)),
                Arrays.stream(rcpts).map(QueueTestSupport::addr).toList(), Map.of("BODY", "8BITMIME", "SIZE", "1000"));
    }

    /** Opens, writes and commits one message; returns the id once durable. */
    public static String commit(FileQueue q, Envelope env, byte[] body, List<HeaderField> headers) throws Exception {
        Spool s = q.open(session(), env);
        s.write(body, 0, body.length);
        s.commit(headers).get();
        return s.id();
    }

    public static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] read(MessageContent c) throws IOException {
        try (InputStream in = c.open()) {
            return in.readAllBytes();
        }
    }

    public static ExtensionRegistry registry(List<Router> routers, MailboxStore store) {
        ExtensionRegistry r = new ExtensionRegistry();
        r.add(new Plugin("test", "1", List.of(), routers, store == null ? List.of() : List.of(store), List.of()));
        return r;
    }

    /** Every recipient is a local mailbox named by its canonical address. */
    public static Router allLocal() {
        return (env, rcpt) -> io.herald.api.routing.Route.local(rcpt.canonical());
    }

    /** A mailbox store in memory that stores each delivery key once, as the contract requires. */
    public static final class MemoryStore implements MailboxStore {
        public final Map<String, byte[]> byKey = new ConcurrentHashMap<>();
        public final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
        public final List<Delivery> stored = java.util.Collections.synchronizedList(new ArrayList<>());
        private final AtomicInteger uid = new AtomicInteger();
        /** Decides per call whether to fail: returns an exception to throw, or null. */
        public volatile Function<Delivery, MailboxException> failure = d -> null;

        @Override public boolean exists(String mailbox) { return true; }
        @Override public void create(String mailbox) { }
        @Override public List<String> mailboxes() { return List.of(); }
        @Override public List<String> folders(String mailbox) { return List.of("INBOX"); }
        @Override public List<StoredMessage> list(String mailbox, String folder) { return List.of(); }
        @Override public Optional<MessageContent> content(String mailbox, String folder, long uid) { return Optional.empty(); }

        @Override
        public StoredMessage deliver(Delivery d) throws MailboxException {
            calls.computeIfAbsent(d.deliveryKey(), k -> new AtomicInteger()).incrementAndGet();
            MailboxException e = failure.apply(d);
            if (e != null) throw e;
            byte[] content;
            try {
                content = read(d.content());
            } catch (IOException io) {
                throw new MailboxException("read failed", true, io);
            }
            if (content.length != d.content().size()) throw new AssertionError("size() disagrees with the bytes");
            synchronized (this) {
                if (byKey.putIfAbsent(d.deliveryKey(), content) == null) stored.add(d);
            }
            return new StoredMessage(d.mailbox(), d.folder(), 1, uid.incrementAndGet(), content.length, d.internalDate(),
                    d.flags(), "", "", "");
        }

        public int attempts(String key) {
            AtomicInteger n = calls.get(key);
            return n == null ? 0 : n.get();
        }
    }
}

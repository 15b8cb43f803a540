package io.herald.plugin.sse;

import io.herald.api.http.HttpEndpoint;
import io.herald.api.http.HttpRequest;
import io.herald.api.http.HttpResponse;
import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.notify.DeliveryPolicy;
import io.herald.api.notify.EventJson;
import io.herald.api.notify.NotificationSink;
import io.herald.api.plugin.PluginContext;
import jakarta.inject.Inject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Server-Sent Events (HTML Living Standard, "Server-sent events") per user: {@code GET /events} with the user's
 * token ({@code Authorization: Bearer <token>} or {@code ?token=}, for browsers' {@code EventSource}) or password
 * (HTTP Basic, RFC 7617) streams that user's mailbox events as
 *
 * <pre>
 * id: 18c2f0a1b3e-42
 * event: message.added
 * data: {"event":"message.added","user":"olaf@herald.test",...}
 * </pre>
 *
 * <p>Each user has a bounded history; a client that reconnects with {@code Last-Event-ID} first gets the events it
 * missed that are still in the history. Ids are {@code <start>-<n>} ({@code start}: this plugin's start time in
 * base 36, {@code n} counting per user): an id from an earlier start (or one older than the history) gets the whole
 * history. A comment line ({@code : keep-alive}) goes out when nothing was sent for {@code keepAlive}.
 *
 * <p>The sink never waits for a stream: each open stream has a bounded queue, and a stream that falls that far behind
 * is closed (its client reconnects with {@code Last-Event-ID}). Each open stream holds one thread of the core's HTTP
 * listener, hence {@code maxStreams}.
 */
final class SseHub implements NotificationSink, HttpEndpoint, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SseHub.class);
    static final int TOO_MANY = 503;

    private final SseSettings settings;
    private final PasswordCheck passwords;
    private final String epoch = Long.toString(System.currentTimeMillis(), 36);
    private final Map<String, UserStream> users = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean closed;

    @Inject
    SseHub(PluginContext context, PasswordCheck passwords) {
        this.settings = SseSettings.from(context.config());
        this.passwords = passwords;
    }

    // ---- the sink ----------------------------------------------------------------------------------------------

    @Override public String name() { return "sse"; }

    @Override public DeliveryPolicy policy() { return settings.policy(); }

    @Override public boolean accepts(MailboxEvent event) { return settings.filter().matches(event); }

    @Override
    public void onEvent(MailboxEvent event) {
        users.computeIfAbsent(event.mailbox().toLowerCase(Locale.ROOT), u -> new UserStream()).add(event);
    }

    /** One user's history and open streams. */
    final class UserStream {
        private final ArrayDeque<Entry> history = new ArrayDeque<>();
        private long next = 1;
        final Set<Subscriber> subscribers = new CopyOnWriteArraySet<>();

        void add(MailboxEvent event) {
            Entry e;
            synchronized (this) {
                e = new Entry(epoch + "-" + next++, EventJson.kind(event), EventJson.of(event));
                if (settings.history() > 0) {
                    if (history.size() == settings.history()) history.removeFirst();
                    history.addLast(e);
                }
            }
            for (Subscriber s : subscribers) s.offer(e);
        }

        /** Subscribes and returns, atomically, the history after {@code lastId} (all of it when unknown). */
        synchronized List<Entry> subscribe(Subscriber s, String lastId) {
            subscribers.add(s);
            List<Entry> missed = new ArrayList<>();
            long after = sequence(lastId);
            for (Entry e : history) if (sequence(e.id) > after) missed.add(e);
            return missed;
        }

        /** The number of an id of this start; 0 (everything) for none, another start's or a malformed one. */
        private long sequence(String id) {
            if (id == null || !id.startsWith(epoch + "-")) return 0;
            try {
                return Long.parseLong(id.substring(epoch.length() + 1));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
    }

    record Entry(String id, String kind, String json) {
        byte[] wire() {
            return ("id: " + id + "\nevent: " + kind + "\ndata: " + json + "\n\n").getBytes(StandardCharsets.UTF_8);
        }
    }

    /** One open stream's queue; {@link #overflowed} once it fell {@code streamQueue} events behind. */
    static final class Subscriber {
        final BlockingQueue<Object> queue;
        volatile boolean overflowed;
        static final Object CLOSE = new Object();

        Subscriber(int capacity) {
            queue = new ArrayBlockingQueue<>(capacity + 1);
        }

        void offer(Entry e) {
            if (overflowed) return;
            if (queue.remainingCapacity() <= 1 || !queue.offer(e)) {
                overflowed = true;
                queue.offer(CLOSE);
            }
        }

        void close() {
            queue.clear();
            queue.offer(CLOSE);
        }
    }

    // ---- the endpoint ------------------------------------------------------------------------------------------

    @Override public String path() { return settings.path(); }

    @Override
    public void handle(HttpRequest req, HttpResponse res) throws IOException {
        if (!req.path().equals(settings.path())) {
            text(res, 404, "no such path; the stream is " + settings.path());
            return;
        }
        if (!req.method().equals("GET")) {
            res.header("Allow", "GET");
            text(res, 405, "use GET");
            return;
        }
        Optional<String> user = authenticate(req, res);
        if (user.isEmpty()) return;
        if (closed) {
            text(res, TOO_MANY, "shutting down");
            return;
        }
        if (open.incrementAndGet() > settings.maxStreams()) {
            open.decrementAndGet();
            res.header("Retry-After", "10");
            text(res, TOO_MANY, "too many open streams (maxStreams = " + settings.maxStreams() + ")");
            return;
        }
        try {
            stream(req, res, user.get());
        } finally {
            open.decrementAndGet();
        }
    }

    private void stream(HttpRequest req, HttpResponse res, String user) throws IOException {
        String lastId = req.header("Last-Event-ID").or(() -> req.query("lastEventId")).orElse(null);
        UserStream us = users.computeIfAbsent(user, u -> new UserStream());
        Subscriber sub = new Subscriber(settings.backlog());
        List<Entry> missed = us.subscribe(sub, lastId);
        log.debug("SSE stream for {} from {} (Last-Event-ID {}, {} missed)", user, req.remote(), lastId, missed.size());
        res.header("Cache-Control", "no-cache").header("X-Accel-Buffering", "no");
        try (OutputStream out = res.stream(200, "text/event-stream; charset=utf-8")) {
            out.write(("retry: " + settings.retry().toMillis() + "\n: herald events for " + user + "\n\n").getBytes(StandardCharsets.UTF_8));
            for (Entry e : missed) out.write(e.wire());
            out.flush();
            long keepAlive = settings.keepAlive().toNanos();
            while (!closed) {
                Object next = sub.queue.poll(keepAlive, TimeUnit.NANOSECONDS);
                if (next == Subscriber.CLOSE) break;
                if (next == null) {
                    out.write(": keep-alive\n\n".getBytes(StandardCharsets.US_ASCII));
                } else {
                    out.write(((Entry) next).wire());
                    Object more;
                    while ((more = sub.queue.poll()) instanceof Entry e) out.write(e.wire());   // batch what is waiting
                    if (more == Subscriber.CLOSE) break;
                }
                out.flush();
            }
            if (sub.overflowed) log.info("SSE stream for {} closed: more than {} events behind (the client resumes with Last-Event-ID)", user, settings.backlog());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            us.subscribers.remove(sub);
        }
    }

    /** The user of this request, or empty after answering 401. */
    private Optional<String> authenticate(HttpRequest req, HttpResponse res) throws IOException {
        String auth = req.header("Authorization").orElse("");
        Optional<String> token = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? Optional.of(auth.substring(7).trim()) : req.query("token");
        if (token.isPresent()) {
            String user = lookup(token.get());
            if (user != null) return Optional.of(user);
            return unauthorized(res, "unknown token");
        }
        if (auth.regionMatches(true, 0, "Basic ", 0, 6)) {
            if (!settings.passwords()) return unauthorized(res, "passwords are not accepted here (notify-sse.cfg: password = false); use a token");
            String decoded;
            try {
                decoded = new String(java.util.Base64.getDecoder().decode(auth.substring(6).trim()), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return unauthorized(res, "malformed Basic credentials");
            }
            int colon = decoded.indexOf(':');
            if (colon <= 0) return unauthorized(res, "malformed Basic credentials");
            String user = decoded.substring(0, colon);
            char[] password = decoded.substring(colon + 1).toCharArray();
            try {
                PasswordCheck.Result r = passwords.check(user, password, req.remote(), req.secure());
                if (r instanceof PasswordCheck.Result.Accepted a) return Optional.of(a.user().toLowerCase(Locale.ROOT));
                if (r instanceof PasswordCheck.Result.Unavailable u) {
                    res.header("Retry-After", "5");
                    text(res, TOO_MANY, u.reason());
                    return Optional.empty();
                }
                return unauthorized(res, ((PasswordCheck.Result.Refused) r).reason());
            } finally {
                java.util.Arrays.fill(password, '\0');
            }
        }
        return unauthorized(res, "authentication needed: Authorization: Bearer <token>, ?token=, or Basic");
    }

    /** Constant-time comparison against every configured token. */
    private String lookup(String token) {
        byte[] given = token.getBytes(StandardCharsets.UTF_8);
        String found = null;
        for (Map.Entry<String, String> e : settings.tokens().entrySet()) {
            if (MessageDigest.isEqual(e.getKey().getBytes(StandardCharsets.UTF_8), given)) found = e.getValue();
        }
        return found;
    }

    private static Optional<String> unauthorized(HttpResponse res, String why) throws IOException {
        res.header("WWW-Authenticate", "Basic realm=\"herald\", charset=\"UTF-8\"");
        res.header("WWW-Authenticate", "Bearer realm=\"herald\"");
        text(res, 401, why);
        return Optional.empty();
    }

    private static void text(HttpResponse res, int status, String body) throws IOException {
        res.send(status, "text/plain; charset=utf-8", (body + "\n").getBytes(StandardCharsets.UTF_8));
    }

    /** Open streams now (all users). */
    int openStreams() {
        return open.get();
    }

    @Override
    public void close() {
        closed = true;
        for (UserStream us : users.values()) for (Subscriber s : us.subscribers) s.close();
    }
}

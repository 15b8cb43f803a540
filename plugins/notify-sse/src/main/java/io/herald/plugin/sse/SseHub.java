package io.herald.plugin.sse;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.Logins;
import io.herald.api.auth.SaslOutcome;
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
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * <p><b>Passwords</b> (HTTP Basic) go through the core's {@link Logins}, as IMAP {@code LOGIN} and POP3
 * {@code USER}/{@code PASS} do: the same authenticator chain, the same brute-force throttle (a wrong password here
 * slows down and locks out the next SMTP, IMAP or POP3 attempt too), and the same TLS rule ({@code auth.cfg}
 * {@code plaintext.requires.tls}, {@code plaintext.loopback}): Basic is accepted over HTTPS, over plain HTTP only
 * where the core accepts plaintext passwords (loopback clients with {@code plaintext.loopback = true}, or everywhere
 * with {@code plaintext.requires.tls = false}). Elsewhere a Basic request is answered 401 without asking the core,
 * and the challenge offers only {@code Bearer}. The answers: wrong password or unknown user 401 (the same for both),
 * locked out by the throttle 429 (RFC 6585 §4: even the right password is refused until the lockout ends, and
 * 401 would tell the user the password is wrong), authenticator unavailable 503 with {@code Retry-After}.
 *
 * <p>The sink never waits for a stream: each open stream has a bounded queue, and a stream that falls that far behind
 * is closed (its client reconnects with {@code Last-Event-ID}). Each open stream holds one thread of the core's HTTP
 * listener, hence {@code maxStreams}.
 */
final class SseHub implements NotificationSink, HttpEndpoint, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SseHub.class);
    static final int UNAUTHORIZED = 401;
    static final int TOO_MANY_REQUESTS = 429;
    static final int TOO_MANY = 503;
    /** The mechanism whose rules HTTP Basic follows (it sends the password itself, as PLAIN does). */
    static final String PLAIN = "PLAIN";
    /** Bounds the wait for one password check: the core's authenticator time limit plus the throttle's delay. */
    static final Duration LOGIN_WAIT = Duration.ofSeconds(60);

    private final SseSettings settings;
    private final Logins logins;
    private final Semaphore loginSlots;
    Duration loginWait = LOGIN_WAIT;
    private final String epoch = Long.toString(System.currentTimeMillis(), 36);
    private final Map<String, UserStream> users = new ConcurrentHashMap<>();
    private final AtomicInteger open = new AtomicInteger();
    private volatile boolean closed;

    @Inject
    SseHub(PluginContext context, Logins logins) {
        this.settings = SseSettings.from(context.config());
        this.logins = logins;
        this.loginSlots = new Semaphore(settings.passwordChecks());
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

    /** The user of this request, or empty after answering 401 (or 429/503 for a password that cannot be checked now). */
    private Optional<String> authenticate(HttpRequest req, HttpResponse res) throws IOException {
        String auth = req.header("Authorization").orElse("");
        AuthContext ctx = new AuthContext(PLAIN, "http", req.remote(), req.secure());
        Optional<String> token = auth.regionMatches(true, 0, "Bearer ", 0, 7) ? Optional.of(auth.substring(7).trim()) : req.query("token");
        if (token.isPresent()) {
            String user = lookup(token.get());
            if (user != null) return Optional.of(user);
            return unauthorized(res, ctx, "unknown token");
        }
        if (auth.regionMatches(true, 0, "Basic ", 0, 6)) return basic(auth.substring(6).trim(), req, res, ctx);
        return unauthorized(res, ctx, "authentication needed: Authorization: Bearer <token>, ?token=" + (basicOffered(ctx) ? ", or Basic" : ""));
    }

    /** HTTP Basic (RFC 7617): {@code base64(user-id ":" password)} in UTF-8, checked by the core's {@link Logins}. */
    private Optional<String> basic(String credentials, HttpRequest req, HttpResponse res, AuthContext ctx) throws IOException {
        if (!settings.passwords()) return unauthorized(res, ctx, "passwords are not accepted here (notify-sse.cfg: password = false); use a token");
        if (!logins.plaintextAllowed(ctx)) {
            // the core's rule for every plaintext password (auth.cfg): never check a password that came in the clear
            log.debug("SSE: HTTP Basic from {} over plain HTTP refused (auth.cfg: plaintext passwords need TLS)", req.remote());
            return unauthorized(res, ctx, "passwords need HTTPS here (http.cfg: tls = true); use a token");
        }
        byte[] raw;
        try {
            raw = Base64.getDecoder().decode(credentials);
        } catch (IllegalArgumentException e) {
            return unauthorized(res, ctx, "malformed Basic credentials");
        }
        String decoded = new String(raw, StandardCharsets.UTF_8);
        Arrays.fill(raw, (byte) 0);
        int colon = decoded.indexOf(':');   // RFC 7617 §2: the user-id cannot contain a colon, the password may
        if (colon <= 0) return unauthorized(res, ctx, "malformed Basic credentials");
        String user = decoded.substring(0, colon);
        if (!loginSlots.tryAcquire()) {
            res.header("Retry-After", "5");
            text(res, TOO_MANY, "too many password checks at the same time; try again later or use a token");
            return Optional.empty();
        }
        char[] password = decoded.substring(colon + 1).toCharArray();
        SaslOutcome outcome;
        try {
            CompletableFuture<SaslOutcome> login;
            try {
                login = logins.password(user, password, ctx).toCompletableFuture();
            } catch (RuntimeException e) {
                Arrays.fill(password, '\0');
                throw e;
            }
            // Logins' contract: the caller wipes the password once the stage has completed (also after we stop waiting)
            login.whenComplete((o, e) -> Arrays.fill(password, '\0'));
            outcome = login.get(loginWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            log.warn("SSE: the password check for {} from {} failed internally or took longer than {}", user, req.remote(), loginWait, e);
            outcome = new SaslOutcome.Failure(SaslOutcome.Kind.TEMPORARY);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            outcome = new SaslOutcome.Failure(SaslOutcome.Kind.TEMPORARY);
        } finally {
            loginSlots.release();   // the listener thread is free again, whether or not the check finished
        }
        if (outcome instanceof SaslOutcome.Success s) return Optional.of(s.principal().toLowerCase(Locale.ROOT));
        SaslOutcome.Kind kind = outcome instanceof SaslOutcome.Failure f ? f.kind() : SaslOutcome.Kind.TEMPORARY;
        switch (kind) {
            case LOCKED_OUT -> {
                text(res, TOO_MANY_REQUESTS, "too many failed logins; try again later");
                return Optional.empty();
            }
            case TEMPORARY -> {
                res.header("Retry-After", "5");
                text(res, TOO_MANY, "authentication is unavailable now; try again later");
                return Optional.empty();
            }
            case ENCRYPTION_REQUIRED -> { return unauthorized(res, ctx, "passwords need HTTPS here (http.cfg: tls = true); use a token"); }
            case UNSUPPORTED_MECHANISM -> { return unauthorized(res, ctx, "password logins are turned off (auth.cfg: mechanisms without PLAIN); use a token"); }
            case MALFORMED -> { return unauthorized(res, ctx, "malformed Basic credentials"); }
            default -> { return unauthorized(res, ctx, "wrong user name or password"); }   // INVALID_CREDENTIALS, CANCELLED
        }
    }

    /** Whether a Basic challenge is worth offering on this connection: passwords on, and the core would check one. */
    private boolean basicOffered(AuthContext ctx) {
        return settings.passwords() && logins.mechanisms(ctx).contains(PLAIN);
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

    /** 401 with the challenges that can succeed on this connection (RFC 9110 §11.6.1): Bearer, and Basic where offered. */
    private Optional<String> unauthorized(HttpResponse res, AuthContext ctx, String why) throws IOException {
        if (basicOffered(ctx)) res.header("WWW-Authenticate", "Basic realm=\"herald\", charset=\"UTF-8\"");   // RFC 7617 §2.1
        res.header("WWW-Authenticate", "Bearer realm=\"herald\"");
        text(res, UNAUTHORIZED, why);
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

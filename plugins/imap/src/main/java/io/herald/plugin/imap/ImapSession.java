package io.herald.plugin.imap;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.SaslOutcome;
import io.herald.api.auth.SaslServer;
import io.herald.api.mailbox.FolderInfo;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.WriteFuture;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.ssl.SslFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One IMAP connection (RFC 3501): the states of §3 (not authenticated, authenticated, selected, logout), command
 * framing by {@link CommandReader}, and the commands themselves ({@link Commands} holds the mailbox commands).
 *
 * <p><b>Threading.</b> MINA's I/O thread only appends received octets and schedules the session; commands run on the
 * server's worker pool, one at a time per session (a work-in-progress counter makes the session its own serial
 * executor). Slow answers (authentication, with the throttle's delays) complete asynchronously: the session stops
 * reading commands until they are done, and no thread waits. Mailbox events mark the session dirty; a session in
 * IDLE is scheduled at once and reports the change, others report it when the RFC allows (§7: EXPUNGE not during
 * FETCH, STORE or SEARCH).
 */
final class ImapSession {

    private static final Logger log = LoggerFactory.getLogger(ImapSession.class);

    enum State { NOT_AUTHENTICATED, AUTHENTICATED, SELECTED, LOGOUT }

    private enum Mode { COMMAND, AUTHENTICATE, IDLE }

    static final String TLS_FILTER = "tls";
    private static final int FLUSH_AT = 64 * 1024;
    private static final long MAX_QUEUED_WRITE = 4L * 1024 * 1024;

    final ImapServer server;
    final IoSession io;
    final String id;
    final boolean implicitTls;
    private final CommandReader reader;
    private final Object inLock = new Object();
    private final AtomicInteger wip = new AtomicInteger();

    // state below: only the thread running drain() touches it (state is also read by the login timer)
    volatile State state = State.NOT_AUTHENTICATED;
    String user;
    boolean tls;
    volatile Selected selected;
    private volatile Mode mode = Mode.COMMAND;
    private String pendingTag;           // IDLE or AUTHENTICATE
    private SaslServer sasl;
    private int badInARow;
    private Response out = new Response();
    private volatile boolean waiting;    // an asynchronous step is running
    private volatile Runnable resume;    // what to do on the session's turn when it completed
    volatile boolean dirty;              // the selected folder changed: synchronise at the next allowed point
    private volatile boolean closed;
    final Commands commands;

    ImapSession(ImapServer server, IoSession io, String id, boolean implicitTls) {
        this.server = server;
        this.io = io;
        this.id = id;
        this.implicitTls = implicitTls;
        this.tls = implicitTls;
        this.reader = new CommandReader(server.settings().maxLiteral(), server.settings().maxCommandLength());
        this.commands = new Commands(this);
    }

    MailboxStore store() { return server.store(); }

    InetSocketAddress remote() {
        return io.getRemoteAddress() instanceof InetSocketAddress a ? a : null;
    }

    AuthContext authContext() {
        return new AuthContext("", implicitTls ? "imaps" : "imap", remote(), tls);
    }

    // ------------------------------------------------------------------ I/O thread side

    void opened() {
        idleTimer(false);
        untagged("OK [CAPABILITY " + capabilities() + "] Herald IMAP4rev1 ready");
        flush();
    }

    void received(IoBuffer b) {
        int n = b.remaining();
        byte[] bytes = new byte[n];
        b.get(bytes);
        boolean overflow;
        synchronized (inLock) {
            reader.append(bytes, 0, n);
            overflow = reader.buffered() > server.settings().maxLiteral() + 4L * server.settings().maxCommandLength();
        }
        if (overflow) {
            log.info("{}: input buffer overflow, closing", id);
            bye("Too much input without reading the responses");
            return;
        }
        schedule();
    }

    /** A mailbox event for the selected folder (from the notification sink's thread). */
    void changed() {
        dirty = true;
        if (mode == Mode.IDLE) schedule();
    }

    void closedByPeer() {
        closed = true;
        server.notifications().unregister(this);
    }

    /** MINA found the connection silent for the autologout (or IDLE) time. */
    void idle() {
        if (closed || waiting || wip.get() > 0) return;
        log.debug("{}: autologout", id);
        bye(mode == Mode.IDLE ? "IDLE for too long" : "Autologout; idle for too long");
    }

    /**
     * {@code loginTimeout} has passed since the connect (on the server's timer thread): a session still not logged in
     * is ended with {@code * BYE} (RFC 9051 §5.4). True when a login is being checked now: ask again a little later.
     */
    boolean loginTimeout() {
        if (closed || state != State.NOT_AUTHENTICATED) return false;
        if (waiting) return true;
        log.info("{}: no login within {} from {}, closing", id, server.settings().loginTimeout(), remote());
        bye("Autologout; no login within " + server.settings().loginTimeout().toSeconds() + "s");
        return false;
    }

    /** Server shutdown. */
    void shutdown() {
        bye("Server shutting down");
    }

    private void bye(String text) {
        closed = true;
        io.write(IoBuffer.wrap(("* BYE " + text + "\r\n").getBytes(StandardCharsets.UTF_8)));
        io.closeOnFlush();
    }

    void schedule() {
        if (wip.getAndIncrement() == 0) {
            try {
                server.executor().execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                wip.set(0);
                bye("Server shutting down");
            }
        }
    }

    // ------------------------------------------------------------------ worker side

    private void drain() {
        int missed = 1;
        do {
            try {
                if (!waiting && !closed) processAll();
            } catch (RuntimeException | Error e) {
                log.error("{}: internal error", id, e);
                bye("Internal server error");
            }
            flush();
            missed = wip.addAndGet(-missed);
        } while (missed != 0);
    }

    private void processAll() {
        Runnable then = resume;
        if (then != null) {
            resume = null;
            then.run();
        }
        while (!closed && !waiting) {
            if (mode == Mode.IDLE) {
                if (dirty) syncQuietly(true);
                String line;
                synchronized (inLock) { line = reader.nextLine(); }
                if (line == null) return;
                endIdle(line);
                continue;
            }
            if (mode == Mode.AUTHENTICATE) {
                String line;
                synchronized (inLock) { line = reader.nextLine(); }
                if (line == null) return;
                saslResponse(line);
                continue;
            }
            CommandReader.Result r;
            synchronized (inLock) { r = reader.next(); }
            if (r instanceof CommandReader.Result.Incomplete) return;
            if (r instanceof CommandReader.Result.Continue) {
                send("+ Ready for literal data\r\n");
                flush();
                continue;
            }
            if (r instanceof CommandReader.Result.TooLong t) {
                bad(t.tag(), "Command line too long (the limit is " + server.settings().maxCommandLength() + " octets)");
                continue;
            }
            if (r instanceof CommandReader.Result.LiteralTooBig big) {
                if (big.synchronizing()) {
                    tagged(big.tag(), "NO [TOOBIG] Literal of " + big.size() + " octets is over the limit of "
                            + server.settings().maxLiteral());
                } else {
                    // the octets are already on their way (LITERAL+): they cannot be told apart from commands
                    tagged(big.tag(), "BAD [TOOBIG] Literal of " + big.size() + " octets is over the limit of "
                            + server.settings().maxLiteral());
                    flush();
                    bye("Literal too large");
                }
                continue;
            }
            execute(((CommandReader.Result.Command) r).bytes());
        }
    }

    private void execute(byte[] command) {
        Args a = new Args(command);
        String tag;
        try {
            tag = a.tag();
        } catch (Args.Bad e) {
            bad("*", "Missing or invalid tag");
            return;
        }
        String name;
        try {
            a.sp();
            name = a.atom().toUpperCase(Locale.ROOT);
        } catch (Args.Bad e) {
            bad(tag, "Missing command");
            return;
        }
        try {
            CompletionStage<Runnable> async = dispatch(tag, name, a);
            if (async != null) await(async);
            else badInARow = 0;
        } catch (Search.BadCharset e) {
            badInARow = 0;
            tagged(tag, "NO " + e.getMessage());
        } catch (Args.Bad e) {
            bad(tag, e.getMessage());
        } catch (MailboxException e) {
            badInARow = 0;
            commands.no(tag, e);
        }
    }

    /**
     * Stops reading commands until the stage completes; its result runs on the session's own turn (in drain), so the
     * completing thread (an authenticator's, the throttle's scheduler) never touches the session's state.
     */
    private void await(CompletionStage<Runnable> stage) {
        waiting = true;
        stage.whenComplete((then, e) -> {
            if (e != null) log.error("{}: asynchronous step failed", id, e);
            resume = then;
            waiting = false;
            schedule();
        });
    }

    private CompletionStage<Runnable> dispatch(String tag, String name, Args a) throws Args.Bad, MailboxException {
        switch (name) {
            case "CAPABILITY" -> { a.end(); untagged("CAPABILITY " + capabilities()); ok(tag, "CAPABILITY completed"); }
            case "NOOP" -> { a.end(); commands.check(tag, "NOOP completed"); }
            case "LOGOUT" -> {
                a.end();
                untagged("BYE Herald IMAP server logging out");
                ok(tag, "LOGOUT completed");
                state = State.LOGOUT;
                flush();
                closed = true;
                io.closeOnFlush();
            }
            case "ID" -> { commands.id(tag, a); }
            case "STARTTLS" -> { a.end(); starttls(tag); }
            case "AUTHENTICATE" -> { return authenticate(tag, a); }
            case "LOGIN" -> { return login(tag, a); }
            case "ENABLE" -> { requireAuth(); commands.enable(tag, a); }
            case "NAMESPACE" -> { requireAuth(); a.end(); untagged("NAMESPACE ((\"\" \"/\")) NIL NIL"); ok(tag, "NAMESPACE completed"); }
            case "SELECT", "EXAMINE" -> { requireAuth(); commands.select(tag, a, name.equals("EXAMINE")); }
            case "CREATE" -> { requireAuth(); commands.create(tag, a); }
            case "DELETE" -> { requireAuth(); commands.delete(tag, a); }
            case "RENAME" -> { requireAuth(); commands.rename(tag, a); }
            case "SUBSCRIBE", "UNSUBSCRIBE" -> { requireAuth(); commands.subscribe(tag, a, name.equals("SUBSCRIBE")); }
            case "LIST" -> { requireAuth(); commands.list(tag, a); }
            case "LSUB" -> { requireAuth(); commands.lsub(tag, a); }
            case "STATUS" -> { requireAuth(); commands.status(tag, a); }
            case "APPEND" -> { requireAuth(); commands.append(tag, a); }
            case "IDLE" -> { requireAuth(); a.end(); startIdle(tag); }
            case "CHECK" -> { requireSelected(); a.end(); commands.check(tag, "CHECK completed"); }
            case "CLOSE" -> { requireSelected(); a.end(); commands.close(tag, true); }
            case "UNSELECT" -> { requireSelected(); a.end(); commands.close(tag, false); }
            case "EXPUNGE" -> { requireSelected(); a.end(); commands.expunge(tag, null); }
            case "SEARCH" -> { requireSelected(); commands.search(tag, a, false); }
            case "FETCH" -> { requireSelected(); commands.fetch(tag, a, false); }
            case "STORE" -> { requireSelected(); commands.store(tag, a, false); }
            case "COPY", "MOVE" -> { requireSelected(); commands.copy(tag, a, false, name.equals("MOVE")); }
            case "UID" -> {
                requireSelected();
                a.sp();
                String sub = a.atom().toUpperCase(Locale.ROOT);
                switch (sub) {
                    case "FETCH" -> commands.fetch(tag, a, true);
                    case "STORE" -> commands.store(tag, a, true);
                    case "SEARCH" -> commands.search(tag, a, true);
                    case "COPY", "MOVE" -> commands.copy(tag, a, true, sub.equals("MOVE"));
                    case "EXPUNGE" -> {
                        a.sp();
                        commands.expunge(tag, commands.uidSet(a.word()));
                        a.end();
                    }
                    default -> throw new Args.Bad("Unknown UID command " + sub);
                }
            }
            default -> throw new Args.Bad("Unknown command " + name);
        }
        return null;
    }

    private void requireAuth() throws Args.Bad {
        if (state == State.NOT_AUTHENTICATED) throw new Args.Bad("Log in first (LOGIN or AUTHENTICATE)");
    }

    private void requireSelected() throws Args.Bad {
        if (state != State.SELECTED) throw new Args.Bad(state == State.NOT_AUTHENTICATED ? "Log in first" : "Select a mailbox first");
    }

    String capabilities() {
        StringBuilder c = new StringBuilder("IMAP4rev1 LITERAL+ SASL-IR IDLE NAMESPACE ID ENABLE UIDPLUS MOVE SPECIAL-USE UNSELECT CHILDREN");
        c.append(" APPENDLIMIT=").append(server.settings().maxLiteral());
        if (state == State.NOT_AUTHENTICATED) {
            if (!tls && server.tlsAvailable()) c.append(" STARTTLS");
            AuthContext ctx = authContext();
            if (!server.logins().plaintextAllowed(ctx)) c.append(" LOGINDISABLED");
            for (String m : server.logins().mechanisms(ctx)) c.append(" AUTH=").append(m);
        }
        return c.toString();
    }

    // ------------------------------------------------------------------ STARTTLS, LOGIN, AUTHENTICATE

    /** STARTTLS (RFC 3501 §6.2.1, RFC 2595). */
    private void starttls(String tag) throws Args.Bad {
        if (tls) throw new Args.Bad("TLS is already active");
        if (state != State.NOT_AUTHENTICATED) throw new Args.Bad("STARTTLS only before logging in");
        if (!server.tlsAvailable()) throw new Args.Bad("STARTTLS is not offered here");
        SslFilter filter;
        try {
            filter = server.newSslFilter();
        } catch (RuntimeException e) {
            log.warn("{}: cannot start TLS: {}", id, e.toString());
            tagged(tag, "NO [UNAVAILABLE] TLS is not available now");
            return;
        }
        // nothing the client sent after STARTTLS in plain text is executed (the CVE-2011-0411 injection)
        suspendRead(true);
        try {
            ok(tag, "Begin TLS negotiation now");
            flush();
            int injected;
            synchronized (inLock) { injected = reader.clear(); }
            if (injected > 0) log.info("{}: discarding {} plain-text octets sent after STARTTLS", id, injected);
            io.getFilterChain().addFirst(TLS_FILTER, filter);
            tls = true;
        } finally {
            suspendRead(false);
        }
    }

    /**
     * Suspends or resumes reading. MINA changes the selector's interest set on the calling thread, which races with the
     * I/O thread's own updates; asking the session's processor to re-apply the traffic mask on its thread makes the
     * final state right (the same trick as the SMTP session's).
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private void suspendRead(boolean suspend) {
        if (suspend) io.suspendRead();
        else io.resumeRead();
        for (Object key : io.getAttributeKeys()) {
            if (io.getAttribute(key) instanceof org.apache.mina.core.polling.AbstractPollingIoProcessor processor) {
                processor.updateTrafficMask((org.apache.mina.core.session.AbstractIoSession) io);
                return;
            }
        }
    }

    private CompletionStage<Runnable> login(String tag, Args a) throws Args.Bad {
        a.sp();
        String name = a.astring();
        a.sp();
        char[] password = a.astring().toCharArray();
        a.end();
        if (state != State.NOT_AUTHENTICATED) throw new Args.Bad("Already logged in");
        AuthContext ctx = authContext();
        if (!server.logins().plaintextAllowed(ctx)) {
            tagged(tag, "NO [PRIVACYREQUIRED] LOGIN is disabled without TLS: use STARTTLS first");
            return null;
        }
        CompletionStage<SaslOutcome> stage = server.logins().password(name, password, ctx);
        return stage.handle((o, e) -> {
            java.util.Arrays.fill(password, '\0');
            SaslOutcome outcome = e != null ? new SaslOutcome.Failure(SaslOutcome.Kind.TEMPORARY) : o;
            return () -> authOutcome(tag, outcome);
        });
    }

    /** AUTHENTICATE mechanism [initial-response] (RFC 3501 §6.2.2, SASL-IR RFC 4959). */
    private CompletionStage<Runnable> authenticate(String tag, Args a) throws Args.Bad {
        a.sp();
        String mechanism = a.atom();
        Optional<byte[]> ir = Optional.empty();
        if (a.more()) {
            String r = a.word();
            if (r.equals("=")) ir = Optional.of(new byte[0]);
            else ir = Optional.of(decode(r));
        }
        a.end();
        if (state != State.NOT_AUTHENTICATED) throw new Args.Bad("Already logged in");
        sasl = server.logins().begin(mechanism, authContext());
        pendingTag = tag;
        SaslServer s = sasl;
        return s.start(ir).handle((o, e) -> {
            SaslOutcome outcome = e != null ? new SaslOutcome.Failure(SaslOutcome.Kind.TEMPORARY) : o;
            return () -> saslStep(s, outcome);
        });
    }

    private static byte[] decode(String base64) throws Args.Bad {
        try {
            return Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new Args.Bad("Invalid base64");
        }
    }

    private void saslResponse(String line) {
        SaslServer s = sasl;
        CompletionStage<SaslOutcome> stage;
        if (line.trim().equals("*")) {
            stage = s.cancel();
        } else {
            byte[] data;
            try {
                data = Base64.getDecoder().decode(line.trim());
            } catch (IllegalArgumentException e) {
                mode = Mode.COMMAND;
                sasl = null;
                s.cancel();
                bad(pendingTag, "Invalid base64 in the AUTHENTICATE response");
                return;
            }
            stage = s.respond(data);
        }
        await(stage.handle((o, e) -> {
            SaslOutcome outcome = e != null ? new SaslOutcome.Failure(SaslOutcome.Kind.TEMPORARY) : o;
            return () -> saslStep(s, outcome);
        }));
    }

    /** Runs on the session's turn after the stage completed. */
    private void saslStep(SaslServer s, SaslOutcome o) {
        if (s != sasl || closed) return;
        if (o instanceof SaslOutcome.Challenge c) {
            mode = Mode.AUTHENTICATE;
            send("+ " + Base64.getEncoder().encodeToString(c.data()) + "\r\n");
            flush();
            return;
        }
        mode = Mode.COMMAND;
        sasl = null;
        authOutcome(pendingTag, o);
    }

    private void authOutcome(String tag, SaslOutcome o) {
        if (closed) return;
        if (o instanceof SaslOutcome.Success s) {
            user = s.principal();
            state = State.AUTHENTICATED;
            server.notifications().register(user, this);
            log.info("{}: {} logged in from {}", id, user, remote());
            ok(tag, "[CAPABILITY " + capabilities() + "] Logged in");
        } else if (o instanceof SaslOutcome.Failure f) {
            switch (f.kind()) {
                case MALFORMED -> tagged(tag, "BAD Malformed authentication exchange");
                case CANCELLED -> tagged(tag, "BAD Authentication cancelled");
                case INVALID_CREDENTIALS -> tagged(tag, "NO [AUTHENTICATIONFAILED] Authentication failed");
                case UNSUPPORTED_MECHANISM -> tagged(tag, "NO [CANNOT] Unsupported authentication mechanism");
                case ENCRYPTION_REQUIRED -> tagged(tag, "NO [PRIVACYREQUIRED] Use STARTTLS first");
                case TEMPORARY, LOCKED_OUT -> tagged(tag, "NO [UNAVAILABLE] Temporary authentication failure, try again later");
            }
        } else {
            tagged(tag, "NO [UNAVAILABLE] Unexpected authentication step");
        }
        flush();
    }

    // ------------------------------------------------------------------ IDLE (RFC 2177)

    private void startIdle(String tag) {
        if (state == State.SELECTED) syncQuietly(true);
        mode = Mode.IDLE;
        pendingTag = tag;
        idleTimer(true);
        send("+ idling\r\n");
        flush();
    }

    private void endIdle(String line) {
        mode = Mode.COMMAND;
        idleTimer(false);
        String tag = pendingTag;
        if (line.trim().equalsIgnoreCase("DONE")) {
            badInARow = 0;
            if (state == State.SELECTED) syncQuietly(true);
            ok(tag, "IDLE terminated");
        } else {
            bad(tag, "Expected DONE to end IDLE");
        }
    }

    private void idleTimer(boolean idling) {
        long seconds = (idling ? server.settings().idleCommandTimeout() : server.settings().idleTimeout()).toSeconds();
        io.getConfig().setIdleTime(IdleStatus.READER_IDLE, (int) Math.max(1, Math.min(Integer.MAX_VALUE, seconds)));
    }

    // ------------------------------------------------------------------ synchronising the selected folder

    /** Reports other sessions' changes: EXPUNGE (when allowed), new EXISTS/RECENT, changed FLAGS. */
    void sync(boolean allowExpunge) throws MailboxException {
        Selected s = selected;
        if (s == null) return;
        dirty = false;
        List<StoredMessage> now;
        try {
            now = store().list(user, s.folder);
        } catch (MailboxException e) {
            if (e.reason() == MailboxException.Reason.NO_SUCH_FOLDER) {
                bye("The selected mailbox was deleted");
                return;
            }
            throw e;
        }
        Set<Long> present = new HashSet<>(now.size() * 2);
        for (StoredMessage m : now) present.add(m.uid());
        boolean pendingExpunge = false;
        for (int msn = s.exists(); msn >= 1; msn--) {
            if (present.contains(s.uid(msn))) continue;
            if (allowExpunge) {
                s.remove(msn);
                untagged(msn + " EXPUNGE");
            } else {
                pendingExpunge = true;
            }
        }
        if (pendingExpunge) dirty = true;   // reported at the next command that allows it
        long max = s.maxUid();
        int added = 0;
        for (StoredMessage m : now) {
            if (m.uid() > max) {
                s.add(m.uid(), m.flags());
                if (!s.readOnly) s.recent.add(m.uid());
                added++;
            } else if (s.msn(m.uid()) > 0 && s.flagsDiffer(m.uid(), m.flags())) {
                s.flags(m.uid(), m.flags());
                untagged(s.msn(m.uid()) + " FETCH (FLAGS " + commands.flagList(s, m.uid()) + " UID " + m.uid() + ")");
            }
        }
        if (added > 0) {
            untagged(s.exists() + " EXISTS");
            untagged(s.recent.size() + " RECENT");
        }
    }

    private void syncQuietly(boolean allowExpunge) {
        try {
            sync(allowExpunge);
        } catch (MailboxException e) {
            log.warn("{}: cannot synchronise {}: {}", id, selected == null ? "-" : selected.folder, e.toString());
        }
    }

    // ------------------------------------------------------------------ output

    void untagged(String line) {
        out.raw("* ").raw(line).crlf();
        if (out.size() > FLUSH_AT) flush();
    }

    void ok(String tag, String text) {
        tagged(tag, "OK " + text);
    }

    void tagged(String tag, String statusAndText) {
        out.raw(tag).sp().raw(statusAndText).crlf();
    }

    void bad(String tag, String text) {
        tagged(tag, "BAD " + text);
        if (++badInARow >= server.settings().maxBadCommands()) {
            flush();
            bye("Too many invalid commands");
        }
    }

    /** Writes a prepared response (a FETCH with literals). */
    void send(Response r) {
        flushBuffer();
        write(r.bytes());
    }

    private void send(String s) {
        out.raw(s);
    }

    Response buffer() {
        return out;
    }

    void flush() {
        flushBuffer();
    }

    private void flushBuffer() {
        if (out.size() == 0) return;
        byte[] b = out.bytes();
        out = new Response();
        write(b);
    }

    private void write(byte[] b) {
        if (io.isClosing()) return;
        WriteFuture f = io.write(IoBuffer.wrap(b));
        // flow control: a client that does not read its FETCH responses holds a worker, not unbounded memory
        if (io.getScheduledWriteBytes() > MAX_QUEUED_WRITE) {
            if (!f.awaitUninterruptibly(server.settings().idleTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                log.info("{}: client does not read, closing", id);
                io.closeNow();
            }
        }
    }

    boolean isClosed() {
        return closed;
    }

    static String folderArg(String raw) throws Args.Bad {
        try {
            return Folders.normalize(ModifiedUtf7.decode(raw));
        } catch (IllegalArgumentException e) {
            throw new Args.Bad("Mailbox name is not valid modified UTF-7");
        }
    }

    /**
     * A LIST / LSUB pattern from the client, decoded like a mailbox name. Every mailbox name or pattern the client
     * sends goes through this or {@link #folderArg}: modified UTF-7 refuses 8-bit and control characters with an
     * IllegalArgumentException, which escaped from LIST and LSUB as an internal error (found by ImapCommandFuzzTest).
     */
    static String patternArg(String raw) throws Args.Bad {
        try {
            return ModifiedUtf7.decode(raw);
        } catch (IllegalArgumentException e) {
            throw new Args.Bad("Mailbox pattern is not valid modified UTF-7");
        }
    }

    static String folderOut(String name) {
        return ModifiedUtf7.encode(name);
    }

    /** For responses: the folder's special-use attribute, or the default folders' one. */
    static boolean isJunk(FolderInfo info) {
        return info.attributes().stream().anyMatch(a -> a.equalsIgnoreCase("\\Junk"));
    }

    static List<String> upper(List<String> in) {
        List<String> out = new ArrayList<>();
        for (String s : in) out.add(s.toUpperCase(Locale.ROOT));
        return out;
    }
}

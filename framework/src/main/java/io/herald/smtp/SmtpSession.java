package io.herald.smtp;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.SenderPolicy;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.smtp.SmtpHook;
import io.herald.host.ExtensionRegistry;
import io.herald.queue.Spool;
import io.herald.sasl.SaslExchange;
import io.herald.sasl.SaslFailure;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.polling.AbstractPollingIoProcessor;
import org.apache.mina.core.session.AbstractIoSession;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * One SMTP session (RFC 5321): a state machine fed the bytes MINA reads, answering on the same {@link IoSession}.
 *
 * <p><b>Threading.</b> All state is guarded by this object's monitor. Bytes are appended to an input buffer and
 * processed in order. Anything slow (hooks, routers) runs off the I/O thread on {@link HookRunner}, the end-of-DATA
 * commit on the queue's committer (or, when no other commit is in flight, on this thread: see
 * {@link io.herald.queue.FileQueue}); routers that answer {@link Router#routeWithoutBlocking} and hooks that are
 * {@link SmtpHook#nonBlocking nonBlocking} run on the I/O thread, without hand-off. While slow work is pending the
 * session is {@code pending}: reading from the socket is suspended
 * ({@link IoSession#suspendRead()}), bytes already received (pipelined commands, RFC 2920) stay in the buffer, and
 * processing resumes in order when the reply has been written.
 *
 * <p><b>Message data.</b> DATA is decoded by {@link DataDecoder} (see there for bare CR/LF and long lines) and
 * BDAT chunks (RFC 3030) are copied as they are; both stream into the {@link Spool} through {@link SpoolSink}, so a
 * message is never held whole in memory. {@code 250} after the data is sent only when the spool's commit completed.
 *
 * <p><b>STARTTLS</b> (RFC 3207). After {@code 220 2.0.0} the {@link org.apache.mina.filter.ssl.SslFilter} is added
 * on the thread that processes the command, while reading is suspended or on the I/O thread itself, so every later
 * byte passes through TLS. Plain-text bytes the client sent after STARTTLS before the handshake (already in the
 * input buffer) are discarded unread, never executed (the CVE-2011-0411 command injection). Then the session forgets
 * EHLO, the transaction and any authentication: the client must send EHLO again.
 *
 * <p><b>AUTH</b> (RFC 4954) runs a {@link SaslExchange}: each step completes off the I/O thread (failure replies
 * after the throttle's delay) through the same {@code await} as hooks, so reading is suspended meanwhile. While an
 * exchange is running, input lines are SASL responses (up to 12288 octets, RFC 4954 §4), not commands.
 *
 * <p><b>Relay.</b> A recipient a router answers {@link Route.Relay} for is accepted only from an authenticated
 * client or one in {@link SmtpSettings#relayNetworks()}; others get {@code 550 5.7.1}, and routers that are
 * {@link Router#relayOnly() relay-only} (MX lookups) are not even asked for them. On submission a MAIL
 * before AUTH gets {@code 530 5.7.0} and, with {@code senderCheck}, a sender the user does not own {@code 553 5.7.1}.
 */
final class SmtpSession {

    private static final Logger log = LoggerFactory.getLogger(SmtpSession.class);

    private enum Mode { COMMAND, DATA, BDAT, AUTH }

    /** The name of the TLS filter in a session's filter chain. */
    static final String TLS_FILTER = "tls";

    /** RFC 4954 §4: a SASL response line may be up to 12288 octets. */
    private static final int MAX_AUTH_LINE = 12288;

    /** One mail transaction: from MAIL to the end of the data, RSET, or a new EHLO/HELO. */
    private static final class Transaction {
        final Optional<MailAddress> reversePath;
        final Map<String, String> parameters;
        final boolean smtputf8;
        final List<MailAddress> recipients = new ArrayList<>();
        SpoolSink sink;
        DataDecoder decoder;
        boolean bdat;
        boolean committing;

        Transaction(Optional<MailAddress> reversePath, Map<String, String> parameters) {
            this.reversePath = reversePath;
            this.parameters = parameters;
            this.smtputf8 = parameters.containsKey("SMTPUTF8");
        }

        Envelope envelope() {
            return new Envelope(reversePath, recipients, parameters);
        }

        void discard() {
            if (sink != null && !committing) sink.spool().discard();
        }
    }

    private final SmtpServer server;
    private final SmtpSettings settings;
    private final IoSession io;
    private final ExtensionRegistry.Extensions extensions;
    private final String id;

    private byte[] in = new byte[4096];
    private int inStart;
    private int inEnd;
    private boolean pending;
    private volatile boolean stopping;        // the listener is stopping: see stop()
    private volatile boolean committingHere;  // a commit runs on the thread that holds the monitor: see stop()
    private boolean writeBlocked;        // the client does not read its replies: stop reading until it does
    private boolean closed;
    private boolean discardingLongLine;
    private Mode mode = Mode.COMMAND;

    private String helo;
    private boolean esmtp;
    private boolean tls;
    private String user;                 // the authenticated principal
    private SaslExchange exchange;       // the AUTH exchange running, if any
    private int errors;
    private Transaction tx;
    private Transaction finishing;   // between the end of the data and the reply to it
    private long lastPendingEnd = System.nanoTime() - Duration.ofDays(1).toNanos();   // when slow work last finished
    private long awaitingCommandSince = System.nanoTime();   // when the server began waiting for the next command line

    // BDAT chunk being received (RFC 3030): bytes still to read, LAST, and the reply owed if the chunk is refused
    private long chunkRemaining;
    private long chunkSize;
    private boolean chunkLast;
    private SmtpReply chunkRefusal;

    SmtpSession(SmtpServer server, IoSession io, ExtensionRegistry.Extensions extensions, String id) {
        this.server = server;
        this.settings = server.settings();
        this.io = io;
        this.extensions = extensions;
        this.id = id;
        this.tls = settings.role().implicitTls();
    }

    // ---------------------------------------------------------------- MINA events

    synchronized void opened() {
        if (closed) return;
        setIdle(settings.commandTimeout());
        SessionInfo si = info();
        await(runHooks(HookStage.CONNECT, si, h -> h.onConnect(si)), (outcome, e) -> {
            if (outcome.refusal != null) {
                reply(outcome.refusal);
                close();
            } else {
                send(new SmtpReply(220, null, server.identity().hostname() + " ESMTP Herald"));
            }
        });
    }

    synchronized void received(IoBuffer buf) {
        int n = buf.remaining();
        if (closed) return;
        if (commandTimedOut()) {
            // slowloris: a command line dribbled in a byte at a time resets MINA's idle timer with every byte, but
            // RFC 5321 §4.5.3.2.7 bounds the time the server awaits the next command, not the gap between bytes
            log.info("{}: command not complete within {}, closing", id, settings.commandTimeout());
            reply(SmtpReply.TIMEOUT);
            close();
            return;
        }
        if (in.length - inEnd < n) {
            if (inEnd - inStart + n <= in.length) {
                System.arraycopy(in, inStart, in, 0, inEnd - inStart);
            } else {
                byte[] bigger = new byte[Math.max(in.length * 2, inEnd - inStart + n)];
                System.arraycopy(in, inStart, bigger, 0, inEnd - inStart);
                in = bigger;
            }
            inEnd -= inStart;
            inStart = 0;
        }
        buf.get(in, inEnd, n);
        inEnd += n;
        process();
    }

    /** True when a command line has been awaited longer than {@code commandTimeout} (time spent on our own work excluded). */
    private boolean commandTimedOut() {
        if (pending || (mode != Mode.COMMAND && mode != Mode.AUTH)) return false;
        long since = Math.max(awaitingCommandSince, lastPendingEnd);
        return System.nanoTime() - since > settings.commandTimeout().toNanos();
    }

    /** The client read replies: once the backlog is down to half the limit, reading (and answering) resumes. */
    synchronized void written() {
        if (!writeBlocked || closed || io.getScheduledWriteBytes() > settings.maxUnsentReplyBytes() / 2) return;
        writeBlocked = false;
        process();
        if (!closed) updateReading();
    }

    /** RFC 5321 §4.5.3.2: the client did not send the next command or data block in time. */
    synchronized void idle() {
        // MINA counts from the last read; time spent waiting for our own hooks or the queue does not count
        Duration timeout = mode == Mode.DATA || mode == Mode.BDAT ? settings.dataTimeout() : settings.commandTimeout();
        if (pending || closed || System.nanoTime() - lastPendingEnd < timeout.toNanos()) return;
        log.info("{}: timeout in {} mode, closing", id, mode);
        reply(SmtpReply.TIMEOUT);
        close();
    }

    synchronized void closedByPeer() {
        if (!closed && finishing != null && finishing.committing) {
            log.warn("{}: connection closed while {} was being committed; no reply sent (the queue keeps it if the commit completes)",
                    id, finishing.sink.spool().id());
        }
        closed = true;
        discardAll();
    }

    /**
     * The listener is stopping ({@link SmtpServer#beginStop()}; RFC 5321 §3.8): {@code 421 4.3.2} and close, at once,
     * or, when the commit of a message whose end of data was received is under way, once its outcome has been
     * answered (in {@link #endOfMessage}). Called from the stopping thread; never waits for a commit: one made durable on
     * the thread that holds this session's monitor ({@link #committingHere}) is left to that thread, which sees
     * {@link #stopping} when it is done. (Either this method sees {@code committingHere} set, or that thread sees
     * {@code stopping} before it commits: both are volatile, written before they read the other.)
     */
    void stop() {
        stopping = true;
        if (committingHere) return;
        synchronized (this) {
            if (closed || finishing != null && finishing.committing) return;
            reply(SmtpReply.SHUTTING_DOWN);
            close();
        }
    }

    // ---------------------------------------------------------------- input processing

    private void process() {
        while (!pending && !closed && !writeBlocked && inStart < inEnd) {
            switch (mode) {
                case COMMAND, AUTH -> {
                    if (!commandLine()) return;
                }
                case DATA -> data();
                case BDAT -> chunk();
            }
        }
        if (inStart == inEnd) inStart = inEnd = 0;
    }

    /**
     * Takes one command line from the buffer; false when no whole line is there yet. A command line ends with CRLF;
     * a bare LF is accepted as its end too (commands carry no message text, so this cannot smuggle anything), and a
     * bare CR stays inside the line, where it makes a syntax error.
     */
    private boolean commandLine() {
        int lf = -1;
        for (int p = inStart; p < inEnd; p++) {
            if (in[p] == '\n') {
                lf = p;
                break;
            }
        }
        int maxLength = mode == Mode.AUTH ? Math.max(MAX_AUTH_LINE, settings.maxCommandLength()) : settings.maxCommandLength();
        if (discardingLongLine) {
            if (lf < 0) {
                inStart = inEnd;
                return false;
            }
            inStart = lf + 1;
            awaitingCommandSince = System.nanoTime();
            discardingLongLine = false;
            abortAuth();
            error(SmtpReply.LINE_TOO_LONG);
            return true;
        }
        if (lf < 0) {
            if (inEnd - inStart >= maxLength) {  // §4.5.3.1.4: 512 octets including CRLF
                discardingLongLine = true;
                inStart = inEnd;
            }
            return false;
        }
        int length = lf + 1 - inStart;
        int end = lf > inStart && in[lf - 1] == '\r' ? lf - 1 : lf;
        String line = decode(in, inStart, end - inStart);
        inStart = lf + 1;
        awaitingCommandSince = System.nanoTime();
        if (length > maxLength) {
            abortAuth();
            error(SmtpReply.LINE_TOO_LONG);
        } else if (line == null) {
            abortAuth();
            error(SmtpReply.NOT_UTF8);
        } else if (mode == Mode.AUTH) {
            authResponse(line);
        } else {
            command(line);
        }
        return true;
    }

    /**
     * A command line as text, or null when it is not valid UTF-8: RFC 6531 §3.3 extends the syntax with UTF-8 only, and
     * a byte decoded as U+FFFD would change an address that is then accepted, stored and relayed.
     */
    static String decode(byte[] b, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            if (b[i] < 0) {
                try {
                    return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b, offset, length)).toString();
                } catch (java.nio.charset.CharacterCodingException e) {
                    return null;
                }
            }
        }
        return new String(b, offset, length, StandardCharsets.US_ASCII);
    }

    private void data() {
        int n = tx.decoder.feed(in, inStart, inEnd - inStart);
        inStart += n;
        if (tx.decoder.isDone()) {
            mode = Mode.COMMAND;
            awaitingCommandSince = System.nanoTime();
            setIdle(settings.commandTimeout());
            endOfMessage();
        }
    }

    private void chunk() {
        int n = (int) Math.min(chunkRemaining, inEnd - inStart);
        if (chunkRefusal == null && tx != null && tx.sink != null) tx.sink.write(in, inStart, n);
        inStart += n;
        chunkRemaining -= n;
        if (chunkRemaining == 0) endOfChunk();
    }

    // ---------------------------------------------------------------- commands

    private void command(String line) {
        int sp = line.indexOf(' ');
        String verb = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String arg = sp < 0 ? "" : line.substring(sp + 1);
        switch (verb) {
            case "EHLO" -> hello(arg, true);
            case "HELO" -> hello(arg, false);
            case "MAIL" -> mail(arg);
            case "RCPT" -> rcpt(arg);
            case "DATA" -> data(arg);
            case "BDAT" -> bdat(arg);
            case "RSET" -> rset(arg);
            case "NOOP" -> reply(SmtpReply.OK);
            case "QUIT" -> quit();
            case "VRFY" -> {
                if (arg.isBlank()) error(new SmtpReply(501, "5.5.4", "VRFY needs an argument"));
                else reply(SmtpReply.CANNOT_VRFY);
            }
            case "HELP" -> reply(SmtpReply.HELP);
            case "STARTTLS" -> starttls(arg);
            case "AUTH" -> auth(arg);
            case "EXPN", "TURN", "ETRN", "SEND", "SOML", "SAML" -> error(SmtpReply.NOT_IMPLEMENTED);
            case "" -> error(SmtpReply.SYNTAX_ERROR);
            default -> error(verb.chars().allMatch(c -> c >= 'A' && c <= 'Z') ? SmtpReply.UNKNOWN_COMMAND : SmtpReply.SYNTAX_ERROR);
        }
    }

    /** EHLO / HELO (RFC 5321 §4.1.1.1): resets any transaction, like RSET. */
    private void hello(String arg, boolean extended) {
        String domain = arg.trim();
        if (domain.isEmpty() || domain.contains(" ") || !(PathParser.isDomain(domain.replace('_', '-')) || PathParser.isAddressLiteral(domain))) {
            error(new SmtpReply(501, "5.5.2", (extended ? "EHLO" : "HELO") + " needs a domain or an address literal"));
            return;
        }
        resetTransaction();
        SessionInfo si = info();
        await(runHooks(HookStage.HELO, si, h -> h.onHelo(si, domain)), (outcome, e) -> {
            if (outcome.refusal != null) {
                reply(outcome.refusal);
                return;
            }
            helo = domain;
            esmtp = extended;
            String greeting = server.identity().hostname() + " Hello " + domain + " " + ReceivedField.addressLiteral(remote());
            if (!extended) {
                reply(new SmtpReply(250, null, greeting));
                return;
            }
            // RFC 2034 §3: the EHLO reply carries no enhanced status codes
            List<String> lines = new ArrayList<>(List.of(greeting,
                    "PIPELINING",                              // RFC 2920
                    "SIZE " + settings.maxMessageSize(),       // RFC 1870
                    "8BITMIME",                                // RFC 6152
                    "ENHANCEDSTATUSCODES",                     // RFC 2034
                    "SMTPUTF8",                                // RFC 6531
                    "CHUNKING"));                              // RFC 3030
            if (server.starttlsOffered() && !tls) lines.add("STARTTLS");                   // RFC 3207 §4.2: not after TLS
            if (server.authOffered() && user == null) {                                    // RFC 4954
                List<String> mechanisms = server.sasl().mechanisms(tls, remote());
                if (!mechanisms.isEmpty()) lines.add("AUTH " + String.join(" ", mechanisms));
            }
            lines.add("HELP");
            send(multiline(250, lines));
        });
    }

    /** MAIL FROM:&lt;reverse-path&gt; [parameters] (RFC 5321 §4.1.1.2). */
    private void mail(String arg) {
        if (helo == null) { error(SmtpReply.HELO_FIRST); return; }
        if (tx != null) { error(SmtpReply.NESTED_MAIL); return; }
        if (settings.requireAuth() && user == null) { reply(SmtpReply.AUTH_REQUIRED); return; }   // RFC 4954 §6
        if (!arg.regionMatches(true, 0, "FROM:", 0, 5)) { error(new SmtpReply(501, "5.5.2", "Syntax: MAIL FROM:<address>")); return; }
        PathParser.Parsed parsed;
        try {
            parsed = PathParser.reversePath(arg.substring(5));
        } catch (PathParser.SyntaxException e) {
            error(syntaxReply(e, "5.1.7"));
            return;
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (Map.Entry<String, String> p : parsed.parameters().entrySet()) {
            String key = p.getKey();
            String value = p.getValue();
            if (!esmtp) { error(SmtpReply.UNKNOWN_PARAMETER.withText("Parameters need EHLO")); return; }
            switch (key) {
                case "SIZE" -> {                       // RFC 1870 §6
                    if (!value.matches("[0-9]{1,20}")) { error(badParameter("SIZE needs a number of octets")); return; }
                    if (value.length() > 18 || Long.parseLong(value) > settings.maxMessageSize()) {
                        reply(SmtpReply.MESSAGE_TOO_BIG);
                        return;
                    }
                }
                case "BODY" -> {                       // RFC 6152
                    value = value.toUpperCase(Locale.ROOT);
                    if (!value.equals("7BIT") && !value.equals("8BITMIME")) { error(badParameter("BODY must be 7BIT or 8BITMIME")); return; }
                }
                case "SMTPUTF8" -> {                   // RFC 6531 §3.4
                    if (!value.isEmpty()) { error(badParameter("SMTPUTF8 takes no value")); return; }
                }
                default -> { error(SmtpReply.UNKNOWN_PARAMETER); return; }
            }
            params.put(key, value);
        }
        if (parsed.nonAscii() && !params.containsKey("SMTPUTF8")) { error(SmtpReply.UTF8_REQUIRED); return; }
        // RFC 1870 §6.1: a temporary lack of storage is 452 4.3.1 at MAIL, before the client sends a byte of the message
        if (!server.queue().hasRoomFor(params.containsKey("SIZE") ? Long.parseLong(params.get("SIZE")) : 0)) {
            log.warn("{}: the queue's file system is (nearly) full; MAIL answered 452 4.3.1", id);
            reply(SmtpReply.STORAGE_FAILED);
            return;
        }
        Optional<MailAddress> from = parsed.address();
        SessionInfo si = info();
        String principal = user;
        CompletableFuture<Outcome> decision;
        if (settings.senderCheck() && principal != null && server.sasl() != null) {
            // RFC 6409 §6.1: the user may only use addresses of their own as the envelope sender
            decision = server.runner().call("sender policy", () -> server.sasl().senderPolicy().check(principal, from))
                    .thenCompose(d -> switch (d) {
                        case ALLOW -> runHooks(HookStage.MAIL, si, h -> h.onMail(si, from));
                        case DENY -> CompletableFuture.completedFuture(new Outcome(SmtpReply.SENDER_NOT_OWNED, List.of()));
                        case TEMPORARY_FAILURE -> CompletableFuture.completedFuture(new Outcome(SmtpReply.SENDER_CHECK_FAILED, List.of()));
                    });
        } else {
            decision = runHooks(HookStage.MAIL, si, h -> h.onMail(si, from));
        }
        await(decision, (outcome, e) -> {
            if (e != null) {
                log.warn("{}: sender policy for {} failed; answering 451", id, principal, e);
                reply(SmtpReply.SENDER_CHECK_FAILED);
                return;
            }
            if (outcome.refusal != null) {
                reply(outcome.refusal);
                return;
            }
            tx = new Transaction(from, params);
            reply(SmtpReply.SENDER_OK);
        });
    }

    /** RCPT TO:&lt;forward-path&gt; (RFC 5321 §4.1.1.3): the router chain, then the RCPT hooks. */
    private void rcpt(String arg) {
        if (tx == null) { error(SmtpReply.MAIL_FIRST); return; }
        if (tx.sink != null) { error(SmtpReply.RCPT_AFTER_BDAT); return; }
        if (!arg.regionMatches(true, 0, "TO:", 0, 3)) { error(new SmtpReply(501, "5.5.2", "Syntax: RCPT TO:<address>")); return; }
        PathParser.Parsed parsed;
        try {
            parsed = PathParser.forwardPath(arg.substring(3));
        } catch (PathParser.SyntaxException e) {
            error(syntaxReply(e, "5.1.3"));
            return;
        }
        if (!parsed.parameters().isEmpty()) { error(SmtpReply.UNKNOWN_PARAMETER); return; }
        if (parsed.nonAscii() && !tx.smtputf8) { error(SmtpReply.UTF8_REQUIRED); return; }
        if (tx.recipients.size() >= settings.maxRecipients()) { reply(SmtpReply.TOO_MANY_RECIPIENTS); return; }
        MailAddress recipient = parsed.address().orElseGet(this::postmaster);
        Transaction t = tx;
        Envelope envelope = t.envelope();
        SessionInfo si = info();
        boolean mayRelay = user != null || settings.trusted(remote().getAddress());
        CompletableFuture<SmtpReply> decision = route(envelope, recipient, 0, mayRelay).thenCompose(route -> {
            if (route instanceof Route.Refuse r)
                return CompletableFuture.completedFuture(new SmtpReply(r.code(), r.enhancedCode(), r.text()));
            // only local recipients for unauthenticated clients: a Relay route needs AUTH or a trusted network
            if (!(route instanceof Route.Local) && !(route instanceof Route.Relay && mayRelay))
                return CompletableFuture.completedFuture(SmtpReply.RELAY_DENIED);
            return runHooks(HookStage.RCPT, si, h -> h.onRcpt(si, envelope, recipient))
                    .thenApply(outcome -> outcome.refusal != null ? outcome.refusal : SmtpReply.RECIPIENT_OK);
        });
        await(decision, (answer, e) -> {
            if (e != null) {
                if (noStore(e)) {
                    // a router asked the store (auth-file: does the user's mailbox exist?) while none is active, as at
                    // start-up: the documented 451 4.3.0, not a failing router (one line, no stack trace per RCPT)
                    log.info("{}: <{}>: no mailbox store is active yet; answering 451", id, recipient);
                    reply(SmtpReply.NO_STORE);
                    return;
                }
                log.warn("{}: routing <{}> failed; answering 451", id, recipient, e);
                reply(SmtpReply.ROUTING_FAILED);
                return;
            }
            if (answer == SmtpReply.RECIPIENT_OK && tx == t) t.recipients.add(recipient);
            reply(answer);
        });
    }

    /**
     * The first router answer that is not {@link Route.Pass}; a router that throws or times out fails the future. Each
     * router is first asked {@link Router#routeWithoutBlocking} on the calling thread (the I/O thread, or the hook
     * thread that ran the previous router); only a router that answers empty there is called on the hook executor.
     */
    private CompletableFuture<Route> route(Envelope envelope, MailAddress recipient, int index, boolean mayRelay) {
        List<Router> routers = extensions.routers();
        if (index == routers.size()) return CompletableFuture.completedFuture(Route.pass());
        Router router = routers.get(index);
        // a relay-only router has nothing to say to a client that may not relay (Router#relayOnly)
        if (!mayRelay && router.relayOnly()) return route(envelope, recipient, index + 1, mayRelay);
        Optional<Route> now;
        try {
            now = router.routeWithoutBlocking(envelope, recipient);
        } catch (RuntimeException e) {
            recordOutcome(router, e);
            return CompletableFuture.failedFuture(e);
        }
        if (now != null && now.isPresent()) {
            recordOutcome(router, null);
            Route r = now.get();
            return r instanceof Route.Pass ? route(envelope, recipient, index + 1, mayRelay) : CompletableFuture.completedFuture(r);
        }
        return server.runner().call("router " + router.getClass().getName(), () -> router.route(envelope, recipient))
                .whenComplete((r, e) -> recordOutcome(router, e))
                .thenCompose(r -> r == null || r instanceof Route.Pass
                        ? route(envelope, recipient, index + 1, mayRelay)
                        : CompletableFuture.completedFuture(r));
    }

    /** DATA (RFC 5321 §4.1.1.4). */
    private void data(String arg) {
        if (!arg.isEmpty()) { error(SmtpReply.NO_ARGUMENTS_ALLOWED); return; }
        if (tx == null) { error(SmtpReply.MAIL_FIRST); return; }
        if (tx.bdat) { error(SmtpReply.DATA_AFTER_BDAT); return; }
        if (tx.recipients.isEmpty()) { error(SmtpReply.RCPT_FIRST); return; }
        Transaction t = tx;
        await(openSpool(t), (sink, e) -> {
            if (e != null) {
                reply(SmtpReply.STORAGE_FAILED);
                resetTransaction();
                return;
            }
            t.decoder = new DataDecoder(settings.maxLineLength(), sink);
            mode = Mode.DATA;
            setIdle(settings.dataTimeout());
            reply(SmtpReply.START_MAIL_INPUT);
        });
    }

    /** BDAT chunk-size [LAST] (RFC 3030 §2): the chunk's octets follow the command line and are always consumed. */
    private void bdat(String arg) {
        String[] words = arg.trim().split(" +");
        if (arg.isBlank() || words.length > 2 || !words[0].matches("[0-9]{1,18}")
                || words.length == 2 && !words[1].equalsIgnoreCase("LAST")) {
            error(new SmtpReply(501, "5.5.4", "Syntax: BDAT <octets> [LAST]"));  // the chunk size is unknown: nothing can be skipped
            return;
        }
        chunkSize = chunkRemaining = Long.parseLong(words[0]);
        chunkLast = words.length == 2;
        chunkRefusal = null;
        if (tx == null) chunkRefusal = SmtpReply.MAIL_FIRST;
        else if (tx.recipients.isEmpty()) chunkRefusal = SmtpReply.RCPT_FIRST;
        if (chunkRefusal != null || tx.sink != null) {
            startChunk();
            return;
        }
        Transaction t = tx;
        t.bdat = true;
        await(openSpool(t), (sink, e) -> {
            if (e != null) chunkRefusal = SmtpReply.STORAGE_FAILED;
            startChunk();
        });
    }

    private void startChunk() {
        mode = Mode.BDAT;
        setIdle(settings.dataTimeout());
        if (chunkRemaining == 0) endOfChunk();
    }

    private void endOfChunk() {
        mode = Mode.COMMAND;
        awaitingCommandSince = System.nanoTime();
        setIdle(settings.commandTimeout());
        if (chunkRefusal != null) {
            SmtpReply refusal = chunkRefusal;
            chunkRefusal = null;
            if (refusal == SmtpReply.STORAGE_FAILED) {
                resetTransaction();
                reply(refusal);
            } else {
                error(refusal);
            }
        } else if (tx.sink.overLimit()) {
            resetTransaction();          // RFC 3030 §2: a failed chunk ends the transaction; later BDATs get 503
            reply(SmtpReply.MESSAGE_TOO_BIG);
        } else if (chunkLast) {
            endOfMessage();
        } else {
            reply(new SmtpReply(250, "2.0.0", chunkSize + " octets received"));
        }
    }

    private void rset(String arg) {
        if (!arg.isBlank()) { error(SmtpReply.NO_ARGUMENTS_ALLOWED); return; }
        resetTransaction();
        reply(SmtpReply.RESET_OK);
    }

    private void quit() {
        reply(new SmtpReply(221, "2.0.0", server.identity().hostname() + " closing connection"));
        close();
    }

    // ---------------------------------------------------------------- STARTTLS and AUTH

    /** STARTTLS (RFC 3207 §4). */
    private void starttls(String arg) {
        if (tls) { error(new SmtpReply(503, "5.5.1", "TLS already active")); return; }
        if (!server.starttlsOffered()) { error(SmtpReply.NOT_IMPLEMENTED); return; }
        if (!arg.isEmpty()) { error(new SmtpReply(501, "5.5.4", "Syntax error (no parameters allowed)")); return; }
        org.apache.mina.filter.ssl.SslFilter filter;
        try {
            filter = server.newSslFilter();
        } catch (RuntimeException e) {
            log.warn("{}: cannot start TLS", id, e);
            reply(new SmtpReply(454, "4.7.0", "TLS not available due to temporary reason"));
            return;
        }
        reply(new SmtpReply(220, "2.0.0", "Ready to start TLS"));
        // RFC 3207 §4.2 and CVE-2011-0411: what the client sent after STARTTLS in plain text is never executed
        int injected = inEnd - inStart;
        if (injected > 0) log.info("{}: discarding {} plain-text octets sent after STARTTLS", id, injected);
        inStart = inEnd = 0;
        io.getFilterChain().addFirst(TLS_FILTER, filter);
        tls = true;
        // RFC 3207 §4.2: discard all knowledge obtained from the client before TLS
        resetTransaction();
        helo = null;
        esmtp = false;
        user = null;
    }

    /** AUTH mechanism [initial-response] (RFC 4954 §4). */
    private void auth(String arg) {
        if (!server.authOffered()) { error(SmtpReply.NOT_IMPLEMENTED); return; }
        if (helo == null || !esmtp) { error(new SmtpReply(503, "5.5.1", "Bad sequence of commands: send EHLO first")); return; }
        if (user != null) { error(new SmtpReply(503, "5.5.1", "Bad sequence of commands: already authenticated")); return; }
        if (tx != null) { error(new SmtpReply(503, "5.5.1", "Bad sequence of commands: AUTH not allowed during a mail transaction")); return; }
        String[] words = arg.trim().split(" +");
        if (arg.isBlank() || words.length > 2) { error(new SmtpReply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]")); return; }
        exchange = server.sasl().begin(words[0], new AuthContext(words[0], settings.listener(), remote(), tls));
        authStep(exchange, exchange.start(words.length == 2 ? Optional.of(words[1]) : Optional.empty()));
    }

    /** A line from the client during an AUTH exchange: a base64 response, or {@code *} to cancel. */
    private void authResponse(String line) {
        authStep(exchange, exchange.respond(line));
    }

    private void authStep(SaslExchange ex, CompletionStage<SaslExchange.Outcome> step) {
        await(step.toCompletableFuture(), (outcome, e) -> {
            if (exchange != ex) return;   // aborted meanwhile
            if (e != null) {
                log.warn("{}: authentication failed internally", id, e);
                outcome = new SaslExchange.Outcome.Failure(SaslFailure.TEMPORARY, e.toString());
            }
            if (outcome instanceof SaslExchange.Outcome.Continue c) {
                mode = Mode.AUTH;
                send(c.smtpReply() + "\r\n");
                return;
            }
            mode = Mode.COMMAND;
            exchange = null;
            if (outcome instanceof SaslExchange.Outcome.Success s) {
                user = s.principal();
                log.info("{}: authenticated as {}", id, user);
                send(s.smtpReply() + "\r\n");
            } else {
                SaslFailure kind = ((SaslExchange.Outcome.Failure) outcome).kind();
                error(new SmtpReply(kind.smtpCode(), kind.enhancedCode(), kind.text()));
            }
        });
    }

    /** An AUTH exchange ends without an outcome (a response line too long). */
    private void abortAuth() {
        if (mode == Mode.AUTH) {
            mode = Mode.COMMAND;
            exchange = null;
        }
    }

    // ---------------------------------------------------------------- the end of a message

    /**
     * The end of DATA or of BDAT LAST: refusals found while receiving, then the message hooks, then the commit; 250
     * only when the commit completed. The transaction is over in every case (RFC 5321 §4.1.1.4).
     */
    private void endOfMessage() {
        Transaction t = tx;
        tx = null;
        SpoolSink sink = t.sink;
        SmtpReply refusal = null;
        if (sink.overLimit()) refusal = SmtpReply.MESSAGE_TOO_BIG;
        else if (sink.failure() != null) refusal = SmtpReply.STORAGE_FAILED;
        else if (t.decoder != null && t.decoder.sawBareCrOrLf()) refusal = SmtpReply.BARE_LINE_ENDING;
        else if (t.decoder != null && t.decoder.sawLineTooLong())
            refusal = SmtpReply.LINE_TOO_LONG.withText("Line too long: line " + t.decoder.firstLongLine()
                    + " of the message has more than " + settings.maxLineLength() + " octets including CRLF (the limit here)");
        if (refusal != null) {
            if (sink.failure() != null) log.warn("{}: writing spool {} failed", id, sink.spool().id(), sink.failure());
            t.discard();
            reply(refusal);
            return;
        }
        Spool spool = sink.spool();
        MessageContent content = null;
        try {
            // only a hook that reads the message needs the spool flushed to its file now; without one the commit
            // writes the message (most fit the spool's buffer) in one go
            if (anyHookAt(HookStage.MESSAGE)) content = spool.content();
        } catch (java.io.IOException e) {
            log.warn("{}: reading spool {} failed", id, spool.id(), e);
            t.discard();
            reply(SmtpReply.STORAGE_FAILED);
            return;
        }
        Envelope envelope = t.envelope();
        SessionInfo si = info();
        finishing = t;
        MessageContent message = content;
        await(runHooks(HookStage.MESSAGE, si, h -> h.onMessage(si, envelope, message)), (outcome, e) -> {
            if (outcome.refusal != null) {
                finishing = null;
                t.discard();
                reply(outcome.refusal);
                return;
            }
            // the commit may be made durable right here, holding the monitor: stop() must not wait for it (see there)
            committingHere = true;
            if (stopping) {
                // the stop came first: nothing acknowledged, nothing committed; the client sends it again later
                committingHere = false;
                finishing = null;
                t.discard();
                reply(SmtpReply.SHUTTING_DOWN);
                close();
                return;
            }
            t.committing = true;
            CompletableFuture<Void> commit;
            try {
                commit = spool.commit(outcome.headers);
            } finally {
                committingHere = false;
            }
            await(commit, (ok, failure) -> {
                finishing = null;
                if (io.isClosing()) {
                    // cut off by the stop (shutdownGrace) before the outcome: no reply, the client will send it again
                    log.warn("{}: {} {} after the connection was cut off; no reply sent", id, spool.id(),
                            failure == null ? "was queued" : "failed");
                    return;
                }
                if (failure != null) {
                    log.warn("{}: committing {} failed", id, spool.id(), failure);
                    reply(SmtpReply.STORAGE_FAILED);
                } else {
                    log.info("{}: queued {} from {} for {} ({} octets)", id, spool.id(), envelope.reversePathText(), envelope.recipients(), sink.received());
                    reply(new SmtpReply(250, "2.0.0", "Ok: queued as " + spool.id()));
                }
                // RFC 5321 §3.8: the outcome of the message first, then the stop
                if (stopping) {
                    reply(SmtpReply.SHUTTING_DOWN);
                    close();
                }
            });
        });
    }

    /**
     * Opens the spool and writes the {@code Received:} field first (RFC 5321 §4.4). This runs on the thread that
     * processes the command, like the spool writes that follow it: creating one file in the local queue costs about
     * what writing a block does, far less than handing the work to another thread and back.
     */
    private CompletableFuture<SpoolSink> openSpool(Transaction t) {
        Envelope envelope = t.envelope();
        Spool spool = null;
        try {
            spool = server.queue().open(info(), envelope);
            SpoolSink sink = new SpoolSink(spool, settings.maxMessageSize());
            String received = ReceivedField.render(helo, remote(), server.identity().hostname(),
                    ReceivedField.protocol(esmtp, t.smtputf8, tls, user != null), spool.id(), envelope.recipients(),
                    ZonedDateTime.now());
            sink.writeTrace(received.getBytes(StandardCharsets.UTF_8));
            t.sink = sink;
            return CompletableFuture.completedFuture(sink);
        } catch (java.io.IOException | RuntimeException e) {
            log.warn("{}: cannot open a spool", id, e);
            if (spool != null) spool.discard();
            return CompletableFuture.failedFuture(e);
        }
    }

    // ---------------------------------------------------------------- hooks

    /** True when some hook of this session takes part in the stage (overrides its method). */
    private boolean anyHookAt(HookStage stage) {
        for (SmtpHook h : extensions.smtpHooks()) if (stage.implementedBy(h)) return true;
        return false;
    }

    /** The decision of a hook chain at one stage: a refusal (Reject/Defer), or none, plus headers added by Next. */
    private record Outcome(SmtpReply refusal, List<HeaderField> headers) { }

    /**
     * Runs the hook chain for a stage, in priority order. Next asks the next hook (and may add headers); Accept stops
     * the chain; Reject/Defer stop it with that reply. A hook that throws, hangs or returns null is logged and counts
     * as Next: the SMTP core fails open for hooks.
     */
    private CompletableFuture<Outcome> runHooks(HookStage stage, SessionInfo si, Function<SmtpHook, HookResult> call) {
        return runHooks(stage, si, call, 0, new ArrayList<>());
    }

    private CompletableFuture<Outcome> runHooks(HookStage stage, SessionInfo si, Function<SmtpHook, HookResult> call, int from,
                                                List<HeaderField> headers) {
        List<SmtpHook> hooks = extensions.smtpHooks();
        int index = from;
        while (index < hooks.size()) {
            SmtpHook hook = hooks.get(index);
            if (!stage.implementedBy(hook)) {   // would answer Next: no hand-off
                index++;
                continue;
            }
            String what = stage.label() + " hook " + hook.getClass().getName();
            if (!nonBlocking(hook, si, what)) {
                int at = index;
                return server.runner().call(what, () -> call.apply(hook))
                        .whenComplete((r, e) -> recordOutcome(hook, e))
                        .handle((result, e) -> checked(what, result, e))
                        .thenCompose(result -> {
                            Outcome decided = decide(result, headers);
                            return decided != null ? CompletableFuture.completedFuture(decided) : runHooks(stage, si, call, at + 1, headers);
                        });
            }
            // SmtpHook#nonBlocking: called right here, on the I/O thread (or the hook thread of the previous hook)
            HookResult result = null;
            Throwable failure = null;
            try {
                result = call.apply(hook);
            } catch (RuntimeException e) {
                failure = e;
            }
            recordOutcome(hook, failure);
            Outcome decided = decide(checked(what, result, failure), headers);
            if (decided != null) return CompletableFuture.completedFuture(decided);
            index++;
        }
        return CompletableFuture.completedFuture(new Outcome(null, headers));
    }

    /** Whether to call the hook on this thread ({@link SmtpHook#nonBlocking}); a hook that throws here is handed off. */
    private boolean nonBlocking(SmtpHook hook, SessionInfo si, String what) {
        try {
            return hook.nonBlocking(si);
        } catch (RuntimeException e) {
            log.warn("{}: {}: nonBlocking() failed; called on the hook executor", id, what, e);
            return false;
        }
    }

    /** A hook's answer under the fail-open policy: a failure or null counts as Next. */
    private HookResult checked(String what, HookResult result, Throwable e) {
        if (e != null) {
            log.warn("{}: {} failed; treated as Next", id, what, e);
            return HookResult.next();
        }
        if (result == null) {
            log.warn("{}: {} returned null; treated as Next", id, what);
            return HookResult.next();
        }
        return result;
    }

    /** The stage's outcome when this answer decides it; null for Next (its headers are added, the chain goes on). */
    private static Outcome decide(HookResult result, List<HeaderField> headers) {
        if (result instanceof HookResult.Next next) {
            headers.addAll(next.addHeaders());
            return null;
        }
        if (result instanceof HookResult.Reject r) return new Outcome(new SmtpReply(r.code(), r.enhancedCode(), r.text()), headers);
        if (result instanceof HookResult.Defer d) return new Outcome(new SmtpReply(d.code(), d.enhancedCode(), d.text()), headers);
        return new Outcome(null, headers);   // Accept
    }

    /**
     * Waits for slow work without blocking the I/O thread: reading is suspended, already-received bytes stay
     * buffered, and {@code then} runs (under the session's monitor) when the work is done; then processing resumes.
     */
    private <T> void await(CompletableFuture<T> work, BiConsumer<T, Throwable> then) {
        if (work.isDone()) {
            complete(work, then);
            return;
        }
        pending = true;
        updateReading();
        work.whenComplete((r, e) -> {
            synchronized (this) {
                pending = false;
                lastPendingEnd = System.nanoTime();
                if (closed) return;
                complete(work, then);
                // process what is buffered before reading again: a STARTTLS among it must add the TLS filter
                // before any later byte is read, or that byte would bypass TLS
                if (!pending && !closed) process();
                if (!closed) updateReading();
            }
        });
    }

    /** Reads from the socket only while no slow work is pending and the client takes its replies. */
    private void updateReading() {
        suspendRead(pending || writeBlocked);
    }

    /**
     * Suspends or resumes reading from the socket. MINA's {@code suspendRead()}/{@code resumeRead()} change the
     * selector's interest set in the calling thread, which races with the I/O thread's own updates (for writes) when
     * called from a hook thread, and a lost update would stall the session. So the session's I/O processor is also
     * asked to re-apply the read/write flags on its own thread, which makes the final state right.
     */
    @SuppressWarnings({"rawtypes", "unchecked"})
    private void suspendRead(boolean suspend) {
        if (suspend) io.suspendRead();
        else io.resumeRead();
        for (Object key : io.getAttributeKeys()) {
            if (io.getAttribute(key) instanceof AbstractPollingIoProcessor processor) {
                processor.updateTrafficMask((AbstractIoSession) io);
                return;
            }
        }
    }

    private <T> void complete(CompletableFuture<T> work, BiConsumer<T, Throwable> then) {
        T result = null;
        Throwable failure = null;
        try {
            result = work.join();
        } catch (RuntimeException e) {
            failure = e.getCause() != null ? e.getCause() : e;
        }
        try {
            then.accept(result, failure);
        } catch (RuntimeException e) {
            log.error("{}: internal error", id, e);
            resetTransaction();
            reply(SmtpReply.LOCAL_ERROR);
        }
    }

    // ---------------------------------------------------------------- replies and helpers

    private void error(SmtpReply r) {
        reply(r);
        if (r.isProtocolError() && ++errors >= settings.maxErrors()) {
            reply(SmtpReply.TOO_MANY_ERRORS);
            close();
        }
    }

    private void reply(SmtpReply r) {
        send(r.render(esmtp));
    }

    private void send(String text) {
        if (closed) return;
        io.write(IoBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        // RFC 2920 §3.1 lets a client send commands without waiting for replies, but not without ever reading them:
        // a client that does not read would make the write queue grow without bound, so stop reading until it does
        if (!writeBlocked && io.getScheduledWriteBytes() > settings.maxUnsentReplyBytes()) {
            writeBlocked = true;
            log.debug("{}: {} octets of replies unread by the client; reading suspended", id, io.getScheduledWriteBytes());
            updateReading();
        }
    }

    private void send(SmtpReply r) {
        reply(r);
    }

    private static String multiline(int code, List<String> lines) {
        StringBuilder b = new StringBuilder();
        for (int k = 0; k < lines.size(); k++) b.append(code).append(k == lines.size() - 1 ? ' ' : '-').append(lines.get(k)).append("\r\n");
        return b.toString();
    }

    private static SmtpReply syntaxReply(PathParser.SyntaxException e, String addressCode) {
        return switch (e.part()) {
            case PATH -> new SmtpReply(501, "5.5.2", e.getMessage());
            case ADDRESS -> new SmtpReply(501, addressCode, e.getMessage());   // RFC 3463: X.1.7 sender, X.1.3 recipient syntax
            case PARAMETER -> new SmtpReply(501, "5.5.4", e.getMessage());
        };
    }

    private static SmtpReply badParameter(String text) {
        return new SmtpReply(501, "5.5.4", text);
    }

    private void resetTransaction() {
        if (tx != null) tx.discard();
        tx = null;
    }

    /** {@code <Postmaster>} without a domain (RFC 5321 §4.1.1.3) means the postmaster of this server. */
    private MailAddress postmaster() {
        String host = server.identity().hostname();
        if (server.identity().isLocal(host) || server.identity().localDomains().isEmpty()) return new MailAddress("postmaster", host);
        return new MailAddress("postmaster", server.identity().localDomains().stream().sorted().findFirst().orElseThrow());
    }

    private void close() {
        closed = true;
        discardAll();
        // a client that does not read its replies would never let the flush finish
        if (writeBlocked) io.closeNow();
        else io.closeOnFlush();
    }

    /** The session ended: an uncommitted message is forgotten (a message being committed is kept). */
    private void discardAll() {
        if (tx != null) tx.discard();
        if (finishing != null) finishing.discard();
        tx = null;
        finishing = null;
    }

    private void setIdle(Duration d) {
        io.getConfig().setIdleTime(IdleStatus.READER_IDLE, (int) Math.max(1, (d.toMillis() + 999) / 1000));
    }

    private InetSocketAddress remote() {
        return (InetSocketAddress) io.getRemoteAddress();
    }

    SessionInfo info() {
        return new SessionInfo(id, settings.listener(), remote(), (InetSocketAddress) io.getLocalAddress(),
                Optional.ofNullable(helo), esmtp, tls, Optional.ofNullable(user));
    }

    private static boolean noStore(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause())
            if (c instanceof io.herald.host.ActiveMailboxStore.NoStoreException) return true;
        return false;
    }

    /** Feeds the registry's circuit breaker (a plugin failing every call is quarantined); saturation is not the plugin's fault. */
    private void recordOutcome(Object contribution, Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof java.util.concurrent.RejectedExecutionException
                || cause instanceof io.herald.host.ActiveMailboxStore.NoStoreException) return;
        server.registry().recordOutcome(contribution, cause);
    }
}

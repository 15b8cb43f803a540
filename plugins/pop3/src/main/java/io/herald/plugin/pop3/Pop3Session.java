package io.herald.plugin.pop3;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.Logins;
import io.herald.api.auth.SaslOutcome;
import io.herald.api.auth.SaslServer;
import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * One POP3 session (RFC 1939, RFC 2449 CAPA and response codes, RFC 2595 STLS, RFC 5034 SASL): a state machine fed the
 * octets the network reads, answering through a {@link Transport}. It knows nothing of MINA, so the protocol tests
 * drive it directly.
 *
 * <p><b>States.</b> AUTHORIZATION (USER/PASS, AUTH, CAPA, STLS, QUIT), TRANSACTION (STAT, LIST, RETR, DELE, NOOP,
 * RSET, TOP, UIDL, CAPA, QUIT) and UPDATE, entered by QUIT from TRANSACTION, which removes the messages marked by DELE.
 * A connection that ends any other way (the client vanishes, the autologout timer, too many errors) never enters
 * UPDATE: nothing is removed (RFC 1939 §6).
 *
 * <p><b>Threading.</b> All state is guarded by this object's monitor. Lines are taken from an input buffer in order;
 * work that may block or wait (a login, opening the maildrop, streaming a message, the UPDATE) runs on the worker
 * executor, and meanwhile the session is {@code pending}: reading is suspended, lines already received (RFC 2449
 * PIPELINING) wait in the buffer, and processing resumes in order when the work's last octet has been handed to the
 * transport. Messages are streamed in chunks, each read only when the previous one has been written, so a large
 * message is never held in memory and a slow client holds no thread.
 *
 * <p><b>Limits.</b> A command line longer than {@code maxCommandLength} (255 octets with CRLF, RFC 2449 §4) is
 * answered {@code -ERR} and skipped to its end; {@code maxErrors} protocol errors close the connection; the
 * autologout timer closes an idle one. Failed logins are slowed down and locked out by the core's throttle, shared
 * with SMTP AUTH and IMAP ({@link Logins}).
 */
final class Pop3Session {

    private static final Logger log = LoggerFactory.getLogger(Pop3Session.class);

    /** What the session needs from the network. Calls are made under the session's monitor or from worker threads. */
    interface Transport {
        /** Writes octets in order; {@code whenWritten} (may be null) runs once they left (or the connection closed). */
        void write(byte[] octets, Runnable whenWritten);

        /** Puts TLS in front of every later octet, both ways (after the {@code +OK} to STLS was written). */
        void startTls() throws Exception;

        /** Stops or resumes reading from the client. */
        void suspendRead(boolean suspend);

        /** Closes the connection once what was written has been sent. */
        void close();

        InetSocketAddress remote();
    }

    /** The server-wide parts every session shares. */
    record Services(MailboxStore store, Logins logins, MaildropLocks locks, Maildrop.SizeCache sizes, Executor workers,
                    String hostname, Pop3Settings settings) { }

    private enum State { AUTHORIZATION, TRANSACTION, UPDATE }

    private enum Mode { COMMAND, SASL }

    // Replies (RFC 1939 §3: "+OK" or "-ERR", then text; RFC 2449 §8 and RFC 3206 response codes in brackets).
    static final String GREETING = "+OK Herald POP3 server ready";
    static final String UNKNOWN_COMMAND = "-ERR unknown command";
    static final String WRONG_STATE = "-ERR command not valid in this state";
    static final String EMPTY_COMMAND = "-ERR empty command line";
    static final String LINE_TOO_LONG = "-ERR line too long";
    static final String NO_SUCH_MESSAGE = "-ERR no such message";
    static final String TOO_MANY_ERRORS = "-ERR too many errors, closing connection";
    static final String AUTOLOGOUT = "-ERR autologout: idle for too long";
    static final String NO_LOGIN = "-ERR autologout: no login within ";
    static final String TOO_MANY_SESSIONS = "-ERR [SYS/TEMP] too many connections, try again later";
    static final String TOO_MANY_FROM_ADDRESS = "-ERR [SYS/TEMP] too many connections from your address, try again later";
    static final String SHUTTING_DOWN = "-ERR [SYS/TEMP] server shutting down";
    static final String SERVER_BUSY = "-ERR [SYS/TEMP] server busy, try again later";
    static final String AUTH_FAILED = "-ERR [AUTH] invalid user name or password";
    static final String AUTH_TEMPORARY = "-ERR [SYS/TEMP] temporary authentication failure, try again later";
    static final String AUTH_LOCKED_OUT = "-ERR [SYS/TEMP] too many failed logins, try again later";
    static final String AUTH_NEEDS_TLS = "-ERR [AUTH] plaintext authentication needs TLS: use STLS first";
    static final String AUTH_UNSUPPORTED = "-ERR unsupported authentication mechanism";
    static final String AUTH_MALFORMED = "-ERR cannot decode the authentication response";
    static final String AUTH_CANCELLED = "-ERR authentication cancelled";
    static final String IN_USE = "-ERR [IN-USE] maildrop already locked by another session";
    static final String MAILDROP_FAILED = "-ERR [SYS/TEMP] cannot open the maildrop, try again later";
    static final String NO_MAILBOX = "-ERR [SYS/PERM] no mailbox for this user";
    static final String UPDATE_FAILED = "-ERR [SYS/TEMP] some deleted messages were not removed";
    static final String MESSAGE_GONE = "-ERR message was removed by another client";
    static final String TLS_ACTIVE = "-ERR TLS already active";
    static final String TLS_UNAVAILABLE = "-ERR [SYS/TEMP] TLS not available";
    static final String OK_STLS = "+OK begin TLS negotiation";

    /** Chunks of a message handed to the transport at a time. */
    private static final int CHUNK = 32 * 1024;
    /** Chunks written to the transport and not yet sent, at most. */
    private static final int WINDOW = 4;
    private static final byte[] CRLF = {'\r', '\n'};
    private static final byte[] TERMINATOR = {'.', '\r', '\n'};

    private final Services services;
    private final Pop3Settings settings;
    private final Transport transport;
    private final String listener;
    private final String id;
    private final boolean stlsOffered;

    private byte[] in = new byte[1024];
    private int inStart;
    private int inEnd;
    private boolean discardingLongLine;
    private boolean pending;
    private boolean closed;
    private long lastActivity = System.nanoTime();

    private State state = State.AUTHORIZATION;
    private Mode mode = Mode.COMMAND;
    private boolean tls;
    private String user;              // from USER, waiting for PASS
    private SaslServer sasl;          // the AUTH exchange running
    private String principal;         // who logged in
    private Maildrop maildrop;
    private int errors;

    /**
     * @param tls         true on the implicit-TLS listener (the handshake is done before the greeting)
     * @param stlsOffered whether STLS may be used on this connection
     */
    Pop3Session(Services services, Transport transport, String listener, String id, boolean tls, boolean stlsOffered) {
        this.services = services;
        this.settings = services.settings();
        this.transport = transport;
        this.listener = listener;
        this.id = id;
        this.tls = tls;
        this.stlsOffered = stlsOffered;
    }

    // ---------------------------------------------------------------- network events

    synchronized void opened() {
        line(GREETING);
    }

    synchronized void received(byte[] b, int off, int len) {
        if (closed) return;
        lastActivity = System.nanoTime();
        if (in.length - inEnd < len) {
            int live = inEnd - inStart;
            byte[] target = live + len <= in.length ? in : new byte[Math.max(in.length * 2, live + len)];
            System.arraycopy(in, inStart, target, 0, live);
            in = target;
            inEnd = live;
            inStart = 0;
        }
        System.arraycopy(b, off, in, inEnd, len);
        inEnd += len;
        process();
    }

    /** The network saw no input for a while: RFC 1939 §3 autologout, without UPDATE. Time spent on our own work does not count. */
    synchronized void idle() {
        if (closed || pending) return;
        if (System.nanoTime() - lastActivity < settings.idleTimeout().toNanos()) return;
        log.info("{}: autologout after {} idle", id, settings.idleTimeout());
        line(AUTOLOGOUT);
        close();
    }

    /**
     * {@code loginTimeout} has passed since the connect (on the listener's timer thread): a session still in the
     * AUTHORIZATION state is closed (RFC 1939 §3 allows closing an idle unauthenticated session). True when a login
     * is being checked now: ask again a little later.
     */
    synchronized boolean loginTimeout() {
        if (closed || state != State.AUTHORIZATION) return false;
        if (pending) return true;
        log.info("{}: no login within {} from {}, closing", id, settings.loginTimeout(), transport.remote());
        line(NO_LOGIN + settings.loginTimeout().toSeconds() + "s");
        close();
        return false;
    }

    /** The client closed the connection (or it broke): no UPDATE. */
    synchronized void closedByPeer() {
        closed = true;
        release();
    }

    /** The server stops: tell an idle client, then close (no UPDATE). */
    synchronized void shutdown() {
        if (closed) return;
        if (!pending) line(SHUTTING_DOWN);
        close();
    }

    synchronized boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------- input

    private void process() {
        while (!pending && !closed && inStart < inEnd) {
            if (!nextLine()) break;
        }
        if (inStart == inEnd) inStart = inEnd = 0;
    }

    /**
     * Takes one line from the buffer; false when no whole line is there yet. A line ends with CRLF; a bare LF is
     * taken as its end too (commands carry no message text). An over-long line is answered once it ends, and skipped.
     */
    private boolean nextLine() {
        int lf = -1;
        for (int p = inStart; p < inEnd; p++) {
            if (in[p] == '\n') {
                lf = p;
                break;
            }
        }
        int max = mode == Mode.SASL ? settings.maxAuthLine() : settings.maxCommandLength();
        if (discardingLongLine) {
            if (lf < 0) {
                inStart = inEnd;
                return false;
            }
            inStart = lf + 1;
            discardingLongLine = false;
            lineTooLong();
            return true;
        }
        if (lf < 0) {
            if (inEnd - inStart >= max) {
                discardingLongLine = true;
                inStart = inEnd;
            }
            return false;
        }
        int length = lf + 1 - inStart;
        int end = lf > inStart && in[lf - 1] == '\r' ? lf - 1 : lf;
        String text = new String(in, inStart, end - inStart, StandardCharsets.UTF_8);
        inStart = lf + 1;
        if (length > max) lineTooLong();
        else if (mode == Mode.SASL) saslResponse(text);
        else command(text);
        return true;
    }

    private void lineTooLong() {
        int max = mode == Mode.SASL ? settings.maxAuthLine() : settings.maxCommandLength();
        if (mode == Mode.SASL) {   // the exchange ends without an outcome
            mode = Mode.COMMAND;
            sasl = null;
        }
        error(LINE_TOO_LONG + " (more than " + max + " octets including CRLF)");
    }

    // ---------------------------------------------------------------- commands

    private void command(String text) {
        if (text.isBlank()) {
            error(EMPTY_COMMAND);
            return;
        }
        int sp = text.indexOf(' ');
        String keyword = (sp < 0 ? text : text.substring(0, sp)).toUpperCase(Locale.ROOT);
        String rest = sp < 0 ? "" : text.substring(sp + 1);
        switch (keyword) {
            case "CAPA" -> capa(rest);
            case "QUIT" -> quit(rest);
            case "USER" -> inState(State.AUTHORIZATION, () -> user(rest));
            case "PASS" -> inState(State.AUTHORIZATION, () -> pass(rest));
            case "AUTH" -> inState(State.AUTHORIZATION, () -> auth(rest));
            case "STLS" -> inState(State.AUTHORIZATION, () -> stls(rest));
            case "APOP" -> inState(State.AUTHORIZATION, () -> error("-ERR APOP not supported"));
            case "STAT" -> inState(State.TRANSACTION, () -> stat(rest));
            case "LIST" -> inState(State.TRANSACTION, () -> list(rest));
            case "UIDL" -> inState(State.TRANSACTION, () -> uidl(rest));
            case "RETR" -> inState(State.TRANSACTION, () -> retr(rest));
            case "TOP" -> inState(State.TRANSACTION, () -> top(rest));
            case "DELE" -> inState(State.TRANSACTION, () -> dele(rest));
            case "NOOP" -> inState(State.TRANSACTION, () -> noArguments("NOOP", rest, () -> line("+OK")));
            case "RSET" -> inState(State.TRANSACTION, () -> rset(rest));
            default -> error(UNKNOWN_COMMAND);
        }
    }

    private void inState(State required, Runnable command) {
        if (state != required) error(WRONG_STATE);
        else command.run();
    }

    private void noArguments(String keyword, String rest, Runnable command) {
        if (!rest.isBlank()) error("-ERR syntax: " + keyword + " takes no arguments");
        else command.run();
    }

    /** RFC 2449 §5: the capabilities in the current state. */
    private void capa(String rest) {
        noArguments("CAPA", rest, () -> {
            List<String> caps = new ArrayList<>(List.of("TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"));
            if (state == State.AUTHORIZATION) {
                AuthContext ctx = authContext("PLAIN");
                if (services.logins().plaintextAllowed(ctx)) caps.add("USER");
                List<String> mechanisms = services.logins().mechanisms(ctx);
                if (!mechanisms.isEmpty()) caps.add("SASL " + String.join(" ", mechanisms));   // RFC 5034 §3
                if (stlsOffered && !tls) caps.add("STLS");                                      // RFC 2595 §4
            }
            caps.add("IMPLEMENTATION Herald");
            multiline("+OK capability list follows", caps);
        });
    }

    /** RFC 1939 §4 (AUTHORIZATION: just close) and §6 (TRANSACTION: enter UPDATE). */
    private void quit(String rest) {
        if (!rest.isBlank()) {
            error("-ERR syntax: QUIT takes no arguments");
            return;
        }
        if (state != State.TRANSACTION) {
            line("+OK Herald POP3 server signing off");
            close();
            return;
        }
        state = State.UPDATE;
        Maildrop drop = maildrop;
        String who = principal;
        // the lock is held until the store has removed the messages, even when the client does not wait for the reply
        CompletableFuture<Integer> update = supplyAsync(drop::update).whenComplete((r, e) -> services.locks().unlock(who));
        await(update, (removed, e) -> {
            if (e != null) {
                log.warn("{}: UPDATE of {} failed", id, drop.mailbox(), e);
                line(UPDATE_FAILED);
            } else {
                log.info("{}: {} signed off, {} messages removed", id, principal, removed);
                line("+OK Herald POP3 server signing off (" + removed + " messages deleted)");
            }
            close();
        });
    }

    // ---------------------------------------------------------------- AUTHORIZATION

    /** RFC 1939 §7 USER: never tells whether the user exists. */
    private void user(String rest) {
        String name = rest.trim();
        if (name.isEmpty() || name.contains(" ")) {
            error("-ERR syntax: USER name");
            return;
        }
        if (!services.logins().plaintextAllowed(authContext("PLAIN"))) {
            user = null;
            line(AUTH_NEEDS_TLS);
            return;
        }
        user = name;
        line("+OK send PASS");
    }

    /** RFC 1939 §7 PASS: the rest of the line is the password (it may contain spaces). */
    private void pass(String rest) {
        if (user == null) {
            error("-ERR send USER first");
            return;
        }
        if (rest.isEmpty()) {
            error("-ERR syntax: PASS string");
            return;
        }
        String identity = user;
        user = null;   // RFC 1939: after a failed PASS the client starts again with USER
        char[] password = rest.toCharArray();
        CompletionStage<SaslOutcome> login;
        try {
            login = services.logins().password(identity, password, authContext("PLAIN"));
        } catch (RuntimeException e) {
            Arrays.fill(password, '\0');
            throw e;
        }
        await(login.toCompletableFuture().whenComplete((o, e) -> Arrays.fill(password, '\0')), this::authenticated);
    }

    /**
     * RFC 5034 AUTH mechanism [initial-response]; {@code AUTH} alone lists the mechanisms (as many servers do for
     * clients older than CAPA).
     */
    private void auth(String rest) {
        String[] words = rest.trim().isEmpty() ? new String[0] : rest.trim().split(" +");
        if (words.length == 0) {
            multiline("+OK", services.logins().mechanisms(authContext("PLAIN")));
            return;
        }
        if (words.length > 2) {
            error("-ERR syntax: AUTH mechanism [initial-response]");
            return;
        }
        Optional<byte[]> initial = Optional.empty();
        if (words.length == 2) {
            if (words[1].equals("=")) {
                initial = Optional.of(new byte[0]);    // RFC 5034 §4: an empty initial response
            } else {
                Optional<byte[]> decoded = base64(words[1]);
                if (decoded.isEmpty()) {
                    error(AUTH_MALFORMED);
                    return;
                }
                initial = decoded;
            }
        }
        SaslServer exchange = services.logins().begin(words[0], authContext(words[0].toUpperCase(Locale.ROOT)));
        sasl = exchange;
        saslStep(exchange, exchange.start(initial));
    }

    /** A line during AUTH: a base64 response, or {@code *} to cancel (RFC 5034 §4). */
    private void saslResponse(String text) {
        SaslServer exchange = sasl;
        String s = text.trim();
        if (s.equals("*")) {
            saslStep(exchange, exchange.cancel());
            return;
        }
        Optional<byte[]> decoded = base64(s);
        if (decoded.isEmpty()) {
            mode = Mode.COMMAND;
            sasl = null;
            error(AUTH_MALFORMED);
            return;
        }
        saslStep(exchange, exchange.respond(decoded.get()));
    }

    private void saslStep(SaslServer exchange, CompletionStage<SaslOutcome> step) {
        await(step.toCompletableFuture(), (outcome, e) -> {
            if (sasl != exchange) return;
            if (e == null && outcome instanceof SaslOutcome.Challenge c) {
                mode = Mode.SASL;
                line("+ " + Base64.getEncoder().encodeToString(c.data()));   // RFC 5034 §4: "+" SP base64
                return;
            }
            mode = Mode.COMMAND;
            sasl = null;
            authenticated(outcome, e);
        });
    }

    /** The end of USER/PASS or AUTH: on success lock and open the maildrop, entering TRANSACTION. */
    private void authenticated(SaslOutcome outcome, Throwable e) {
        if (e != null) {
            log.warn("{}: login failed internally", id, e);
            line(AUTH_TEMPORARY);
            return;
        }
        if (outcome instanceof SaslOutcome.Failure f) {
            switch (f.kind()) {
                case INVALID_CREDENTIALS -> line(AUTH_FAILED);
                case TEMPORARY -> line(AUTH_TEMPORARY);
                case LOCKED_OUT -> line(AUTH_LOCKED_OUT);
                case ENCRYPTION_REQUIRED -> line(AUTH_NEEDS_TLS);
                case UNSUPPORTED_MECHANISM -> error(AUTH_UNSUPPORTED);
                case MALFORMED -> error(AUTH_MALFORMED);
                case CANCELLED -> line(AUTH_CANCELLED);
            }
            return;
        }
        if (!(outcome instanceof SaslOutcome.Success s)) {
            log.warn("{}: unexpected login outcome {}", id, outcome);
            line(AUTH_TEMPORARY);
            return;
        }
        String who = s.principal();
        if (!services.locks().tryLock(who)) {   // RFC 1939 §4: exclusive access to the maildrop; RFC 2449 [IN-USE]
            log.info("{}: {} logged in, maildrop locked by another session", id, who);
            line(IN_USE);
            return;
        }
        principal = who;
        await(supplyAsync(() -> Maildrop.open(services.store(), who, services.sizes())), (drop, failure) -> {
            if (failure != null) {
                services.locks().unlock(who);
                principal = null;
                if (failure instanceof MailboxException me && me.reason() == MailboxException.Reason.NO_SUCH_MAILBOX) {
                    log.info("{}: {} has no mailbox", id, who);
                    line(NO_MAILBOX);
                } else {
                    log.warn("{}: opening the maildrop of {} failed", id, who, failure);
                    line(MAILDROP_FAILED);
                }
                return;
            }
            maildrop = drop;
            state = State.TRANSACTION;
            log.info("{}: {} logged in ({} messages)", id, who, drop.liveCount());
            line("+OK maildrop has " + drop.liveCount() + " messages (" + drop.liveSize() + " octets)");
        });
    }

    /** RFC 2595 §4: STLS in AUTHORIZATION, before any login. */
    private void stls(String rest) {
        if (!rest.isBlank()) {
            error("-ERR syntax: STLS takes no arguments");
            return;
        }
        if (tls) {
            error(TLS_ACTIVE);
            return;
        }
        if (!stlsOffered) {
            error(UNKNOWN_COMMAND);
            return;
        }
        line(OK_STLS);
        // RFC 2595 §4 / CVE-2011-0411: what the client sent after STLS in plain text is never executed
        int injected = inEnd - inStart;
        if (injected > 0) log.info("{}: discarding {} plain-text octets sent after STLS", id, injected);
        inStart = inEnd = 0;
        try {
            transport.startTls();
        } catch (Exception e) {
            log.warn("{}: cannot start TLS", id, e);
            close();
            return;
        }
        tls = true;
        user = null;   // nothing learnt before TLS is kept
    }

    // ---------------------------------------------------------------- TRANSACTION

    /** RFC 1939 §5 STAT: "+OK nn mm", nothing else. */
    private void stat(String rest) {
        noArguments("STAT", rest, () -> line("+OK " + maildrop.liveCount() + " " + maildrop.liveSize()));
    }

    /** RFC 1939 §5 LIST [msg]: scan listings "n size". */
    private void list(String rest) {
        if (rest.isBlank()) {
            List<String> lines = new ArrayList<>();
            for (Maildrop.Entry e : maildrop.live()) lines.add(e.number() + " " + e.size());
            multiline("+OK " + maildrop.liveCount() + " messages (" + maildrop.liveSize() + " octets)", lines);
            return;
        }
        message("LIST msg", rest, 1).ifPresent(a -> line("+OK " + a.entry.number() + " " + a.entry.size()));
    }

    /** RFC 1939 §7 UIDL [msg]: "n unique-id"; unique ids are UIDVALIDITY.UID, stable across sessions. */
    private void uidl(String rest) {
        if (rest.isBlank()) {
            List<String> lines = new ArrayList<>();
            for (Maildrop.Entry e : maildrop.live()) lines.add(e.number() + " " + e.uniqueId());
            multiline("+OK unique-id listing follows", lines);
            return;
        }
        message("UIDL msg", rest, 1).ifPresent(a -> line("+OK " + a.entry.number() + " " + a.entry.uniqueId()));
    }

    /** RFC 1939 §5 DELE msg: marks the message; it is removed in UPDATE. */
    private void dele(String rest) {
        message("DELE msg", rest, 1).ifPresent(a -> {
            maildrop.delete(a.entry.number());
            line("+OK message " + a.entry.number() + " deleted");
        });
    }

    /** RFC 1939 §5 RSET: unmarks every message. */
    private void rset(String rest) {
        noArguments("RSET", rest, () -> {
            maildrop.reset();
            line("+OK maildrop has " + maildrop.liveCount() + " messages (" + maildrop.liveSize() + " octets)");
        });
    }

    /** RFC 1939 §5 RETR msg: the whole message, byte-stuffed, ended by ".". */
    private void retr(String rest) {
        message("RETR msg", rest, 1).ifPresent(a -> send(a.entry, -1, "+OK " + a.entry.size() + " octets"));
    }

    /** RFC 1939 §7 TOP msg n: the header, the empty line, and n lines of the body. */
    private void top(String rest) {
        message("TOP msg n", rest, 2).ifPresent(a -> {
            long lines = a.number2;
            send(a.entry, lines, "+OK top of message follows");
        });
    }

    private record MessageArgs(Maildrop.Entry entry, long number2) { }

    /**
     * Parses "msg" or "msg n" (RFC 1939 §3: arguments are separated by one space; numbers are decimal, a message
     * number is 1..n and may not refer to a message marked deleted). Answers the error itself; empty then.
     */
    private Optional<MessageArgs> message(String syntax, String rest, int arity) {
        String[] words = rest.trim().isEmpty() ? new String[0] : rest.trim().split(" +");
        if (words.length != arity) {
            error("-ERR syntax: " + syntax);
            return Optional.empty();
        }
        long number = number(words[0]);
        long second = arity == 2 ? number(words[1]) : 0;
        if (number < 0 || second < 0) {
            error("-ERR syntax: " + syntax + " (decimal numbers)");
            return Optional.empty();
        }
        if (number < 1 || number > Integer.MAX_VALUE || maildrop.get((int) number).isEmpty()) {
            line(number >= 1 && number <= Integer.MAX_VALUE && maildrop.isDeleted((int) number)
                    ? "-ERR message " + number + " already deleted" : NO_SUCH_MESSAGE);
            return Optional.empty();
        }
        return Optional.of(new MessageArgs(maildrop.get((int) number).orElseThrow(), second));
    }

    /** A non-negative decimal number of at most 18 digits, or -1. */
    private static long number(String s) {
        if (s.isEmpty() || s.length() > 18) return -1;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return -1;
        return Long.parseLong(s);
    }

    /** Streams a message (RETR) or its top (TOP): the +OK line, the text in chunks, the terminating ".". */
    private void send(Maildrop.Entry entry, long bodyLines, String okLine) {
        Maildrop drop = maildrop;
        CompletableFuture<Void> done = new CompletableFuture<>();
        Runnable start = () -> {
            MessageText.Reader reader;
            try {
                Optional<MessageContent> content = drop.content(entry);
                if (content.isEmpty()) {
                    synchronized (this) {
                        line(MESSAGE_GONE);
                    }
                    done.complete(null);
                    return;
                }
                reader = MessageText.open(content.get(), bodyLines);
            } catch (MailboxException | IOException | RuntimeException e) {
                log.warn("{}: reading message {} of {} failed", id, entry.message().uid(), drop.mailbox(), e);
                synchronized (this) {
                    line("-ERR [SYS/TEMP] cannot read the message");
                }
                done.complete(null);
                return;
            }
            synchronized (this) {
                line(okLine);
            }
            new Sender(reader, done).schedule();
        };
        try {
            services.workers().execute(start);
        } catch (RejectedExecutionException e) {
            line(SERVER_BUSY);
            close();
            return;
        }
        await(done, (v, e) -> { });
    }

    /**
     * Streams a message to the transport with at most {@link #WINDOW} chunks written but not yet sent: a chunk is read
     * from the store only when there is room, so memory per session stays bounded whatever the message size and the
     * client's speed, and a slow client holds no thread (reading resumes from the write-completion callback).
     */
    private final class Sender {
        private final MessageText.Reader reader;
        private final CompletableFuture<Void> done;
        private final java.util.concurrent.atomic.AtomicInteger inFlight = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean();
        private volatile boolean finished;

        Sender(MessageText.Reader reader, CompletableFuture<Void> done) {
            this.reader = reader;
            this.done = done;
        }

        /** Runs {@link #fill} on a worker unless one is running. */
        void schedule() {
            if (finished || !running.compareAndSet(false, true)) return;
            try {
                services.workers().execute(this::fill);
            } catch (RejectedExecutionException e) {
                fail(null);
            }
        }

        private void fill() {
            try {
                while (!finished && inFlight.get() < WINDOW) {
                    synchronized (Pop3Session.this) {
                        if (closed) {
                            finish();
                            return;
                        }
                    }
                    byte[] buf = new byte[CHUNK];
                    int n = reader.read(buf, 0, buf.length);
                    if (n == 0) {
                        transport.write(TERMINATOR, null);
                        finish();
                        return;
                    }
                    inFlight.incrementAndGet();
                    transport.write(n == buf.length ? buf : Arrays.copyOf(buf, n), () -> {
                        inFlight.decrementAndGet();
                        schedule();
                    });
                }
            } catch (IOException | RuntimeException e) {
                fail(e);
                return;
            } finally {
                running.set(false);
            }
            if (!finished && inFlight.get() < WINDOW) schedule();   // a write completed while this fill was ending
        }

        private void finish() {
            finished = true;
            closeQuietly(reader);
            done.complete(null);
        }

        /** The +OK is out: the client cannot be told; end the connection (no UPDATE). */
        private void fail(Exception e) {
            log.warn("{}: reading a message failed while sending it; closing", id, e);
            finish();
            synchronized (Pop3Session.this) {
                close();
            }
        }
    }

    private static void closeQuietly(MessageText.Reader r) {
        try {
            r.close();
        } catch (IOException ignored) {
            // a read-only stream of a stored message: nothing was lost
        }
    }

    // ---------------------------------------------------------------- waiting for work

    private interface Work<T> {
        T run() throws Exception;
    }

    private <T> CompletableFuture<T> supplyAsync(Work<T> work) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            services.workers().execute(() -> {
                try {
                    f.complete(work.run());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(e);
        }
        return f;
    }

    private interface Then<T> {
        void accept(T result, Throwable failure);
    }

    /**
     * Waits for work without blocking the network thread: reading is suspended, buffered lines wait, and
     * {@code then} runs under the monitor when the work is done; then the next buffered line is processed.
     */
    private <T> void await(CompletableFuture<T> work, Then<T> then) {
        if (work.isDone()) {
            complete(work, then);
            return;
        }
        pending = true;
        transport.suspendRead(true);
        work.whenComplete((r, e) -> {
            synchronized (this) {
                pending = false;
                lastActivity = System.nanoTime();
                if (closed) return;
                complete(work, then);
                if (!pending && !closed) process();
                if (!pending && !closed) transport.suspendRead(false);
            }
        });
    }

    private <T> void complete(CompletableFuture<T> work, Then<T> then) {
        T result = null;
        Throwable failure = null;
        try {
            result = work.join();
        } catch (RuntimeException e) {
            failure = e.getCause() != null ? e.getCause() : e;
        }
        if (failure instanceof RejectedExecutionException) {
            line(SERVER_BUSY);
            close();
            return;
        }
        try {
            then.accept(result, failure);
        } catch (RuntimeException e) {
            log.error("{}: internal error", id, e);
            line("-ERR [SYS/TEMP] internal error");
            close();
        }
    }

    // ---------------------------------------------------------------- output and helpers

    private void error(String reply) {
        line(reply);
        if (++errors >= settings.maxErrors()) {
            line(TOO_MANY_ERRORS);
            close();
        }
    }

    private void line(String text) {
        if (closed) return;
        transport.write((text + "\r\n").getBytes(StandardCharsets.UTF_8), null);
    }

    /** A multi-line response (RFC 1939 §3): the first line, the lines byte-stuffed, ".". */
    private void multiline(String first, List<String> lines) {
        StringBuilder b = new StringBuilder(first).append("\r\n");
        for (String l : lines) {
            if (l.startsWith(".")) b.append('.');
            b.append(l).append("\r\n");
        }
        b.append(".\r\n");
        if (!closed) transport.write(b.toString().getBytes(StandardCharsets.UTF_8), null);
    }

    private static Optional<byte[]> base64(String s) {
        try {
            return Optional.of(Base64.getDecoder().decode(s.getBytes(StandardCharsets.US_ASCII)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private AuthContext authContext(String mechanism) {
        return new AuthContext(mechanism, listener, transport.remote(), tls);
    }

    private void close() {
        if (closed) return;
        closed = true;
        release();
        transport.close();
    }

    /** Gives up the maildrop lock, unless the UPDATE holds it (it unlocks when the store is done). */
    private void release() {
        if (principal != null && state != State.UPDATE) services.locks().unlock(principal);
        principal = null;
        maildrop = null;
    }
}

package io.herald.smtp;

import io.herald.api.config.ServerIdentity;
import io.herald.host.ExtensionRegistry;
import io.herald.queue.MessageQueue;
import io.herald.api.protocol.ConnectionLimits;
import io.herald.sasl.SaslService;
import io.herald.tls.TlsContextProvider;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.CloseFuture;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.service.SimpleIoProcessorPool;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.ssl.SslFilter;
import org.apache.mina.transport.socket.nio.NioSession;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An SMTP listener (RFC 5321 with PIPELINING, SIZE, 8BITMIME, ENHANCEDSTATUSCODES, SMTPUTF8 and CHUNKING) on an
 * Apache MINA {@link NioSocketAcceptor}. Each connection is an {@link SmtpSession} that takes the extensions active
 * when it connected ({@link ExtensionRegistry#snapshot()}) and streams messages into the {@link MessageQueue}.
 *
 * <p>One class serves every {@link ListenerRole}: the MTA listener, submission with STARTTLS and submission over
 * implicit TLS differ only in their {@link SmtpSettings} (STARTTLS, AUTH, requireAuth, senderCheck) and in whether
 * the {@link SslFilter} is added when the connection opens or after STARTTLS.
 *
 * <p>Decisions worth knowing (details in {@link DataDecoder} and {@link SmtpSession}):
 * <ul>
 *   <li>The end of DATA is only {@code <CRLF>.<CRLF>}. A bare CR or bare LF anywhere in DATA never ends the data or
 *       splits a message (SMTP smuggling); the whole message is refused at its end with {@code 550 5.6.11}.</li>
 *   <li>Text lines over 1000 octets are accepted and kept as they are (RFC 5321 §4.5.3.1: 1000 is what a receiver
 *       must accept, not a limit to enforce); a line longer than {@code maxLineLength} (65536 octets with CRLF; 0 =
 *       unlimited) refuses the message at the end of the data with {@code 500 5.5.6} (RFC 5321 §4.5.3.1.10 "500 Line
 *       too long"), the session going on. A command line longer
 *       than {@code maxCommandLength} is answered {@code 500 5.5.6} and skipped to its end.</li>
 *   <li>A message over the SIZE limit is read to its end, discarded and refused with {@code 552 5.3.4}.</li>
 *   <li>Hooks fail open (a throwing or hanging hook counts as Next, after {@code hookTimeout}); routers fail
 *       closed ({@code 451 4.3.0}); {@code 250} after the data only once the queue's commit completed.</li>
 *   <li>Address syntax errors: {@code 501 5.1.7} (sender) and {@code 501 5.1.3} (recipient); a command without the
 *       {@code FROM:<...>} shape {@code 501 5.5.2}; bad parameter values {@code 501 5.5.4}, unknown parameters
 *       {@code 555 5.5.4}. Only after EHLO do replies carry enhanced status codes (RFC 2034).</li>
 * </ul>
 *
 * <pre>
 * SmtpServer smtp = new SmtpServer(SmtpSettings.from(ListenerRole.SUBMISSION, config.get("submission")), identity,
 *                                   registry, queue, tlsProvider, saslService);
 * smtp.start();          // binds; port 0 picks a free port, see port()
 * ...
 * smtp.close();
 * </pre>
 */
public final class SmtpServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SmtpServer.class);
    private static final AttributeKey SESSION = new AttributeKey(SmtpServer.class, "session");
    /** Connections the kernel may hold for accept(); capped by net.core.somaxconn. */
    static final int BACKLOG = 1024;
    /** How long {@link #close()} waits, after the sessions, for the I/O threads to stop. */
    private static final Duration DISPOSE_WAIT = Duration.ofSeconds(1);
    /** The per-address key a connection was counted under (absent: it was never counted). */
    private static final AttributeKey COUNTED = new AttributeKey(SmtpServer.class, "counted");

    /** RFC 5321 §4.3.2 allows 421 at connection time; 4.7.0: refused by policy, try again later (Postfix sends the same). */
    static final SmtpReply TOO_MANY_FROM_ADDRESS = new SmtpReply(421, "4.7.0", "Too many connections from your address, try again later");
    static final SmtpReply TOO_MANY_SESSIONS = new SmtpReply(421, "4.7.0", "Too many connections, try again later");

    private volatile SmtpSettings settings;
    private final ServerIdentity identity;
    private final ExtensionRegistry registry;
    private final MessageQueue queue;
    private final HookRunner runner;
    private final TlsContextProvider tls;    // null: no TLS on this listener
    private final SaslService sasl;          // null: no AUTH on this listener
    private final AtomicLong sessionCounter = new AtomicLong();
    /** maxSessions and maxConnectionsPerAddress, as the settings say now (they change with {@link #reconfigure}). */
    private final ConnectionLimits limits = new ConnectionLimits(() -> settings.maxSessions(),
            () -> settings.maxConnectionsPerAddress());
    private final String sessionPrefix = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private NioSocketAcceptor acceptor;
    private SimpleIoProcessorPool<NioSession> processors;
    private int port = -1;
    private volatile boolean stopping;
    private long stopDeadline;

    /** A listener without TLS and AUTH (an MTA on a trusted network, tests). */
    public SmtpServer(SmtpSettings settings, ServerIdentity identity, ExtensionRegistry registry, MessageQueue queue) {
        this(settings, identity, registry, queue, null, null);
    }

    /**
     * A listener of any {@link ListenerRole}.
     *
     * @param tls  the server's TLS identity; {@link TlsContextProvider#current()} is taken for each handshake.
     *             Null: no STARTTLS (and no implicit-TLS role)
     * @param sasl the server's SASL service; null: no AUTH (and no role that requires it)
     */
    public SmtpServer(SmtpSettings settings, ServerIdentity identity, ExtensionRegistry registry, MessageQueue queue,
                      TlsContextProvider tls, SaslService sasl) {
        if (settings.role().implicitTls() && tls == null)
            throw new IllegalArgumentException(settings.listener() + ": implicit TLS needs a TlsContextProvider");
        if (settings.requireAuth() && sasl == null)
            throw new IllegalArgumentException(settings.listener() + ": requireAuth needs a SaslService");
        this.settings = settings;
        this.identity = identity;
        this.registry = registry;
        this.queue = queue;
        this.tls = tls;
        this.sasl = sasl;
        this.runner = new HookRunner(settings.hookThreads(), settings.hookTimeout());
    }

    /** The innermost message of a bind failure (MINA wraps the JDK's "Address already in use"). */
    private static String rootCause(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null && c.getCause() != c) c = c.getCause();
        return c.getMessage() != null ? c.getMessage() : c.toString();
    }

    /** Binds the listener. */
    public synchronized void start() throws IOException {
        if (acceptor != null) throw new IllegalStateException("already started");
        // MINA's default pool (cores + 1 processors), with processors that keep their thread while idle
        SimpleIoProcessorPool<NioSession> p = new SimpleIoProcessorPool<>(ResidentNioProcessor.class);
        NioSocketAcceptor a = new NioSocketAcceptor(p);
        a.setReuseAddress(true);
        // MINA's default backlog is 50: a burst of connections beyond it has SYNs dropped and retried a second later
        a.setBacklog(BACKLOG);
        a.getSessionConfig().setTcpNoDelay(true);
        a.setHandler(new Handler());
        // close() ends the sessions itself: on deactivation MINA would close them at once, before their 421 is written
        a.setCloseOnDeactivation(false);
        try {
            a.bind(new InetSocketAddress(settings.bind(), settings.port()));
        } catch (IOException | RuntimeException e) {
            a.dispose();
            p.dispose();
            throw new IOException("cannot listen on " + settings.bind() + ":" + settings.port() + " (" + settings.listener() + "): "
                    + rootCause(e) + " (another server on this port? herald run --port-offset N moves every port)", e);
        }
        acceptor = a;
        processors = p;
        port = ((InetSocketAddress) a.getLocalAddress()).getPort();
        log.info("SMTP listener {} on {}:{}", settings.listener(), settings.bind(), port);
    }

    /** The port listened on, once started. */
    public int port() {
        if (port < 0) throw new IllegalStateException("not started");
        return port;
    }

    /**
     * Begins the stop (RFC 5321 §3.8) and returns at once: stops listening (a connection that arrives meanwhile gets
     * {@code 421} without a greeting) and tells every session to end: one waiting for the commit of a message whose
     * end of data it received answers the commit's outcome ({@code 250}, or {@code 4xx} when it failed) and then
     * {@code 421 4.3.2}; every other one answers {@code 421 4.3.2} at once (to a command still being worked on too) and
     * discards a message not yet being committed. Never waits for a commit, not even one made durable on a session's
     * own thread ({@link io.herald.queue.FileQueue}'s lone commit), so that every listener of a server can be told
     * first and all drain at the same time. {@link #close()} then waits for the sessions.
     */
    public synchronized void beginStop() {
        if (acceptor == null || stopping) return;
        stopDeadline = System.nanoTime() + settings.shutdownGrace().toNanos();
        // before the sessions are told: a session opening from now on sees it (sessionOpened) if it is not among them
        stopping = true;
        acceptor.unbind();
        // without a session: refused at connect (closing once its 421 4.7.0 is written), or not yet opened (it will
        // see stopping in sessionOpened)
        for (IoSession s : acceptor.getManagedSessions().values()) {
            if (s.getAttribute(SESSION) instanceof SmtpSession session) session.stop();
        }
    }

    /**
     * Stops the listener ({@link #beginStop()} if not yet done) and waits, until {@link SmtpSettings#shutdownGrace()}
     * after the stop began, for every session to be closed: commits under way answered, {@code 421}s written. A session
     * still open then (its commit not finished, or its client not reading) is cut off without a reply: a message it
     * was committing is the queue's (kept if its commit completes; its client, without a reply, sends it again).
     * Then the I/O threads and the hook threads are stopped; an I/O thread still held by a commit is left to finish
     * it (logged), so the stop stays bounded.
     */
    @Override
    public synchronized void close() {
        if (acceptor != null) {
            beginStop();
            List<IoSession> open = new ArrayList<>(acceptor.getManagedSessions().values());
            for (IoSession s : open) {
                CloseFuture f = s.getCloseFuture();
                if (!f.awaitUninterruptibly(Math.max(0, (stopDeadline - System.nanoTime()) / 1_000_000))) break;
            }
            open.removeIf(IoSession::isClosing);
            if (!open.isEmpty()) {
                log.warn("SMTP listener {}: {} sessions still open after shutdownGrace {} (a commit not finished, or a client not reading); cut off",
                        settings.listener(), open.size(), settings.shutdownGrace());
                for (IoSession s : open) s.closeNow();
            }
            acceptor.dispose(true);
            acceptor = null;
            // given to the acceptor, not made by it: the acceptor does not dispose it. Disposing waits for each I/O
            // thread to leave its loop, which one held by a commit (a file system not answering) does not do
            SimpleIoProcessorPool<NioSession> p = processors;
            processors = null;
            Thread disposer = new Thread(p::dispose, "herald-smtp-dispose-" + settings.listener());
            disposer.setDaemon(true);
            disposer.start();
            try {
                disposer.join(DISPOSE_WAIT.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (disposer.isAlive()) log.warn("SMTP listener {}: an I/O thread is still busy (a commit not finished); left to finish", settings.listener());
        }
        runner.close();
    }

    SmtpSettings settings() { return settings; }

    /** The largest backlog of unsent replies of any session now, in octets; for tests. */
    long largestUnsentReplies() {
        NioSocketAcceptor a = acceptor;
        if (a == null) return 0;
        return a.getManagedSessions().values().stream().mapToLong(IoSession::getScheduledWriteBytes).max().orElse(0);
    }

    /** Connections open now (counted against {@link SmtpSettings#maxSessions()}). */
    public int openSessions() { return limits.open(); }

    /** Connections refused so far because of {@code maxSessions} or {@code maxConnectionsPerAddress}. */
    public long refusedConnections() { return limits.refused(); }

    /**
     * Counts a new connection against the limits; null when it may proceed, else the refusal. A refused connection
     * is not counted (its close releases nothing).
     */
    private SmtpReply admit(IoSession io) {
        ConnectionLimits.Admission admission = limits.admit(
                io.getRemoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null);
        if (admission instanceof ConnectionLimits.Refused r)
            return r.reason() == ConnectionLimits.Reason.TOO_MANY_SESSIONS ? TOO_MANY_SESSIONS : TOO_MANY_FROM_ADDRESS;
        io.setAttribute(COUNTED, admission);
        return null;
    }

    ExtensionRegistry registry() { return registry; }

    /**
     * Hot reconfiguration: the limits and time-outs of {@code next} apply to sessions that start from now on (a session
     * reads the settings once, when it starts). The listener's name, address, port and the hook executor's size and
     * time limit need a restart; a change to those is logged and ignored.
     */
    public void reconfigure(SmtpSettings next) {
        SmtpSettings cur = settings;
        if (!cur.listener().equals(next.listener()) || !cur.bind().equals(next.bind()) || cur.port() != next.port()
                || !cur.hookTimeout().equals(next.hookTimeout()) || cur.hookThreads() != next.hookThreads()
                || cur.enabled() != next.enabled() || cur.starttls() != next.starttls()) {
            log.warn("SMTP listener {}: listener, bind, port, hookTimeout, hookThreads, enabled and starttls take effect after a restart",
                    cur.listener());
        }
        settings = new SmtpSettings(cur.listener(), cur.bind(), cur.port(), next.maxMessageSize(), next.maxRecipients(),
                next.maxCommandLength(), next.maxLineLength(), next.maxErrors(), next.commandTimeout(), next.dataTimeout(),
                cur.hookTimeout(), cur.hookThreads(), cur.role(), cur.enabled(), cur.starttls(), next.auth(),
                next.requireAuth(), next.senderCheck(), next.relayNetworks(), next.maxConnectionsPerAddress(),
                next.maxSessions(), next.maxUnsentReplyBytes(), next.shutdownGrace());
        log.info("SMTP listener {} reconfigured: maxMessageSize {}, maxRecipients {}", cur.listener(),
                next.maxMessageSize(), next.maxRecipients());
    }

    ServerIdentity identity() { return identity; }

    MessageQueue queue() { return queue; }

    HookRunner runner() { return runner; }

    SaslService sasl() { return sasl; }

    /** STARTTLS is offered (until TLS is active). */
    boolean starttlsOffered() { return settings.starttls() && tls != null; }

    /** AUTH is offered. */
    boolean authOffered() { return settings.auth() && sasl != null; }

    /** A new TLS filter (server mode, TLS 1.3 and 1.2 only) with the current certificate. */
    SslFilter newSslFilter() {
        SslFilter f = new SslFilter(tls.current());
        f.setEnabledProtocols(TlsContextProvider.PROTOCOLS.toArray(String[]::new));
        return f;
    }

    private final class Handler extends IoHandlerAdapter {
        @Override
        public void sessionCreated(IoSession io) {
            // implicit TLS (RFC 8314): the handshake comes first; the greeting waits in the filter until it is done
            if (settings.role().implicitTls()) io.getFilterChain().addFirst(SmtpSession.TLS_FILTER, newSslFilter());
        }

        @Override
        public void sessionOpened(IoSession io) {
            SmtpReply refusal = admit(io);
            if (refusal != null) {
                // refused before any hook or session state: the cheapest possible answer to a flood
                log.info("{}: refused: {}", io.getRemoteAddress(), refusal.text());
                io.write(IoBuffer.wrap(refusal.render(true).getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
                io.closeOnFlush();
                return;
            }
            String id = sessionPrefix + "-" + Long.toString(sessionCounter.incrementAndGet(), 36);
            SmtpSession session = new SmtpSession(SmtpServer.this, io, registry.snapshot(), id);
            io.setAttribute(SESSION, session);
            // after the attribute is set: beginStop() either finds this session or is seen here
            if (stopping) {
                session.stop();
                return;
            }
            log.debug("{}: connect from {}", id, io.getRemoteAddress());
            session.opened();
        }

        @Override
        public void messageReceived(IoSession io, Object message) {
            SmtpSession session = (SmtpSession) io.getAttribute(SESSION);
            if (session != null) session.received((IoBuffer) message);
        }

        @Override
        public void messageSent(IoSession io, Object message) {
            SmtpSession session = (SmtpSession) io.getAttribute(SESSION);
            if (session != null) session.written();
        }

        @Override
        public void sessionIdle(IoSession io, IdleStatus status) {
            SmtpSession session = (SmtpSession) io.getAttribute(SESSION);
            if (session != null && status == IdleStatus.READER_IDLE) session.idle();
        }

        @Override
        public void sessionClosed(IoSession io) {
            if (io.removeAttribute(COUNTED) instanceof ConnectionLimits.Admitted counted) counted.close();
            SmtpSession session = (SmtpSession) io.getAttribute(SESSION);
            if (session != null) session.closedByPeer();
        }

        @Override
        public void exceptionCaught(IoSession io, Throwable cause) {
            if (cause instanceof javax.net.ssl.SSLException || cause.getCause() instanceof javax.net.ssl.SSLException) {
                log.info("{}: TLS failed: {}", io.getRemoteAddress(), cause.toString());
                io.closeNow();
                return;
            }
            if (cause instanceof org.apache.mina.core.write.WriteToClosedSessionException) {
                // routine: the client closed first (swaks after QUIT over TLS, every time)
                log.debug("{}: {}", io.getRemoteAddress(), cause.toString());
                io.closeNow();
                return;
            }
            log.warn("{}: {}", io.getRemoteAddress(), cause.toString());
            io.closeNow();
        }
    }
}

package io.herald.plugin.imap;

import io.herald.api.auth.Logins;
import io.herald.api.config.Configuration;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.protocol.ConnectionLimits;
import io.herald.api.protocol.ProtocolService;
import io.herald.api.protocol.ServerTls;
import io.herald.api.spam.SpamFeedback;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.CloseFuture;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.AttributeKey;
import org.apache.mina.core.session.IdleStatus;
import org.apache.mina.core.session.IoSession;
import org.apache.mina.filter.ssl.SslFilter;
import org.apache.mina.transport.socket.nio.NioSocketAcceptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The IMAP listeners (a {@link ProtocolService}): IMAP with STARTTLS on {@code port} (default 2143) and IMAP over
 * implicit TLS on {@code tls.port} (default 2993), on Apache MINA like the SMTP core. Sessions run their commands on
 * a fixed pool of {@code threads} workers, never on MINA's I/O threads. Stopping unbinds both ports (at the start
 * of a server stop, {@link #stopAccepting()}, with every other listener) and ends every session with {@code * BYE}.
 *
 * <p><b>Limits.</b> Both ports count together against {@code maxSessions} and {@code maxConnectionsPerAddress} (the
 * SMTP core's keys and semantics): one connection more is greeted {@code * BYE [UNAVAILABLE] too many connections ...}
 * (RFC 9051 §7.1.5, §7.1) and closed before a session exists. A connection not logged in within {@code loginTimeout}
 * of its connect gets {@code * BYE} (RFC 9051 §5.4 autologout) and is closed.
 */
@Singleton
public final class ImapServer implements ProtocolService {

    private static final Logger log = LoggerFactory.getLogger(ImapServer.class);
    private static final AttributeKey SESSION = new AttributeKey(ImapServer.class, "session");
    private static final AttributeKey COUNTED = new AttributeKey(ImapServer.class, "counted");
    private static final AttributeKey LOGIN_TIMER = new AttributeKey(ImapServer.class, "loginTimer");
    private static final AttributeKey REFUSED = new AttributeKey(ImapServer.class, "refused");
    static final String TOO_MANY_SESSIONS = "* BYE [UNAVAILABLE] too many connections, try again later";
    static final String TOO_MANY_FROM_ADDRESS = "* BYE [UNAVAILABLE] too many connections from your address, try again later";
    /** How long a refused connection may take to read its BYE (an implicit-TLS one: to finish the handshake first). */
    private static final int REFUSED_LINGER_SECONDS = 10;
    /** How long {@link #stop()} waits for the sessions' {@code * BYE} to reach their clients. */
    static final long SHUTDOWN_GRACE_MILLIS = 2000;

    private final MailboxStore store;
    private final Logins logins;
    private final ServerTls tls;
    private final SpamFeedback spamFeedback;
    private final ImapNotifications notifications;
    private final ImapSettings settings;
    private final Map<String, NioSocketAcceptor> acceptors = new LinkedHashMap<>();
    private final AtomicLong counter = new AtomicLong();
    private final String prefix = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private final ConnectionLimits limits;
    private ExecutorService executor;
    private ScheduledThreadPoolExecutor timers;

    @Inject
    public ImapServer(MailboxStore store, Logins logins, ServerTls tls, SpamFeedback spamFeedback,
                      ImapNotifications notifications, Configuration config) {
        this.store = store;
        this.logins = logins;
        this.tls = tls;
        this.spamFeedback = spamFeedback;
        this.notifications = notifications;
        this.settings = ImapSettings.from(config);   // a wrong value fails the plugin's start, naming key and file
        this.limits = new ConnectionLimits(settings.maxSessions(), settings.maxConnectionsPerAddress());
    }

    @Override
    public String name() {
        return "imap";
    }

    @Override
    public synchronized void start() throws IOException {
        AtomicInteger n = new AtomicInteger();
        executor = new ThreadPoolExecutor(settings.workerThreads(), settings.workerThreads(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "herald-imap-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        timers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "herald-imap-timer");
            t.setDaemon(true);
            return t;
        });
        timers.setRemoveOnCancelPolicy(true);
        try {
            if (settings.port() >= 0) bind("imap", settings.port(), false);
            if (settings.tlsPort() >= 0) bind("imaps", settings.tlsPort(), true);
        } catch (IOException | RuntimeException e) {
            stop();
            throw e;
        }
    }

    private void bind(String name, int port, boolean implicitTls) throws IOException {
        NioSocketAcceptor a = new NioSocketAcceptor();
        a.setReuseAddress(true);
        a.getSessionConfig().setTcpNoDelay(true);
        // stop() ends the sessions itself: on deactivation MINA would close them at once, before their BYE is written
        a.setCloseOnDeactivation(false);
        a.setHandler(new Handler(implicitTls));
        try {
            a.bind(new InetSocketAddress(settings.bind(), port));
        } catch (IOException | RuntimeException e) {
            a.dispose();
            throw new IOException("cannot listen on " + settings.bind() + ":" + port + " (" + name + ", conf/imap.cfg "
                    + (implicitTls ? "tls.port" : "port") + ")", e);
        }
        acceptors.put(name, a);
        log.info("IMAP listener {} on {}", name, a.getLocalAddress());
    }

    /** Unbinds both ports (a new client is refused at connect); the sessions go on until {@link #stop()}. */
    @Override
    public synchronized void stopAccepting() {
        for (NioSocketAcceptor a : acceptors.values()) a.unbind();
    }

    @Override
    public synchronized void stop() {
        stopAccepting();   // both ports first: neither takes a client while the other's sessions are ended
        List<CloseFuture> closing = new ArrayList<>();
        for (NioSocketAcceptor a : acceptors.values()) {
            for (IoSession io : a.getManagedSessions().values()) {
                ImapSession s = (ImapSession) io.getAttribute(SESSION);
                if (s != null) s.shutdown();
                else io.closeNow();
                closing.add(io.getCloseFuture());
            }
        }
        // RFC 3501 §7.1.5: the BYE must reach the client before the connection closes
        long deadline = System.nanoTime() + SHUTDOWN_GRACE_MILLIS * 1_000_000;
        for (CloseFuture f : closing) {
            if (!f.awaitUninterruptibly(Math.max(0, (deadline - System.nanoTime()) / 1_000_000))) break;
        }
        for (NioSocketAcceptor a : acceptors.values()) a.dispose(true);    // closes what is left: clients that do not read
        acceptors.clear();
        if (timers != null) timers.shutdownNow();
        if (executor != null) {
            executor.shutdown();
            try {
                if (!executor.awaitTermination(5, TimeUnit.SECONDS)) executor.shutdownNow();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                executor.shutdownNow();
            }
        }
    }

    @Override
    public synchronized Map<String, InetSocketAddress> endpoints() {
        Map<String, InetSocketAddress> out = new LinkedHashMap<>();
        acceptors.forEach((name, a) -> out.put(name, (InetSocketAddress) a.getLocalAddress()));
        return out;
    }

    ImapSettings settings() { return settings; }

    /** The connections counted against {@code maxSessions} and {@code maxConnectionsPerAddress} (both ports). */
    ConnectionLimits limits() { return limits; }

    /** Asks {@code s} in {@code millis} whether it logged in; again a second later while a command is running. */
    private void loginCheck(IoSession io, ImapSession s, long millis) {
        ScheduledThreadPoolExecutor t = timers;
        if (t == null || t.isShutdown()) return;
        try {
            io.setAttribute(LOGIN_TIMER, t.schedule(() -> {
                if (s.loginTimeout()) loginCheck(io, s, 1000);
            }, millis, TimeUnit.MILLISECONDS));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // stopping: the session is being ended anyway
        }
    }

    /** Over a limit: the BYE (after the TLS handshake on the implicit-TLS port), then close; no session is made. */
    private static void refuse(IoSession io, ConnectionLimits.Reason reason) {
        io.setAttribute(REFUSED, Boolean.TRUE);
        io.getConfig().setIdleTime(IdleStatus.BOTH_IDLE, REFUSED_LINGER_SECONDS);
        String line = reason == ConnectionLimits.Reason.TOO_MANY_SESSIONS ? TOO_MANY_SESSIONS : TOO_MANY_FROM_ADDRESS;
        io.write(IoBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.US_ASCII))).addListener(f -> io.closeNow());
    }

    MailboxStore store() { return store; }

    Logins logins() { return logins; }

    SpamFeedback spamFeedback() { return spamFeedback; }

    ImapNotifications notifications() { return notifications; }

    ExecutorService executor() { return executor; }

    boolean tlsAvailable() {
        return true;
    }

    /** A TLS filter in server mode with the core's current certificate, TLS 1.3 and 1.2 only. */
    SslFilter newSslFilter() {
        SslFilter f = new SslFilter(tls.context());
        f.setEnabledProtocols(tls.protocols().toArray(String[]::new));
        return f;
    }

    private final class Handler extends IoHandlerAdapter {
        private final boolean implicitTls;

        Handler(boolean implicitTls) {
            this.implicitTls = implicitTls;
        }

        @Override
        public void sessionCreated(IoSession io) {
            // implicit TLS (RFC 8314): the handshake first; the greeting waits in the filter until it is done
            if (implicitTls) io.getFilterChain().addFirst(ImapSession.TLS_FILTER, newSslFilter());
        }

        @Override
        public void sessionOpened(IoSession io) {
            InetSocketAddress remote = io.getRemoteAddress() instanceof InetSocketAddress r ? r : null;
            ConnectionLimits.Admission admission = limits.admit(remote == null ? null : remote.getAddress());
            if (admission instanceof ConnectionLimits.Refused refused) {
                log.info("{}: refused ({}), {} connections open", remote, refused.reason(), limits.open());
                refuse(io, refused.reason());
                return;
            }
            io.setAttribute(COUNTED, admission);
            ImapSession s = new ImapSession(ImapServer.this, io, prefix + "-" + Long.toString(counter.incrementAndGet(), 36), implicitTls);
            io.setAttribute(SESSION, s);
            log.debug("{}: connect from {}", s.id, io.getRemoteAddress());
            s.opened();
            loginCheck(io, s, settings.loginTimeout().toMillis());
        }

        @Override
        public void messageReceived(IoSession io, Object message) {
            ImapSession s = (ImapSession) io.getAttribute(SESSION);
            if (s != null) s.received((IoBuffer) message);
        }

        @Override
        public void sessionIdle(IoSession io, IdleStatus status) {
            if (io.containsAttribute(REFUSED)) {
                io.closeNow();
                return;
            }
            ImapSession s = (ImapSession) io.getAttribute(SESSION);
            if (s != null && status == IdleStatus.READER_IDLE) s.idle();
        }

        @Override
        public void sessionClosed(IoSession io) {
            if (io.removeAttribute(COUNTED) instanceof ConnectionLimits.Admitted counted) counted.close();
            if (io.removeAttribute(LOGIN_TIMER) instanceof Future<?> timer) timer.cancel(false);
            ImapSession s = (ImapSession) io.getAttribute(SESSION);
            if (s != null) s.closedByPeer();
        }

        @Override
        public void exceptionCaught(IoSession io, Throwable cause) {
            if (cause instanceof javax.net.ssl.SSLException || cause.getCause() instanceof javax.net.ssl.SSLException) {
                log.info("{}: TLS failed: {}", io.getRemoteAddress(), cause.toString());
            } else if (cause instanceof IOException) {
                log.debug("{}: {}", io.getRemoteAddress(), cause.toString());
            } else {
                log.warn("{}: {}", io.getRemoteAddress(), cause.toString(), cause);
            }
            io.closeNow();
        }
    }
}

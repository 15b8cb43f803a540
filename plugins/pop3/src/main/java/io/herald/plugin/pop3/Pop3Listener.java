package io.herald.plugin.pop3;

import io.herald.api.protocol.ConnectionLimits;
import io.herald.api.protocol.ServerTls;
import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.core.future.CloseFuture;
import org.apache.mina.core.polling.AbstractPollingIoProcessor;
import org.apache.mina.core.service.IoHandlerAdapter;
import org.apache.mina.core.session.AbstractIoSession;
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
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One POP3 listener on an Apache MINA {@link NioSocketAcceptor}: either STLS (RFC 2595; TLS added to the connection
 * after the {@code +OK} to STLS) or implicit TLS (RFC 8314 §3.3; the {@link SslFilter} is there before the greeting).
 * Each connection is a {@link Pop3Session}; this class only moves octets and events between MINA and it.
 *
 * <p><b>Limits.</b> A connection is counted in {@link ConnectionLimits} (shared with the service's other listener):
 * over {@code maxSessions} or {@code maxConnectionsPerAddress} it is answered {@code -ERR [SYS/TEMP] too many
 * connections ...} (RFC 3206) and closed before a session exists. A session not logged in within
 * {@code loginTimeout} of its connect is closed ({@link Pop3Session#loginTimeout()}).
 */
final class Pop3Listener implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Pop3Listener.class);
    private static final AttributeKey SESSION = new AttributeKey(Pop3Listener.class, "session");
    private static final AttributeKey COUNTED = new AttributeKey(Pop3Listener.class, "counted");
    private static final AttributeKey LOGIN_TIMER = new AttributeKey(Pop3Listener.class, "loginTimer");
    private static final AttributeKey REFUSED = new AttributeKey(Pop3Listener.class, "refused");
    /** How long a refused connection may take to read its -ERR (an implicit-TLS one: to finish the handshake first). */
    private static final int REFUSED_LINGER_SECONDS = 10;
    static final String TLS_FILTER = "tls";
    /** How long {@link #close()} waits for the sessions' last reply to reach their clients. */
    static final long SHUTDOWN_GRACE_MILLIS = 2000;

    private final String name;
    private final String bind;
    private final int requestedPort;
    private final boolean implicitTls;
    private final boolean stls;
    private final ServerTls tls;
    private final Pop3Session.Services services;
    private final ConnectionLimits limits;
    private final AtomicLong counter = new AtomicLong();
    private final String prefix = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36);
    private NioSocketAcceptor acceptor;
    private InetSocketAddress bound;
    private ScheduledThreadPoolExecutor timers;

    /** A listener with limits of its own (from {@code services.settings()}), for tests of one listener. */
    Pop3Listener(String name, String bind, int port, boolean implicitTls, boolean stls, ServerTls tls,
                 Pop3Session.Services services) {
        this(name, bind, port, implicitTls, stls, tls, services, new ConnectionLimits(services.settings().maxSessions(),
                services.settings().maxConnectionsPerAddress()));
    }

    /** @param limits the connection counts, shared by the listeners that count together */
    Pop3Listener(String name, String bind, int port, boolean implicitTls, boolean stls, ServerTls tls,
                 Pop3Session.Services services, ConnectionLimits limits) {
        this.name = name;
        this.bind = bind;
        this.requestedPort = port;
        this.implicitTls = implicitTls;
        this.stls = stls && !implicitTls;
        this.tls = tls;
        this.services = services;
        this.limits = limits;
    }

    synchronized void start() throws IOException {
        if (acceptor != null) throw new IllegalStateException("already started");
        NioSocketAcceptor a = new NioSocketAcceptor();
        a.setReuseAddress(true);
        a.getSessionConfig().setTcpNoDelay(true);
        // MINA counts reader idleness; the session decides whether its autologout time has passed
        a.getSessionConfig().setIdleTime(IdleStatus.READER_IDLE, (int) Math.max(1, Math.min(60, services.settings().idleTimeout().toSeconds())));
        a.setHandler(new Handler());
        // close() ends the sessions itself: on deactivation MINA would close them at once, before their -ERR is written
        a.setCloseOnDeactivation(false);
        try {
            a.bind(new InetSocketAddress(bind, requestedPort));
        } catch (IOException | RuntimeException e) {
            a.dispose();
            throw new IOException("cannot listen on " + bind + ":" + requestedPort + " (" + name + ")", e);
        }
        acceptor = a;
        bound = (InetSocketAddress) a.getLocalAddress();
        timers = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "herald-pop3-timer-" + name);
            t.setDaemon(true);
            return t;
        });
        timers.setRemoveOnCancelPolicy(true);
        log.info("POP3 listener {} on {}:{}{}", name, bind, bound.getPort(), implicitTls ? " (implicit TLS)" : stls ? " (STLS)" : "");
    }

    synchronized InetSocketAddress address() {
        return bound;
    }

    String name() {
        return name;
    }

    ConnectionLimits limits() {
        return limits;
    }

    /** Unbinds: a new client is refused at connect; the sessions go on until {@link #close()}. */
    synchronized void stopAccepting() {
        if (acceptor != null) acceptor.unbind();
    }

    /** Unbinds, tells idle clients the server is going away, closes every session (no UPDATE). */
    @Override
    public synchronized void close() {
        if (acceptor == null) return;
        acceptor.unbind();
        List<CloseFuture> closing = new ArrayList<>();
        for (IoSession s : acceptor.getManagedSessions().values()) {
            Pop3Session session = (Pop3Session) s.getAttribute(SESSION);
            if (session != null) session.shutdown();
            else s.closeNow();
            closing.add(s.getCloseFuture());
        }
        long deadline = System.nanoTime() + SHUTDOWN_GRACE_MILLIS * 1_000_000;
        for (CloseFuture f : closing) {
            if (!f.awaitUninterruptibly(Math.max(0, (deadline - System.nanoTime()) / 1_000_000))) break;
        }
        acceptor.dispose(true);    // closes what is left: clients that do not read
        acceptor = null;
        timers.shutdownNow();
        timers = null;
        bound = null;
    }

    /** Asks {@code session} in {@code millis} whether it logged in; again a second later while a login is checked. */
    private void loginCheck(IoSession io, Pop3Session session, long millis) {
        ScheduledThreadPoolExecutor t;
        synchronized (this) {
            t = timers;
        }
        if (t == null) return;
        try {
            io.setAttribute(LOGIN_TIMER, t.schedule(() -> {
                if (session.loginTimeout()) loginCheck(io, session, 1000);
            }, millis, TimeUnit.MILLISECONDS));
        } catch (RejectedExecutionException e) {
            // closing: the session is being ended anyway
        }
    }

    /** Over a limit: the -ERR (after the TLS handshake on the implicit-TLS listener), then close; no session is made. */
    private static void refuse(IoSession io, ConnectionLimits.Reason reason) {
        io.setAttribute(REFUSED, Boolean.TRUE);
        io.getConfig().setIdleTime(IdleStatus.BOTH_IDLE, REFUSED_LINGER_SECONDS);
        String line = reason == ConnectionLimits.Reason.TOO_MANY_SESSIONS ? Pop3Session.TOO_MANY_SESSIONS : Pop3Session.TOO_MANY_FROM_ADDRESS;
        io.write(IoBuffer.wrap((line + "\r\n").getBytes(StandardCharsets.US_ASCII))).addListener(f -> io.closeNow());
    }

    private SslFilter newSslFilter() {
        SslFilter f = new SslFilter(tls.context());
        f.setEnabledProtocols(tls.protocols().toArray(String[]::new));
        return f;
    }

    /** The session's view of one MINA connection. */
    private final class MinaTransport implements Pop3Session.Transport {
        private final IoSession io;

        MinaTransport(IoSession io) {
            this.io = io;
        }

        @Override
        public void write(byte[] octets, Runnable whenWritten) {
            var future = io.write(IoBuffer.wrap(octets));
            if (whenWritten != null) future.addListener(f -> whenWritten.run());
        }

        @Override
        public void startTls() {
            io.getFilterChain().addFirst(TLS_FILTER, newSslFilter());
        }

        /**
         * MINA's {@code suspendRead()}/{@code resumeRead()} change the selector's interest set in the calling thread,
         * which races with the I/O thread's own updates when called from a worker; so the session's I/O processor is
         * also asked to re-apply the flags on its own thread (the same remedy as the SMTP core's session).
         */
        @Override
        @SuppressWarnings({"rawtypes", "unchecked"})
        public void suspendRead(boolean suspend) {
            if (suspend) io.suspendRead();
            else io.resumeRead();
            for (Object key : io.getAttributeKeys()) {
                if (io.getAttribute(key) instanceof AbstractPollingIoProcessor processor) {
                    processor.updateTrafficMask((AbstractIoSession) io);
                    return;
                }
            }
        }

        @Override
        public void close() {
            io.closeOnFlush();
        }

        @Override
        public InetSocketAddress remote() {
            return (InetSocketAddress) io.getRemoteAddress();
        }
    }

    private final class Handler extends IoHandlerAdapter {
        @Override
        public void sessionCreated(IoSession io) {
            if (implicitTls) io.getFilterChain().addFirst(TLS_FILTER, newSslFilter());   // the greeting waits for the handshake
        }

        @Override
        public void sessionOpened(IoSession io) {
            InetSocketAddress remote = io.getRemoteAddress() instanceof InetSocketAddress r ? r : null;
            ConnectionLimits.Admission admission = limits.admit(remote == null ? null : remote.getAddress());
            if (admission instanceof ConnectionLimits.Refused refused) {
                log.info("{}: refused on {} ({}), {} connections open", remote, name, refused.reason(), limits.open());
                refuse(io, refused.reason());
                return;
            }
            io.setAttribute(COUNTED, admission);
            String id = "pop3-" + prefix + "-" + Long.toString(counter.incrementAndGet(), 36);
            Pop3Session session = new Pop3Session(services, new MinaTransport(io), name, id, implicitTls, stls);
            io.setAttribute(SESSION, session);
            log.debug("{}: connect from {} on {}", id, io.getRemoteAddress(), name);
            session.opened();
            loginCheck(io, session, services.settings().loginTimeout().toMillis());
        }

        @Override
        public void messageReceived(IoSession io, Object message) {
            Pop3Session session = (Pop3Session) io.getAttribute(SESSION);
            if (session == null) return;
            IoBuffer buf = (IoBuffer) message;
            byte[] b = new byte[buf.remaining()];
            buf.get(b);
            session.received(b, 0, b.length);
        }

        @Override
        public void sessionIdle(IoSession io, IdleStatus status) {
            if (io.containsAttribute(REFUSED)) {
                io.closeNow();
                return;
            }
            Pop3Session session = (Pop3Session) io.getAttribute(SESSION);
            if (session != null && status == IdleStatus.READER_IDLE) session.idle();
        }

        @Override
        public void sessionClosed(IoSession io) {
            if (io.removeAttribute(COUNTED) instanceof ConnectionLimits.Admitted counted) counted.close();
            if (io.removeAttribute(LOGIN_TIMER) instanceof Future<?> timer) timer.cancel(false);
            Pop3Session session = (Pop3Session) io.getAttribute(SESSION);
            if (session != null) session.closedByPeer();
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

package io.herald.plugin.pop3;

import io.herald.api.auth.Logins;
import io.herald.api.config.Configuration;
import io.herald.api.config.ServerIdentity;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.protocol.ConnectionLimits;
import io.herald.api.protocol.ProtocolService;
import io.herald.api.protocol.ServerTls;
import jakarta.inject.Inject;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The POP3 server (RFC 1939 with UIDL and TOP, RFC 2449 CAPA, RFC 2595 STLS, RFC 5034 SASL): a listener with STLS
 * ({@code conf/pop3.cfg} {@code port}, default 2110) and one with implicit TLS ({@code tls.port}, default 2995), both
 * on {@code bind} (127.0.0.1). Messages are read from the active {@link MailboxStore}; logins go through the core's
 * {@link Logins} (the authenticator chain and the brute-force throttle SMTP AUTH and IMAP use); TLS uses the server's
 * certificate ({@link ServerTls}).
 */
public final class Pop3Service implements ProtocolService {

    private final Pop3Settings settings;
    private final ServerTls tls;
    private final Pop3Session.Services services;
    private final ThreadPoolExecutor workers;
    private final List<Pop3Listener> listeners = new ArrayList<>();
    /** Both listeners count together against maxSessions and maxConnectionsPerAddress. */
    private final ConnectionLimits limits;

    @Inject
    public Pop3Service(Configuration config, MailboxStore store, Logins logins, ServerTls tls, ServerIdentity identity) {
        this.settings = Pop3Settings.from(config);
        this.tls = tls;
        this.limits = new ConnectionLimits(settings.maxSessions(), settings.maxConnectionsPerAddress());
        AtomicInteger n = new AtomicInteger();
        // mailbox reads, maildrop snapshots and UPDATEs; bounded: a full queue answers -ERR [SYS/TEMP] server busy
        this.workers = new ThreadPoolExecutor(settings.threads(), settings.threads(), 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(1000), r -> {
                    Thread t = new Thread(r, "herald-pop3-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.services = new Pop3Session.Services(store, logins, new MaildropLocks(), new Maildrop.SizeCache(100_000),
                workers, identity.hostname(), settings);
    }

    @Override
    public String name() {
        return "pop3";
    }

    @Override
    public synchronized void start() throws Exception {
        try {
            if (settings.port() >= 0) start(new Pop3Listener(Pop3Settings.STLS_LISTENER, settings.bind(), settings.port(), false, settings.stls(), tls, services, limits));
            if (settings.tlsPort() >= 0) start(new Pop3Listener(Pop3Settings.TLS_LISTENER, settings.bind(), settings.tlsPort(), true, false, tls, services, limits));
        } catch (Exception e) {
            stop();
            throw e;
        }
    }

    private void start(Pop3Listener l) throws Exception {
        l.start();
        listeners.add(l);
    }

    /** Both listeners stop accepting (a new client is refused at connect); the sessions go on until {@link #stop()}. */
    @Override
    public synchronized void stopAccepting() {
        for (Pop3Listener l : listeners) l.stopAccepting();
    }

    @Override
    public synchronized void stop() {
        stopAccepting();   // both first: the TLS listener takes no client while the STLS listener's sessions end
        for (Pop3Listener l : listeners) l.close();
        listeners.clear();
        workers.shutdown();
    }

    @Override
    public synchronized Map<String, InetSocketAddress> endpoints() {
        Map<String, InetSocketAddress> out = new LinkedHashMap<>();
        for (Pop3Listener l : listeners) out.put(l.name(), l.address());
        return out;
    }
}

package io.herald.server;

import io.herald.api.config.ServerIdentity;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.config.ConfigStore;
import io.herald.config.HeraldPaths;
import io.herald.host.ActiveMailboxStore;
import io.herald.host.ExtensionRegistry;
import io.herald.host.PlainHost;
import io.herald.host.Plugin;
import io.herald.delivery.DsnBounceSink;
import io.herald.outbound.OutboundClient;
import io.herald.outbound.OutboundSettings;
import io.herald.delivery.DeliveryAgent;
import io.herald.notify.EventDispatcher;
import io.herald.queue.FileQueue;
import io.herald.queue.QueueSettings;
import io.herald.api.auth.UserAdmin;
import io.herald.sasl.AuthThrottle;
import io.herald.sasl.SaslService;
import io.herald.api.routing.Router;
import io.herald.api.smtp.SmtpHook;
import io.herald.smtp.ListenerRole;
import io.herald.spam.SpamChain;
import io.herald.spam.SpamHook;
import io.herald.spam.SpamSettings;
import io.herald.smtp.SmtpServer;
import io.herald.smtp.SmtpSettings;
import io.herald.tls.TlsContextProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One Herald server in this JVM, on the plain-Java host: configuration, plugins, queue, delivery and listeners.
 * Tests and embedding programs build one with {@link #builder()}; {@code bin/herald} does the same.
 *
 * <pre>{@code
 * try (HeraldServer server = HeraldServer.builder().home(dir).set("smtp", "port", "0").discoverPlugins().start()) {
 *     int port = server.smtpPort();
 * }
 * }</pre>
 */
public final class HeraldServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HeraldServer.class);

    private final HeraldPaths paths;
    private final ConfigStore configs;
    private final ServerIdentity identity;
    private final ExtensionRegistry registry = new ExtensionRegistry();
    private final EventDispatcher events;
    private final PlainHost host;
    private final List<Plugin> plugins = new ArrayList<>();
    private final List<AutoCloseable> closeables = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final boolean readOnly;
    private final ClassLoader pluginLoader;
    private final java.time.Duration watchConfiguration;
    private FileQueue queue;
    /** {@code benchmark.sink}: the listeners' queue that keeps nothing; null (the default) for the durable queue. */
    private io.herald.queue.DiscardQueue sink;
    private DeliveryAgent agent;
    private OutboundClient outbound;
    private final boolean gated;
    /** Entries that became ready while the gate was closed; null once it is open. */
    private List<io.herald.queue.QueueEntry> held = new ArrayList<>();
    private static final String STARTING = "herald-starting";
    /** The files the core reads in {@link #start}: checked for unknown keys once it has read them. */
    private static final List<String> CORE_PIDS = List.of("herald", io.herald.dns.DnsSettings.PID, QueueSettings.PID,
            OutboundSettings.PID, SpamSettings.PID, ListenerRole.MTA.pid(), ListenerRole.SUBMISSION.pid(),
            ListenerRole.SUBMISSIONS.pid(), io.herald.http.HttpSettings.PID);
    private final Map<ListenerRole, SmtpServer> listeners = new EnumMap<>(ListenerRole.class);
    private final io.herald.spam.LearnerFeedback spamFeedback;
    private TlsContextProvider tls;   // created on first use: tlsProvider()
    private io.herald.http.HttpListener http;
    private final boolean httpWanted;
    private SaslService sasl;         // created on first use: saslService()

    private HeraldServer(Builder b) {
        this.paths = new HeraldPaths(b.home);
        this.configs = new ConfigStore(paths.conf(), b.overrides, b.adjustment);
        this.identity = io.herald.config.LiveIdentity.following(configs);
        this.watchConfiguration = b.watchConfiguration;
        this.gated = b.gated;
        this.httpWanted = b.http;
        registry.failureLimit(configs.get("herald").getInt("pluginFailureLimit", 5, 0, 1_000_000));
        this.readOnly = b.readOnly;
        this.pluginLoader = b.loader != null ? b.loader : Thread.currentThread().getContextClassLoader();
        this.events = new EventDispatcher(registry, 100_000);
        this.spamFeedback = new io.herald.spam.LearnerFeedback(registry, new ActiveMailboxStore(registry), 1000);
        this.host = new PlainHost(registry, configs, paths, identity, events, Clock.systemUTC(), readOnly, null, new com.google.inject.AbstractModule() {
            @Override
            protected void configure() {
                // for protocol plugins (IMAP, POP3): the SMTP listeners' certificate, authenticator chain and throttle
                bind(io.herald.api.protocol.ServerTls.class).toInstance(new io.herald.tls.CoreServerTls(HeraldServer.this::tlsProvider));
                bind(io.herald.api.auth.Logins.class).toInstance(new io.herald.sasl.CoreLogins(HeraldServer.this::saslService));
                bind(io.herald.api.spam.SpamFeedback.class).toInstance(spamFeedback);
            }
        });
    }

    /**
     * The server's TLS identity, created on first use (pid {@code tls}; a self-signed certificate in {@code data/tls}
     * when none is configured): by the SMTP listeners or by a protocol plugin, whichever comes first.
     */
    private synchronized TlsContextProvider tlsProvider() {
        if (tls == null) {
            if (readOnly) throw new IllegalStateException("no TLS in read-only mode");
            tls = TlsContextProvider.fromConfig(configs.get("tls"), paths, identity.hostname(), Clock.systemUTC());
            configs.checkKeys("tls");
        }
        return tls;
    }

    /** The server's one SASL service (pid {@code auth}), created on first use: SMTP and protocol plugins share its throttle. */
    private synchronized SaslService saslService() {
        if (sasl == null) {
            var auth = configs.get("auth");
            ExecutorService authCalls = boundedPool("herald-auth-call", 8, 1000);
            ExecutorService authWorkers = boundedPool("herald-auth", 4, 1000);
            ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(daemon("herald-auth-delay"));
            closeables.add(() -> {
                scheduler.shutdownNow();
                authWorkers.shutdownNow();
                authCalls.shutdownNow();
            });
            AuthThrottle throttle = new AuthThrottle(AuthThrottle.Limits.from(auth), Clock.systemUTC(), scheduler);
            sasl = SaslService.fromConfig(auth, () -> registry.snapshot().authenticators(), throttle, authCalls, authWorkers);
            if (!readOnly) configs.checkKeys("auth");
        }
        return sasl;
    }

    public static Builder builder() {
        return new Builder();
    }

    private HeraldServer start(List<HeraldPlugin> modules) throws IOException {
        if (!readOnly) Files.createDirectories(paths.data());
        if (gated && !readOnly) {
            // Until the plugins have started: a recipient no router claims is "try again later", not "relaying denied".
            io.herald.api.routing.Router starting = new io.herald.api.routing.Router() {
                @Override public int priority() { return Integer.MAX_VALUE; }
                @Override public io.herald.api.routing.Route route(io.herald.api.mail.Envelope e, io.herald.api.mail.MailAddress r) {
                    return io.herald.api.routing.Route.refuse(451, "4.3.0", "the server is starting; try again later");
                }
            };
            registry.addBuiltIn(new Plugin(STARTING, "core", Map.of(Router.class, List.of(starting))));
        }
        plugins.addAll(host.startAll(modules));
        if (readOnly) return this;
        QueueSettings queueSettings = QueueSettings.from(configs.get(QueueSettings.PID));
        queue = new FileQueue(paths.queue(), queueSettings);
        // Relaying: the outbound SMTP client (conf/outbound.cfg) resolves next hops with the same DNS service the
        // plugins get; permanent failures come back to the sender as a DSN queued here.
        OutboundSettings outboundSettings = OutboundSettings.from(configs.get(OutboundSettings.PID), identity.hostname());
        OutboundClient outbound = new OutboundClient(outboundSettings, host.dns());
        closeables.add(outbound);
        DsnBounceSink dsn = new DsnBounceSink(queue, identity, Clock.systemUTC());
        DeliveryAgent agent = new DeliveryAgent(queue, registry, queueSettings, dsn, outbound::deliver, outboundSettings.maxHops());
        closeables.add(agent);
        closeables.add(queue);
        var queueConf = configs.get(QueueSettings.PID);
        boolean hold = queueConf.getBoolean("delivery.hold", false);
        int recovered;
        if (hold) {
            // delivery.hold: accept and queue durably, deliver nothing (the entries are delivered after a restart
            // without it); ingest measured alone, like Postfix's hold queue
            recovered = queue.start(entry -> { });
            log.warn("queue: delivery.hold = true: mail is accepted and queued but not delivered until a restart without it");
        } else {
            recovered = gated ? queue.start(this::gate) : agent.start();
        }
        if (queueConf.getBoolean("benchmark.sink", false)) {
            sink = new io.herald.queue.DiscardQueue();
            log.warn("queue: benchmark.sink = true: BENCHMARK ONLY, every accepted message is DISCARDED (nothing is queued or delivered)");
        }
        this.agent = agent;
        this.outbound = outbound;
        dsn.cleanUp();
        // herald queue retry|delete beside the running server (QueueAdmin)
        closeables.add(new io.herald.queue.QueueAdmin.Control(queue, agent::submit, Duration.ofMillis(300)));
        if (recovered > 0) log.info("queue: {} messages recovered from {}", recovered, paths.queue());
        // Spam filters run at the end of DATA of every listener, before the commit (DESIGN §4); the core's hook
        // is part of each session's snapshot like a plugin's.
        SpamSettings spamSettings = SpamSettings.from(configs.get(SpamSettings.PID));
        SpamChain spam = SpamChain.of(registry, spamSettings);
        closeables.add(spam);
        // the chain reads its settings once: switched off, it would only answer Next, so it is not in the hook chain
        // (and costs no thread hand-off per message)
        if (spamSettings.enabled()) {
            registry.addBuiltIn(new Plugin("herald-spam", "core", Map.of(SmtpHook.class, List.of(new SpamHook(spam)))));
        }
        startListeners();
        startHttp();
        // The core's components have read their files (tls and auth are checked when first used): warn about the keys
        // nothing asked for, most likely misspelt. Plugins' files are checked as each plugin starts (PlainHost).
        for (String pid : CORE_PIDS) configs.checkKeys(pid);
        if (watchConfiguration != null) {
            configs.watch(watchConfiguration);
            closeables.add(configs::close);
        }
        log.info("Herald {} ready: local domains {}, data in {}", identity.hostname(), identity.localDomains(), paths.data());
        return this;
    }

    /**
     * TLS (pid {@code tls}, a self-signed certificate in {@code data/tls} when none is configured), SASL (pid
     * {@code auth}) and the three SMTP listeners: MTA (pid {@code smtp}), submission with STARTTLS (pid
     * {@code submission}) and submission over implicit TLS (pid {@code submissions}); {@code port = -1} or
     * {@code enabled = false} leaves one out.
     */
    private void startListeners() throws IOException {
        Map<ListenerRole, SmtpSettings> settings = new EnumMap<>(ListenerRole.class);
        for (ListenerRole role : ListenerRole.values()) {
            SmtpSettings s = SmtpSettings.from(role, configs.get(role.pid()));
            if (s.enabled()) settings.put(role, s);
        }
        if (settings.isEmpty()) return;
        TlsContextProvider tls = tlsProvider();
        SaslService sasl = saslService();
        for (Map.Entry<ListenerRole, SmtpSettings> e : settings.entrySet()) {
            SmtpServer server = new SmtpServer(e.getValue(), identity, registry, sink != null ? sink : queue, tls, sasl);
            closeables.add(server);
            server.start();
            listeners.put(e.getKey(), server);
            ListenerRole role = e.getKey();
            configs.addListener(role.pid(), ConfigStore.listener(c -> SmtpSettings.from(role, c),
                    c -> server.reconfigure(SmtpSettings.from(role, c))));
        }
    }

    /**
     * The HTTP listener (pid {@code http}; DESIGN §5: 127.0.0.1:8025): health, metrics, the admin API and the
     * plugins' {@link io.herald.api.http.HttpEndpoint}s. It runs when the builder asked for it
     * ({@link Builder#httpListener()}, as {@code bin/herald run} does) or when {@code http.cfg} sets {@code port}
     * or {@code enabled = true}; embedded servers and tests therefore do not take port 8025 unasked.
     * Writes {@code data/admin.properties} for the command-line tools.
     */
    private void startHttp() throws IOException {
        io.herald.api.config.Configuration c = configs.get(io.herald.http.HttpSettings.PID);
        boolean asked = httpWanted || c.get("port").isPresent() || c.getBoolean("enabled", false);
        io.herald.http.HttpSettings settings = io.herald.http.HttpSettings.from(c);
        if (!asked || !settings.enabled()) return;
        javax.net.ssl.SSLContext ssl = null;
        if (settings.tls()) ssl = tlsProvider().current();
        io.herald.http.AdminAccess[] access = new io.herald.http.AdminAccess[1];
        http = new io.herald.http.HttpListener(settings, registry, ssl, io.herald.http.AdminAccess.newToken());
        io.herald.http.CoreEndpoints.addTo(http, registry, events, identity, Clock.systemUTC());
        closeables.add(() -> {
            if (access[0] != null) access[0].remove(paths.data());
            http.close();
        });
        http.start();
        access[0] = new io.herald.http.AdminAccess(http.url(), http.adminToken());
        access[0].write(paths.data());
    }

    /** The HTTP listener, or null when it is not running. */
    public io.herald.http.HttpListener http() { return http; }

    /** The HTTP listener's port (see {@link #startHttp}). */
    public int httpPort() {
        if (http == null) throw new IllegalStateException("the HTTP listener is not running (ask for it with httpListener() or http.cfg: port)");
        return http.port();
    }

    private static ExecutorService boundedPool(String name, int threads, int queued) {
        return new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(queued), daemon(name));
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** The port a listener is bound to (useful when the configuration asked for port 0). */
    public int port(ListenerRole role) {
        SmtpServer s = listeners.get(role);
        if (s == null) throw new IllegalStateException("the " + role.pid() + " listener is not running (read-only mode, or disabled)");
        return s.port();
    }

    /** The MTA listener's port (pid {@code smtp}, default 2525). */

    /** The queue's consumer while gated: holds ready entries until {@link #pluginsStarted()}. */
    private void gate(io.herald.queue.QueueEntry entry) {
        synchronized (this) {
            if (held != null) {
                held.add(entry);
                return;
            }
        }
        agent.submit(entry);
    }

    /**
     * Opens the gate of a server built with {@link Builder#gateUntilPluginsStarted()}: the plugins that were there at
     * start-up have started (or failed), so recipients no router claims are refused as usual again and delivery begins
     * (recovered and newly accepted mail, held until now). Idempotent.
     */
    public void pluginsStarted() {
        List<io.herald.queue.QueueEntry> release;
        synchronized (this) {
            if (held == null) return;
            release = held;
            held = null;
        }
        registry.removeBuiltIn(STARTING);
        if (agent != null) release.forEach(agent::submit);
    }

    public int smtpPort() {
        return port(ListenerRole.MTA);
    }

    /** The submission listener's port (STARTTLS; pid {@code submission}, default 2587). */
    public int submissionPort() {
        return port(ListenerRole.SUBMISSION);
    }

    /** The submission listener's port over implicit TLS (pid {@code submissions}, default 2465). */
    public int submissionsPort() {
        return port(ListenerRole.SUBMISSIONS);
    }

    /** Where protocol plugins report users' Junk moves for the spam learners. */
    public io.herald.spam.LearnerFeedback spamFeedback() { return spamFeedback; }

    /** The server's TLS identity; null in read-only mode or when nothing (no listener, no plugin) needed it yet. */
    public synchronized TlsContextProvider tls() { return tls; }

    /** The SASL service (authenticators, throttle); null in read-only mode or when nothing needed it yet. */
    public synchronized SaslService sasl() { return sasl; }

    /**
     * The address a plugin's protocol service bound under this listener name (e.g. {@code imap}, {@code imaps}), for
     * tests and tools that configured port 0.
     */
    public java.net.InetSocketAddress endpoint(String listener) {
        for (io.herald.api.protocol.ProtocolService s : registry.snapshot().protocolServices()) {
            java.net.InetSocketAddress a = s.endpoints().get(listener);
            if (a != null) return a;
        }
        throw new IllegalStateException("no protocol service listens as " + listener);
    }

    /**
     * Makes sure users exist in the user database of a plugin offering {@link UserAdmin.Factory} (such as
     * auth-file), found with {@link ServiceLoader} in the plugins' class loader: adds those missing with the given
     * password; existing users are left alone. Used for the demo accounts of DESIGN §5.
     *
     * @return the users added now; empty when there is no such plugin
     */
    public List<String> ensureUsers(Map<String, String> passwords) throws IOException {
        return ensureUsers(passwords, pluginLoader);
    }

    /** {@link #ensureUsers(Map)} with the plugin classes found through {@code loader} (the OSGi host keeps them in bundles). */
    public List<String> ensureUsers(Map<String, String> passwords, ClassLoader loader) throws IOException {
        List<String> added = new ArrayList<>();
        for (UserAdmin.Factory f : ServiceLoader.load(UserAdmin.Factory.class, loader)) {
            UserAdmin admin = f.open(configs.get(f.plugin()), paths.pluginData(f.plugin()));
            List<String> existing = admin.list();
            for (Map.Entry<String, String> e : passwords.entrySet()) {
                if (existing.contains(e.getKey().toLowerCase(java.util.Locale.ROOT))) continue;
                char[] pw = e.getValue().toCharArray();
                try {
                    admin.add(e.getKey(), pw);
                } finally {
                    java.util.Arrays.fill(pw, '\0');
                }
                added.add(e.getKey());
                log.info("user {} added to {}", e.getKey(), f.plugin());
            }
            return added;
        }
        log.info("no user database plugin (such as auth-file): users {} not created", passwords.keySet());
        return added;
    }

    /** The durable queue; empty in read-only mode. */
    public FileQueue queue() {
        if (queue == null) throw new IllegalStateException("no queue in read-only mode");
        return queue;
    }

    /**
     * Waits until no message is being committed and the queue holds nothing that is due now
     * (used by tests and tools to know that accepted mail has been delivered).
     */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        return queue().awaitEmpty(timeout);
    }

    /** The outbound SMTP client that relays to next hops; null in read-only mode. */
    public OutboundClient outbound() { return outbound; }

    public HeraldPaths paths() { return paths; }

    public ServerIdentity identity() { return identity; }

    public ExtensionRegistry registry() { return registry; }

    /** Delivery of mailbox events to the notification sinks (per-sink queues, retries, counts). */
    public EventDispatcher notifications() { return events; }

    public ConfigStore configs() { return configs; }

    /** The host that starts plugin modules into this server's registry; the OSGi extender starts bundles with it too. */
    public PlainHost host() { return host; }

    /** The active mailbox store (forwarding to whichever store plugin is active). */
    public MailboxStore mailboxStore() {
        return new ActiveMailboxStore(registry);
    }

    /**
     * Stops the server. First every listener stops accepting connections, all at once: the SMTP listeners (which also
     * tell their sessions, so that they drain side by side, each within its {@code shutdownGrace}) and the plugins'
     * protocol services (IMAP, POP3: {@link io.herald.api.protocol.ProtocolService#stopAccepting}), so that no new
     * client is taken by one listener while another drains. Then the components close in the reverse order of their
     * start (the SMTP listeners wait for their sessions, the queue for its commits), and the plugins stop last (their
     * sessions end: IMAP {@code * BYE}, POP3 {@code -ERR}).
     */
    @Override
    public void close() {
        listeners.values().forEach(SmtpServer::beginStop);
        host.stopAccepting(registry.snapshot().protocolServices());
        for (int i = closeables.size() - 1; i >= 0; i--) {
            try {
                closeables.get(i).close();
            } catch (Exception e) {
                log.warn("closing {} failed: {}", closeables.get(i).getClass().getSimpleName(), e.toString());
            }
        }
        for (int i = plugins.size() - 1; i >= 0; i--) host.stop(plugins.get(i));
        events.close();
        spamFeedback.close();
    }

    /** Builds a {@link HeraldServer}. */
    public static final class Builder {
        private Path home = Path.of(".");
        private final Map<String, Map<String, String>> overrides = new HashMap<>();
        private ConfigStore.Adjustment adjustment = ConfigStore.Adjustment.NONE;
        private final List<HeraldPlugin> plugins = new ArrayList<>();
        private boolean readOnly;
        private ClassLoader loader;
        private java.time.Duration watchConfiguration;
        private boolean gated;
        private boolean http;

        /**
         * Runs the HTTP listener (pid {@code http}, default 127.0.0.1:8025) even when {@code http.cfg} does not
         * mention it, as {@code bin/herald run} does.
         */
        public Builder httpListener() {
            this.http = true;
            return this;
        }

        /**
         * For hosts that start plugins after the server (the OSGi host): until {@link HeraldServer#pluginsStarted()},
         * a recipient no router claims gets {@code 451 4.3.0} instead of {@code 550 5.7.1}, and nothing is delivered
         * (so recovered mail does not meet an empty router chain).
         */
        public Builder gateUntilPluginsStarted() {
            this.gated = true;
            return this;
        }

        /**
         * Hot reconfiguration: look at {@code conf/} this often and apply changed files (see {@link ConfigStore#reload()}).
         * Off by default (tests call {@code configs().reload()} when they want to).
         */
        public Builder watchConfiguration(java.time.Duration period) {
            this.watchConfiguration = period;
            return this;
        }

        /** The folder with {@code conf/}, {@code data/} and {@code plugins/}. */
        public Builder home(Path home) {
            this.home = home;
            return this;
        }

        /** Sets one configuration key, winning over {@code conf/<pid>.cfg}. */
        /**
         * A rule applied to every configuration file as it is read, at start-up and at each change (e.g. the launcher's
         * {@code --port-offset}, {@code io.herald.launcher.Ports#offset}); {@link #set} overrides still win.
         */
        public Builder adjust(ConfigStore.Adjustment adjustment) {
            this.adjustment = java.util.Objects.requireNonNull(adjustment);
            return this;
        }

        public Builder set(String pid, String key, String value) {
            overrides.computeIfAbsent(pid, k -> new HashMap<>()).put(key, value);
            return this;
        }

        /** Adds plugin modules explicitly. */
        public Builder plugins(List<? extends HeraldPlugin> modules) {
            plugins.addAll(modules);
            return this;
        }

        /** Adds every plugin that {@link java.util.ServiceLoader} finds through this class loader. */
        public Builder discoverPlugins(ClassLoader loader) {
            plugins.addAll(PlainHost.discover(loader));
            this.loader = loader;
            return this;
        }

        public Builder discoverPlugins() {
            return discoverPlugins(Thread.currentThread().getContextClassLoader());
        }

        /** Only read: start the plugins read-only and no listeners (command-line tools beside a running server). */
        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        public HeraldServer start() throws IOException {
            HeraldServer server = new HeraldServer(this);
            try {
                return server.start(plugins);
            } catch (IOException | RuntimeException e) {
                server.close();
                throw e;
            }
        }
    }
}

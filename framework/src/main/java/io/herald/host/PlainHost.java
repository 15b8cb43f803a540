package io.herald.host;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Key;
import com.google.inject.Module;
import com.google.inject.Stage;
import com.google.inject.TypeLiteral;
import io.herald.api.auth.Authenticator;
import io.herald.api.config.Configuration;
import io.herald.api.config.ServerIdentity;
import io.herald.api.mailbox.MailboxEventPublisher;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.notify.NotificationSink;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.plugin.PluginContext;
import io.herald.api.protocol.ProtocolService;
import io.herald.api.routing.Router;
import io.herald.api.smtp.SmtpHook;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamLearner;
import io.herald.config.ConfigStore;
import io.herald.config.HeraldPaths;
import io.herald.api.dns.DnsResolver;
import io.herald.dns.DnsSettings;
import io.herald.dns.DnsjavaResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The plain-Java host: plugins are {@link HeraldPlugin} modules found with {@link ServiceLoader} (or passed in),
 * each started in a child injector of the core's, and their contributions put into the {@link ExtensionRegistry}.
 * Used by tests, by embedding programs and by the command-line tools.
 */
public final class PlainHost {

    /**
     * The logger of the plugins' lifecycle lines ("plugin imap 1.0 started: ...", "... not started", "... failed to
     * start", their protocol services): both hosts start plugins here (the OSGi host through its extender), so the
     * lines are logged under this neutral name, not under the class's, which read "PlainHost" in a server running
     * Felix. Its last segment, {@code plugins}, is what the logs' {@code %logger{0}} shows.
     */
    public static final String PLUGIN_LOGGER = "io.herald.plugins";

    private static final Logger log = LoggerFactory.getLogger(PLUGIN_LOGGER);

    private final Injector core;
    private final ExtensionRegistry registry;
    private final ConfigStore configs;
    private final HeraldPaths paths;
    private final boolean readOnly;
    private final DnsResolver dns;
    /** Protocol services told to stop accepting and not yet stopped: told once only. */
    private final Set<ProtocolService> notAccepting = java.util.concurrent.ConcurrentHashMap.newKeySet();

    public PlainHost(ExtensionRegistry registry, ConfigStore configs, HeraldPaths paths, ServerIdentity identity,
                     MailboxEventPublisher events, Clock clock, boolean readOnly) {
        this(registry, configs, paths, identity, events, clock, readOnly, null, null);
    }

    /**
     * @param dns the DNS service plugins get with {@code @Inject DnsResolver}; null: one built from {@code conf/dns.cfg}
     */
    public PlainHost(ExtensionRegistry registry, ConfigStore configs, HeraldPaths paths, ServerIdentity identity,
                     MailboxEventPublisher events, Clock clock, boolean readOnly, DnsResolver dns) {
        this(registry, configs, paths, identity, events, clock, readOnly, dns, null);
    }

    /**
     * @param dns          the DNS service plugins get with {@code @Inject DnsResolver}; null: one built from {@code conf/dns.cfg}
     * @param coreServices more services of the core for plugins to inject (the server binds
     *                     {@link io.herald.api.protocol.ServerTls}, {@link io.herald.api.auth.Logins} and
     *                     {@link io.herald.api.spam.SpamFeedback} here); may be null
     */
    public PlainHost(ExtensionRegistry registry, ConfigStore configs, HeraldPaths paths, ServerIdentity identity,
                     MailboxEventPublisher events, Clock clock, boolean readOnly, DnsResolver dns, Module coreServices) {
        DnsResolver resolver = dns != null ? dns : new DnsjavaResolver(DnsSettings.from(configs.get(DnsSettings.PID)));
        this.dns = resolver;
        this.registry = registry;
        this.configs = configs;
        this.paths = paths;
        this.readOnly = readOnly;
        this.core = Guice.createInjector(Stage.PRODUCTION, new AbstractModule() {
            @Override
            protected void configure() {
                bind(ServerIdentity.class).toInstance(identity);
                bind(MailboxEventPublisher.class).toInstance(events);
                bind(MailboxStore.class).toInstance(new ActiveMailboxStore(registry));
                bind(Clock.class).toInstance(clock);
                bind(DnsResolver.class).toInstance(resolver);
                bind(ExtensionRegistry.class).toInstance(registry);
                if (coreServices != null) install(coreServices);
            }
        });
    }

    public ConfigStore configs() { return configs; }

    /** The DNS service bound for plugins (and used by the core's outbound delivery). */
    public DnsResolver dns() { return dns; }

    public ExtensionRegistry registry() { return registry; }

    /** The plugins on the class path, in a stable order (by class name). */
    public static List<HeraldPlugin> discover(ClassLoader loader) {
        List<HeraldPlugin> found = new ArrayList<>();
        ServiceLoader.load(HeraldPlugin.class, loader).forEach(found::add);
        found.sort(java.util.Comparator.comparing(p -> p.getClass().getName()));
        return found;
    }

    /**
     * Starts one plugin: builds its injector, collects its contributions and registers them.
     *
     * @throws PluginStartException when the module cannot be built; nothing is registered then
     */
    public Plugin start(HeraldPlugin module, String name, String version) {
        return start(module, name, version, configs.get(module.configPid()));
    }

    /** As {@link #start(HeraldPlugin, String, String)} with this configuration (a restart with the last good one). */
    public Plugin start(HeraldPlugin module, String name, String version, Configuration config) {
        Path dataDir = paths.pluginData(name);
        if (!readOnly) {
            try {
                Files.createDirectories(dataDir);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create the data folder of plugin " + name + ": " + dataDir, e);
            }
        }
        PluginContext context = new PluginContext(name, config, dataDir, readOnly);
        Injector child;
        try {
            child = core.createChildInjector(new AbstractModule() {
                @Override
                protected void configure() {
                    bind(PluginContext.class).toInstance(context);
                    bind(Configuration.class).toInstance(config);
                }
            }, module);
        } catch (RuntimeException e) {
            throw new PluginStartException(name, e);
        }
        Map<Class<?>, List<?>> contributions = new LinkedHashMap<>();
        for (Class<?> point : ExtensionPoint.ALL) contributions.put(point, contributions(child, ExtensionPoint.key(point)));
        Plugin plugin = new Plugin(name, version, contributions);
        registry.add(plugin);
        if (!readOnly) startProtocolServices(plugin);
        log.info("plugin {} {} started: {}", name, version, plugin.extensionPoints());
        // the plugin has read its configuration: the keys of its file it did not ask for are most likely misspelt
        // (the command-line tools, read-only, leave that to the server's log)
        if (!readOnly) configs.checkKeys(config);
        return plugin;
    }

    /**
     * Starts every plugin given; one that fails to start is logged and left out, the others start. In read-only mode
     * (the command-line tools) a failure is one warning line, the plugin's name and {@link PluginFailures#reason
     * reason}, without a stack trace: the tool goes on with its job, which rarely needs that plugin.
     */
    public List<Plugin> startAll(List<? extends Module> modules) {
        List<Plugin> started = new ArrayList<>();
        for (Module m : modules) {
            if (!(m instanceof HeraldPlugin plugin)) {
                throw new IllegalArgumentException(m.getClass().getName() + " is not a HeraldPlugin");
            }
            String name = plugin.configPid();
            Package pkg = plugin.getClass().getPackage();
            String version = pkg != null && pkg.getImplementationVersion() != null ? pkg.getImplementationVersion() : "unversioned";
            try {
                started.add(start(plugin, name, version));
            } catch (RuntimeException e) {
                String reason = PluginFailures.reason(plugin.getClass().getName(), e);
                if (readOnly) {
                    log.warn("plugin {} not started: {}", name, reason);
                    log.debug("plugin {} not started", name, e);
                } else {
                    log.error("plugin {} failed to start: {}", name, reason, e);
                }
            }
        }
        return started;
    }

    /**
     * Starts the plugin's protocol services, after its other contributions are registered (an IMAP server's
     * notification sink is in place before its first client). When one fails, those already started are stopped,
     * the plugin is withdrawn and {@link PluginStartException} thrown (see {@link ProtocolService}).
     */
    private void startProtocolServices(Plugin plugin) {
        List<ProtocolService> started = new ArrayList<>();
        for (ProtocolService s : plugin.protocolServices()) {
            try {
                s.start();
                started.add(s);
                log.info("plugin {}: protocol service {} listening on {}", plugin.name(), s.name(), s.endpoints());
            } catch (Exception | LinkageError e) {
                for (int i = started.size() - 1; i >= 0; i--) stopService(plugin, started.get(i));
                stop(plugin, false);
                throw new PluginStartException(plugin.name(), e);
            }
        }
    }

    private static void stopService(Plugin plugin, ProtocolService s) {
        try {
            s.stop();
            log.info("plugin {}: protocol service {} stopped", plugin.name(), s.name());
        } catch (Exception | LinkageError e) {
            log.warn("plugin {}: stopping protocol service {} failed: {}", plugin.name(), s.name(), e.toString(), e);
        }
    }

    /**
     * The first step of a stop: each of these protocol services stops accepting connections
     * ({@link ProtocolService#stopAccepting}), all before any session is ended; each at most once, however often it
     * is asked. A service that throws is logged; its {@link ProtocolService#stop} unbinds it later.
     */
    public void stopAccepting(List<ProtocolService> services) {
        if (readOnly) return;
        for (ProtocolService s : services) {
            if (!notAccepting.add(s)) continue;
            try {
                s.stopAccepting();
                log.info("protocol service {} stopped accepting connections", s.name());
            } catch (Exception | LinkageError e) {
                log.warn("protocol service {}: stopping accepting failed: {}", s.name(), e.toString(), e);
            }
        }
    }

    /**
     * Withdraws a plugin: its protocol services stop accepting (all of them, before any ends its sessions), then stop
     * (listeners unbound, sessions closed); its contributions are removed from the registry and those that are
     * {@link AutoCloseable} closed.
     */
    public void stop(Plugin plugin) {
        stop(plugin, !readOnly);
    }

    private void stop(Plugin plugin, boolean stopServices) {
        List<ProtocolService> services = plugin.protocolServices();
        if (stopServices) {
            stopAccepting(services);
            for (int i = services.size() - 1; i >= 0; i--) stopService(plugin, services.get(i));
            services.forEach(notAccepting::remove);
        }
        registry.remove(plugin.name());
        for (Object o : plugin.distinctContributions()) {
            if (o instanceof ProtocolService) continue;   // stopped above
            if (o instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    log.warn("plugin {}: closing {} failed: {}", plugin.name(), o.getClass().getName(), e.toString());
                }
            }
        }
    }

    private static <T> List<T> contributions(Injector injector, Key<Set<T>> key) {
        if (injector.getExistingBinding(key) == null) return List.of();
        return List.copyOf(injector.getInstance(key));
    }

    /** A plugin module that could not be built. */
    public static final class PluginStartException extends RuntimeException {
        public PluginStartException(String plugin, Throwable cause) {
            super("plugin " + plugin + " failed to start: " + cause.getMessage(), cause);
        }
    }
}

package io.herald.osgi;

import io.herald.api.plugin.HeraldPlugin;
import io.herald.host.PlainHost;
import io.herald.host.Plugin;
import io.herald.host.PluginFailures;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleEvent;
import org.osgi.framework.wiring.BundleRevision;
import org.osgi.framework.wiring.BundleWiring;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.resource.Namespace;
import org.osgi.resource.Requirement;
import org.osgi.util.tracker.BundleTracker;
import org.osgi.util.tracker.BundleTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The extender: watches bundles that name a plugin module in their {@value #HEADER} header. When such a bundle
 * becomes ACTIVE it loads the module class from the bundle and starts it with the same {@link PlainHost} (the same
 * core injector, the same child-injector and contribution-collecting code) that starts plugins found with
 * {@link java.util.ServiceLoader}; when the bundle stops or is uninstalled the plugin's contributions are withdrawn
 * from the registry and the {@link AutoCloseable} ones closed.
 *
 * <p>Bundle events arrive synchronously (the tracker is a synchronous listener), so a plugin is withdrawn while its
 * bundle's class loader is still usable, and a registered contribution never outlives its bundle.
 *
 * <p>The plugin's name is its module's {@link HeraldPlugin#configPid()}, as on the plain host, so a plugin keeps
 * its configuration ({@code conf/<pid>.cfg}) and data folder whichever host runs it.
 */
public final class PluginExtender implements BundleTrackerCustomizer<PluginExtender.Tracked>, AutoCloseable {

    /** The manifest header that names the plugin's module class. */
    public static final String HEADER = "Herald-Plugin";

    private static final Logger log = LoggerFactory.getLogger(PluginExtender.class);
    private static final int MASK = Bundle.INSTALLED | Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING;

    private final BundleContext context;
    private final PlainHost host;
    private final BundleTracker<Tracked> tracker;
    private final Map<Long, Tracked> tracked = new ConcurrentHashMap<>();

    private volatile java.nio.file.Path stateFile;

    public PluginExtender(BundleContext context, PlainHost host) {
        this.context = context;
        this.host = host;
        this.tracker = new BundleTracker<>(context, MASK, this);
    }

    /**
     * Where to write every plugin's state on each change ({@code data/plugins.state}), for {@code bin/herald plugins}
     * to read while the server runs.
     */
    public PluginExtender stateFile(java.nio.file.Path file) {
        this.stateFile = file;
        return this;
    }

    public void open() {
        // The circuit breaker's verdict: the plugin is withdrawn and FAILED until its bundle is updated or restarted.
        host.registry().onQuarantine(this::quarantine);
        tracker.open();
        writeState();
    }

    /** Withdraws the plugin of this name and marks it FAILED with the reason (the registry's circuit breaker). */
    public void quarantine(String pluginName, String reason) {
        for (Tracked t : tracked.values()) {
            synchronized (t) {
                if (t.plugin != null && t.plugin.name().equals(pluginName)) {
                    withdraw(t);
                    t.state = new PluginState.Failed("quarantined: " + reason);
                }
            }
        }
        host.registry().remove(pluginName);
        writeState();
    }

    /** Writes {@link #plugins()} to the state file: one plugin a line, tab-separated (see {@link PluginStatus#line()}). */
    public synchronized void writeState() {
        java.nio.file.Path file = stateFile;
        if (file == null) return;
        StringBuilder out = new StringBuilder("# Herald plugins, written by the running server (pid ")
                .append(ProcessHandle.current().pid()).append(") at ").append(java.time.Instant.now()).append('\n')
                .append("# name\tversion\tstate\textension points\tdetail\tbundle\tlocation\n");
        for (PluginStatus p : plugins()) out.append(p.line()).append('\n');
        try {
            java.nio.file.Files.createDirectories(file.getParent());
            java.nio.file.Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            java.nio.file.Files.writeString(tmp, out);
            java.nio.file.Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (java.io.IOException e) {
            log.warn("cannot write {}: {}", file, e.toString());
        }
    }

    @Override
    public void close() {
        tracker.close();
    }

    /** Every plugin bundle and its state, by bundle id. RESOLVING states name what the resolver is missing now. */
    public List<PluginStatus> plugins() {
        List<PluginStatus> out = new ArrayList<>();
        for (Tracked t : tracked.values()) {
            Bundle b = t.bundle;
            PluginState state;
            synchronized (t) {
                state = b.getState() == Bundle.INSTALLED ? new PluginState.Resolving(missingRequirements(b)) : t.state;
            }
            out.add(new PluginStatus(b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(), b.getLocation(),
                    t.module, state));
        }
        out.sort(Comparator.comparingLong(PluginStatus::bundleId));
        return out;
    }

    /**
     * True when every plugin bundle is active, failed, or waiting for a requirement (RESOLVING): none is resolved but
     * not yet started, which is where FileInstall's start of a freshly installed bundle is.
     */
    public boolean settled() {
        for (PluginStatus p : plugins()) {
            if (p.state() instanceof PluginState.Stopped) return false;
        }
        return true;
    }

    @Override
    public Tracked addingBundle(Bundle bundle, BundleEvent event) {
        String module = bundle.getHeaders("").get(HEADER);
        if (module == null || module.isBlank()) return null;
        Tracked t = new Tracked(bundle, module.trim());
        tracked.put(bundle.getBundleId(), t);
        update(t);
        writeState();
        return t;
    }

    @Override
    public void modifiedBundle(Bundle bundle, BundleEvent event, Tracked t) {
        update(t);
        writeState();
    }

    @Override
    public void removedBundle(Bundle bundle, BundleEvent event, Tracked t) {
        synchronized (t) {
            withdraw(t);
        }
        tracked.remove(bundle.getBundleId(), t);
        writeState();
    }

    private void update(Tracked t) {
        synchronized (t) {
            int state = t.bundle.getState();
            if (state == Bundle.ACTIVE) {
                if (t.plugin == null && !(t.state instanceof PluginState.Failed)) start(t);
            } else {
                withdraw(t);
                t.state = state == Bundle.INSTALLED ? new PluginState.Resolving(List.of()) : new PluginState.Stopped();
            }
        }
    }

    private void start(Tracked t) {
        Bundle bundle = t.bundle;
        BundleWiring wiring = bundle.adapt(BundleWiring.class);
        ClassLoader loader = wiring == null ? null : wiring.getClassLoader();
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try {
            // Libraries inside the bundle that look things up through the context class loader find the bundle's.
            if (loader != null) thread.setContextClassLoader(loader);
            Class<?> type = bundle.loadClass(t.module);
            if (!HeraldPlugin.class.isAssignableFrom(type)) {
                throw new IllegalArgumentException(t.module + " does not extend " + HeraldPlugin.class.getName()
                        + (HeraldPlugin.class.getClassLoader() != type.getSuperclass().getClassLoader()
                        ? " (the bundle has its own copy of the API: it must import io.herald.api.*, not embed it)" : ""));
            }
            HeraldPlugin module = (HeraldPlugin) type.getDeclaredConstructor().newInstance();
            io.herald.api.config.Configuration config = host.configs().get(module.configPid());
            Plugin plugin = host.start(module, module.configPid(), bundle.getVersion().toString(), config);
            t.plugin = plugin;
            t.config = config;
            t.state = new PluginState.Active(plugin);
            t.listener = new io.herald.config.ConfigStore.Listener() {
                @Override
                public void apply(io.herald.api.config.Configuration next) {
                    reconfigure(t, next);
                }

                @Override
                public void refused(String reason) {
                    keptLastGood(t, reason);
                }
            };
            t.pid = module.configPid();
            host.configs().addListener(module.configPid(), t.listener);
            log.info("plugin bundle {} {} (id {}) active as plugin {}", bundle.getSymbolicName(), bundle.getVersion(),
                    bundle.getBundleId(), plugin.name());
        } catch (Exception | LinkageError e) {
            String reason = PluginFailures.reason(t.module, e);
            t.state = new PluginState.Failed(reason);
            log.error("plugin bundle {} (id {}) failed: {}", bundle.getSymbolicName(), bundle.getBundleId(), reason, e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /**
     * The plugin's configuration changed: the plugin is restarted with it (withdrawn, then started again from a fresh
     * module instance). When it cannot start with the new configuration it is started again with the last good one,
     * and the failure is logged naming the pid.
     */
    private void reconfigure(Tracked t, io.herald.api.config.Configuration next) {
        synchronized (t) {
            if (t.plugin == null) return;
            Plugin old = t.plugin;
            io.herald.api.config.Configuration lastGood = t.config;
            withdraw(t);
            try {
                t.plugin = startModule(t, next);
                t.config = next;
                t.state = new PluginState.Active(t.plugin);
                log.info("plugin {} restarted with its new configuration", old.name());
            } catch (Exception | LinkageError e) {
                String refused = changes(t.pid, lastGood, next) + ": " + PluginFailures.reason(t.module, e);
                log.error("plugin {} refused its new configuration ({}); restarting it with the last good one",
                        old.name(), refused);
                try {
                    t.plugin = startModule(t, lastGood);
                    t.state = new PluginState.Active(t.plugin, "runs with its last good configuration; refused: " + refused);
                } catch (Exception | LinkageError e2) {
                    t.state = new PluginState.Failed(PluginFailures.reason(t.module, e2));
                    log.error("plugin {} failed: {}", old.name(), PluginFailures.reason(t.module, e2), e2);
                }
            }
            if (t.plugin != null) host.configs().addListener(t.pid, t.listener);
        }
        writeState();
    }

    /** The plugin's changed file was refused before it reached the plugin: it runs on as it is, and says so. */
    private void keptLastGood(Tracked t, String reason) {
        synchronized (t) {
            if (t.plugin == null) return;
            t.state = new PluginState.Active(t.plugin, "runs with its last good configuration; refused: " + reason);
        }
        writeState();
    }

    /**
     * What changed between two configurations of a pid, as the operator wrote it: {@code imap.cfg: port = '2525'},
     * with the value in effect when it differs from the file's (moved by {@code --port-offset}).
     */
    private String changes(String pid, io.herald.api.config.Configuration before, io.herald.api.config.Configuration after) {
        java.util.Map<String, String> file = host.configs().fileValues(pid);
        // the values as they are: asking the configurations for their keys would count as the plugin's reading
        java.util.Map<String, String> was = io.herald.config.ConfigStore.values(before);
        java.util.Map<String, String> is = io.herald.config.ConfigStore.values(after);
        java.util.Set<String> keys = new java.util.TreeSet<>(was.keySet());
        keys.addAll(is.keySet());
        List<String> out = new ArrayList<>();
        for (String k : keys) {
            String now = blankToNull(is.get(k));
            if (java.util.Objects.equals(blankToNull(was.get(k)), now)) continue;
            String written = file.get(k);
            String shown = written != null ? k + " = '" + written + "'" : k + " removed";
            if (now != null && !now.equals(written)) shown += " (in effect: " + now + ")";
            out.add(shown);
        }
        return pid + ".cfg" + (out.isEmpty() ? "" : ": " + String.join(", ", out));
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v.trim();
    }

    private Plugin startModule(Tracked t, io.herald.api.config.Configuration config) throws ReflectiveOperationException {
        Bundle bundle = t.bundle;
        BundleWiring wiring = bundle.adapt(BundleWiring.class);
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try {
            if (wiring != null) thread.setContextClassLoader(wiring.getClassLoader());
            HeraldPlugin module = (HeraldPlugin) bundle.loadClass(t.module).getDeclaredConstructor().newInstance();
            return host.start(module, module.configPid(), bundle.getVersion().toString(), config);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private void withdraw(Tracked t) {
        Plugin plugin = t.plugin;
        if (plugin == null) return;
        t.plugin = null;
        if (t.listener != null) host.configs().removeListener(t.pid, t.listener);
        host.stop(plugin);
        log.info("plugin {} withdrawn (bundle {} id {})", plugin.name(), t.bundle.getSymbolicName(), t.bundle.getBundleId());
    }

    /** The requirements of an unresolved bundle that nothing installed can satisfy now. */
    private List<String> missingRequirements(Bundle bundle) {
        BundleRevision revision = bundle.adapt(BundleRevision.class);
        FrameworkWiring frameworkWiring = context.getBundle(0).adapt(FrameworkWiring.class);
        if (revision == null || frameworkWiring == null) return List.of();
        List<String> missing = new ArrayList<>();
        for (Requirement req : revision.getRequirements(null)) {
            if (Namespace.RESOLUTION_OPTIONAL.equals(req.getDirectives().get(Namespace.REQUIREMENT_RESOLUTION_DIRECTIVE))) continue;
            if (frameworkWiring.findProviders(req).isEmpty()) {
                missing.add(req.getNamespace() + "; " + req.getDirectives().getOrDefault(Namespace.REQUIREMENT_FILTER_DIRECTIVE, ""));
            }
        }
        if (missing.isEmpty()) missing.add("no single requirement is missing: a uses-constraint conflict, or not resolved yet");
        return missing;
    }

    /** What the extender keeps per plugin bundle. */
    static final class Tracked {
        final Bundle bundle;
        final String module;
        Plugin plugin;
        PluginState state = new PluginState.Stopped();
        io.herald.api.config.Configuration config;
        io.herald.config.ConfigStore.Listener listener;
        String pid;

        Tracked(Bundle bundle, String module) {
            this.bundle = bundle;
            this.module = module;
        }
    }
}

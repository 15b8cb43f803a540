package io.herald.osgi;

import io.herald.api.plugin.HeraldPlugin;
import io.herald.host.PlainHost;
import io.herald.host.Plugin;
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

    public PluginExtender(BundleContext context, PlainHost host) {
        this.context = context;
        this.host = host;
        this.tracker = new BundleTracker<>(context, MASK, this);
    }

    public void open() {
        tracker.open();
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

    @Override
    public Tracked addingBundle(Bundle bundle, BundleEvent event) {
        String module = bundle.getHeaders("").get(HEADER);
        if (module == null || module.isBlank()) return null;
        Tracked t = new Tracked(bundle, module.trim());
        tracked.put(bundle.getBundleId(), t);
        update(t);
        return t;
    }

    @Override
    public void modifiedBundle(Bundle bundle, BundleEvent event, Tracked t) {
        update(t);
    }

    @Override
    public void removedBundle(Bundle bundle, BundleEvent event, Tracked t) {
        synchronized (t) {
            withdraw(t);
        }
        tracked.remove(bundle.getBundleId(), t);
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
            Plugin plugin = host.start(module, module.configPid(), bundle.getVersion().toString());
            t.plugin = plugin;
            t.state = new PluginState.Active(plugin);
            log.info("plugin bundle {} {} (id {}) active as plugin {}", bundle.getSymbolicName(), bundle.getVersion(),
                    bundle.getBundleId(), plugin.name());
        } catch (Exception | LinkageError e) {
            String reason = reason(t.module, e);
            t.state = new PluginState.Failed(reason);
            log.error("plugin bundle {} (id {}) failed: {}", bundle.getSymbolicName(), bundle.getBundleId(), reason, e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private void withdraw(Tracked t) {
        Plugin plugin = t.plugin;
        if (plugin == null) return;
        t.plugin = null;
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

    /** A one-line reason: the module and the innermost cause, which is what the plugin's author needs to see. */
    static String reason(String module, Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) root = root.getCause();
        if (root instanceof ReflectiveOperationException && !(root instanceof ClassNotFoundException)) {
            return "cannot instantiate " + module + ": " + root;
        }
        return module + ": " + root.getClass().getName() + (root.getMessage() == null ? "" : ": " + firstLine(root.getMessage()));
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** What the extender keeps per plugin bundle. */
    static final class Tracked {
        final Bundle bundle;
        final String module;
        Plugin plugin;
        PluginState state = new PluginState.Stopped();

        Tracked(Bundle bundle, String module) {
            this.bundle = bundle;
            this.module = module;
        }
    }
}

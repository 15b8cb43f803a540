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
    public static final String HEADER = io.herald.host.PluginJars.HEADER;

    private static final Logger log = LoggerFactory.getLogger(PluginExtender.class);
    private static final int MASK = Bundle.INSTALLED | Bundle.RESOLVED | Bundle.STARTING | Bundle.ACTIVE | Bundle.STOPPING;
    /** Set when the host stops: see {@link #stopping()}. */
    private volatile boolean stopping;

    private final BundleContext context;
    private final PlainHost host;
    private final BundleTracker<Tracked> tracker;
    private final Map<Long, Tracked> tracked = new ConcurrentHashMap<>();

    private volatile java.nio.file.Path stateFile;
    /** The folders plugin jars are installed from ({@code plugins/}, the distribution's built-in ones). */
    private volatile List<java.nio.file.Path> folders = List.of();
    /** Jars of those folders that are no bundle (FileInstall does not install them), with the reason. */
    private final Map<java.nio.file.Path, String> ignoredFiles = new ConcurrentHashMap<>();
    /** What each jar of those folders looked like when {@link #scanFolders} last read it. */
    private final Map<java.nio.file.Path, String> stamps = new ConcurrentHashMap<>();
    /** The symbolic name and version of each bundle jar of those folders, as its manifest says (read with its stamp). */
    private final Map<java.nio.file.Path, Identity> identities = new ConcurrentHashMap<>();
    /** Bundle jars of those folders that the framework did not install, with the reason. */
    private final Map<java.nio.file.Path, Refusal> refusedFiles = new ConcurrentHashMap<>();
    /** Bundle jars of those folders not installed (yet): since when, at which stamp. */
    private final Map<java.nio.file.Path, Pending> pending = new ConcurrentHashMap<>();
    /** How long a bundle jar may stay not installed, with nothing else to explain it, before it is reported. */
    private volatile long lostAfterNanos = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    /** Start failures the framework reports itself (a refresh or start-level change restarting a bundle). */
    private final org.osgi.framework.FrameworkListener frameworkErrors = event -> {
        if (event.getType() == org.osgi.framework.FrameworkEvent.ERROR && event.getBundle() != null
                && event.getThrowable() instanceof org.osgi.framework.BundleException e) {
            startFailed(event.getBundle(), e);
        }
    };

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

    /**
     * The folders plugin jars come from: a bundle installed from one of them without the {@value #HEADER} header is
     * listed as ignored (with a warning), and {@link #scanFolders} looks there for jars that are no bundle at all.
     */
    public PluginExtender pluginFolders(List<java.nio.file.Path> dirs) {
        this.folders = dirs.stream().map(d -> d.toAbsolutePath().normalize()).toList();
        return this;
    }

    /**
     * FileInstall's poll: a bundle jar that is not installed after 20 polls (10 s at least) and that nothing else
     * explains is reported as lost by FileInstall (see {@link #checkRefused()}).
     */
    public PluginExtender fileInstallPoll(long millis) {
        this.lostAfterNanos = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(Math.max(10_000, 20 * millis));
        return this;
    }

    /**
     * Looks at the jars of the {@link #pluginFolders plugin folders} that are new or changed since the last look: one
     * that is not a jar (zip) file or not an OSGi bundle is never installed by FileInstall, so it is reported here (a
     * warning naming the file and why) and listed as ignored by {@link #plugins()} until it is replaced by a bundle or
     * deleted. Called periodically by the OSGi host, with FileInstall's poll.
     */
    public void scanFolders() {
        boolean changed = false;
        java.util.Set<java.nio.file.Path> present = new java.util.HashSet<>();
        for (java.nio.file.Path dir : folders) {
            List<java.nio.file.Path> jars;
            try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(dir)) {
                jars = s.filter(p -> p.getFileName().toString().endsWith(".jar") && java.nio.file.Files.isRegularFile(p)).toList();
            } catch (java.io.IOException e) {
                continue;   // not there (yet): nothing to report
            }
            for (java.nio.file.Path jar : jars) {
                present.add(jar);
                String stamp = stamp(jar);
                if (stamp.equals(stamps.put(jar, stamp))) continue;
                Refusal refused = refusedFiles.get(jar);
                if (refused != null && refused.cause() == Refusal.Cause.FELIX && !stamp.equals(refused.stamp())) {
                    refusedFiles.remove(jar);   // changed since Felix refused it: FileInstall tries it again
                    changed = true;
                }
                io.herald.host.PluginJars.Finding f = io.herald.host.PluginJars.asBundle(jar);
                if (f != null && f.problem() != io.herald.host.PluginJars.Problem.NOT_A_PLUGIN) {
                    identities.remove(jar);
                    ignoredFiles.put(jar, f.reason());
                    log.warn("{}: {} (ignored; see 'herald plugins')", jar, f.reason());
                    changed = true;
                } else {
                    Identity id = Identity.of(jar);
                    if (id != null) identities.put(jar, id);
                    else identities.remove(jar);
                    if (ignoredFiles.remove(jar) != null) {
                        log.info("{}: replaced by a bundle, no longer ignored", jar);
                        changed = true;
                    }
                }
            }
        }
        stamps.keySet().retainAll(present);
        identities.keySet().retainAll(present);
        pending.keySet().retainAll(present);
        if (ignoredFiles.keySet().retainAll(present)) changed = true;
        if (refusedFiles.keySet().retainAll(present)) changed = true;
        if (checkRefused()) changed = true;
        if (changed) writeState();
    }

    /**
     * Finds the bundle jars of the plugin folders that are not installed because a bundle of the same symbolic name
     * and version is installed from another file: Felix installs one symbolic name and version once, and FileInstall
     * takes the second jar for an update of the installed bundle, saying so only in its own log. Such a jar is listed
     * as refused, with one warning, until it or the other is removed. Removing either then uninstalls the bundle
     * (FileInstall had both files point to it) and FileInstall does not install the remaining jar again: that jar is
     * listed as refused too, with the way out, once it has stayed uninstalled for a while with nothing else to
     * explain it. A refusal Felix gave at install time (see {@link #installFailed}) lasts until the file changes.
     *
     * @return true when the list of refused jars changed
     */
    private boolean checkRefused() {
        boolean changed = false;
        Bundle[] all;
        try {
            all = context.getBundles();
        } catch (IllegalStateException e) {
            return false;   // the framework is stopping
        }
        Map<java.nio.file.Path, Bundle> installed = new java.util.HashMap<>();
        for (Bundle b : all) {
            java.nio.file.Path file = pluginFile(b);
            if (file != null) installed.put(file, b);
        }
        for (Map.Entry<java.nio.file.Path, Identity> e : identities.entrySet()) {
            java.nio.file.Path jar = e.getKey();
            Identity id = e.getValue();
            if (installed.containsKey(jar)) {
                pending.remove(jar);
                if (refusedFiles.remove(jar) != null) changed = true;
                continue;
            }
            String stamp = stamps.get(jar);
            Pending p = pending.get(jar);
            if (p == null || !p.stamp().equals(stamp)) pending.put(jar, p = new Pending(stamp, System.nanoTime()));
            Bundle same = null;
            for (Bundle b : all) {
                if (id.symbolicName().equals(b.getSymbolicName()) && id.version().equals(b.getVersion())) same = b;
            }
            Refusal was = refusedFiles.get(jar);
            if (same != null) {
                java.nio.file.Path other = pluginFile(same);
                String reason = "not installed: bundle " + id.symbolicName() + " " + id.version() + " is installed already from "
                        + (other != null ? other.getFileName() : same.getLocation())
                        + " (one symbolic name and version is installed once: remove one of the two jars)";
                if (was == null || !was.reason().equals(reason)) {
                    refusedFiles.put(jar, new Refusal(reason, id.version().toString(), stamp, Refusal.Cause.DUPLICATE));
                    log.warn("{}: {} (refused; see 'herald plugins')", jar, reason);
                    changed = true;
                }
            } else {
                if (was != null && (was.cause() == Refusal.Cause.DUPLICATE || !java.util.Objects.equals(was.stamp(), stamp))) {
                    refusedFiles.remove(jar);   // the other jar is gone, or this one changed: FileInstall tries it again
                    was = null;
                    changed = true;
                }
                if (was == null && System.nanoTime() - p.since() > lostAfterNanos) {
                    String reason = "not installed: FileInstall does not install it (as when it took it for the same bundle"
                            + " as another jar of the same symbolic name and version, since removed); move it out of the"
                            + " folder and back, or restart the server";
                    refusedFiles.put(jar, new Refusal(reason, id.version().toString(), stamp, Refusal.Cause.LOST));
                    log.warn("{}: {} (refused; see 'herald plugins')", jar, reason);
                    changed = true;
                }
            }
        }
        return changed;
    }

    /**
     * FileInstall could not install this jar of a plugin folder (Felix refused it: a malformed or contradictory
     * manifest, a symbolic name and version already installed): it is listed as refused with Felix's reason, and
     * one warning is logged, until the file changes.
     *
     * @return false when the file is not in a plugin folder (not ours to report)
     */
    public boolean installFailed(java.nio.file.Path jar, Exception e) {
        java.nio.file.Path file = jar.toAbsolutePath().normalize();
        if (!inPluginFolder(file)) return false;
        String reason = "not installed: " + firstLine(e.getMessage() != null ? e.getMessage() : e.toString());
        Identity id = Identity.of(file);
        Refusal was = refusedFiles.put(file, new Refusal(reason, id == null ? "" : id.version().toString(), stamp(file),
                Refusal.Cause.FELIX));
        if (was == null || !was.reason().equals(reason)) log.warn("{}: {} (refused; see 'herald plugins')", file, reason);
        writeState();
        return true;
    }

    /**
     * A bundle of a plugin folder could not be started (reported by FileInstall, by the OSGi host for a built-in
     * plugin, or by the framework): one warning naming the jar and the reason, and the listing shows it: resolving
     * with the missing requirements, or failed with the activator's exception.
     *
     * @return false when the bundle is none the extender watches (not ours to report)
     */
    public boolean startFailed(Bundle bundle, org.osgi.framework.BundleException e) {
        Tracked t = tracked.get(bundle.getBundleId());
        if (t == null) return false;
        java.nio.file.Path file = pluginFile(bundle);
        Object where = file != null ? file : bundle.getLocation();
        String name = "bundle " + bundle.getSymbolicName() + " " + bundle.getVersion();
        String reason;
        String kind;
        synchronized (t) {
            if (e.getType() == org.osgi.framework.BundleException.RESOLVE_ERROR && bundle.getState() == Bundle.INSTALLED) {
                reason = name + " cannot be resolved: missing " + String.join("; ", missingRequirements(bundle));
                kind = t.module != null ? "resolving" : "ignored";
            } else {
                reason = name + " cannot start: " + startFailure(bundle, e);
                kind = "failed";
                withdraw(t);
                t.startFailure = reason;
                t.state = new PluginState.Failed(reason);
            }
            if (reason.equals(t.warned)) return true;
            t.warned = reason;
        }
        log.warn("{}: {} ({}; see 'herald plugins')", where, reason, kind);
        writeState();
        return true;
    }

    /** Why a bundle did not start: its activator's exception (innermost cause), else the framework's message. */
    private static String startFailure(Bundle bundle, org.osgi.framework.BundleException e) {
        if (e.getType() == org.osgi.framework.BundleException.ACTIVATOR_ERROR && e.getCause() != null) {
            String activator = bundle.getHeaders("").get(org.osgi.framework.Constants.BUNDLE_ACTIVATOR);
            return PluginFailures.reason("Bundle-Activator " + (activator == null ? "" : activator.trim()), e.getCause());
        }
        return firstLine(e.getMessage() != null ? e.getMessage() : e.toString());
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).trim();
    }

    /** What FileInstall logs when it cannot start a bundle (followed by the bundle's location). */
    static final String FILEINSTALL_START_FAILED = "Error while starting bundle: ";
    /** What FileInstall logs when it cannot install a file (followed by the file's path). */
    static final String FILEINSTALL_INSTALL_FAILED = "Failed to install artifact: ";

    /**
     * A line of FileInstall's log with an OSGi exception: when it is about a jar of the plugin folders, it becomes
     * that jar's state and one warning of the extender's ({@link #startFailed}, {@link #installFailed}).
     *
     * @return true when the line was taken (the caller does not log it again)
     */
    boolean fileInstallFailure(String message, org.osgi.framework.BundleException e) {
        try {
            if (message.startsWith(FILEINSTALL_START_FAILED)) {
                String location = message.substring(FILEINSTALL_START_FAILED.length()).trim();
                for (Bundle b : context.getBundles()) {
                    if (location.equals(b.getLocation())) return startFailed(b, e);
                }
            } else if (message.startsWith(FILEINSTALL_INSTALL_FAILED)) {
                return installFailed(java.nio.file.Path.of(message.substring(FILEINSTALL_INSTALL_FAILED.length()).trim()), e);
            }
        } catch (RuntimeException ignored) {
            // the framework is stopping, or the path is not one: FileInstall's line is logged as it is
        }
        return false;
    }

    /** The {@code Bundle-SymbolicName} (without directives) and {@code Bundle-Version} a jar's manifest declares. */
    record Identity(String symbolicName, org.osgi.framework.Version version) {
        static Identity of(java.nio.file.Path jar) {
            try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
                java.util.jar.Manifest mf = file.getManifest();
                if (mf == null) return null;
                String bsn = mf.getMainAttributes().getValue(org.osgi.framework.Constants.BUNDLE_SYMBOLICNAME);
                if (bsn == null || bsn.isBlank()) return null;
                String v = mf.getMainAttributes().getValue(org.osgi.framework.Constants.BUNDLE_VERSION);
                return new Identity(bsn.split(";")[0].trim(), v == null || v.isBlank()
                        ? org.osgi.framework.Version.emptyVersion : org.osgi.framework.Version.parseVersion(v.trim()));
            } catch (java.io.IOException | RuntimeException e) {
                return null;   // unreadable or a malformed version: Felix refuses it at install, and says why
            }
        }
    }

    /** Why a jar of a plugin folder was not installed, with the jar's version and stamp then. */
    record Refusal(String reason, String version, String stamp, Cause cause) {
        enum Cause {
            /** Felix refused it at install ({@link #installFailed}): until the file changes. */
            FELIX,
            /** Its symbolic name and version is installed from another jar ({@link #checkRefused()}): while it is. */
            DUPLICATE,
            /** FileInstall lost it ({@link #checkRefused()}): until it is installed or the file changes. */
            LOST
        }
    }

    /** A bundle jar not installed since {@code since} (nanoTime), with the stamp it had then. */
    record Pending(String stamp, long since) { }

    private static String stamp(java.nio.file.Path file) {
        try {
            var a = java.nio.file.Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
            return a.fileKey() + "|" + a.size() + "|" + a.lastModifiedTime().toMillis();
        } catch (java.io.IOException e) {
            return "unreadable";
        }
    }

    /** The file a bundle was installed from when that is a jar of a plugin folder; else null. */
    private java.nio.file.Path pluginFile(Bundle bundle) {
        try {
            java.nio.file.Path file = java.nio.file.Path.of(java.net.URI.create(bundle.getLocation())).toAbsolutePath().normalize();
            return inPluginFolder(file) ? file : null;
        } catch (RuntimeException e) {
            return null;   // not a file: location (a test's, a system bundle's)
        }
    }

    private boolean inPluginFolder(java.nio.file.Path file) {
        for (java.nio.file.Path dir : folders) {
            if (dir.equals(file.getParent()) || sameFile(dir, file.getParent())) return true;
        }
        return false;
    }

    private static boolean sameFile(java.nio.file.Path a, java.nio.file.Path b) {
        try {
            return java.nio.file.Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    public void open() {
        // The circuit breaker's verdict: the plugin is withdrawn and FAILED until its bundle is updated or restarted.
        host.registry().onQuarantine(this::quarantine);
        context.addFrameworkListener(frameworkErrors);
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

    /**
     * The host is stopping: the state file is no longer written, so that it keeps the plugins as they ran, which is
     * what {@code herald plugins} shows of a stopped server ("this is its last state"). The stop withdraws every
     * plugin, and writing those withdrawals left an empty list.
     */
    public void stopping() {
        stopping = true;
    }

    /** Writes {@link #plugins()} to the state file: one plugin a line, tab-separated (see {@link PluginStatus#line()}). */
    public synchronized void writeState() {
        java.nio.file.Path file = stateFile;
        if (file == null || stopping) return;
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
        try {
            context.removeFrameworkListener(frameworkErrors);
        } catch (IllegalStateException e) {
            // the framework has stopped: its listeners are gone with it
        }
        tracker.close();
    }

    /** Every plugin bundle and its state, by bundle id. RESOLVING states name what the resolver is missing now. */
    public List<PluginStatus> plugins() {
        List<PluginStatus> out = new ArrayList<>();
        for (Tracked t : tracked.values()) {
            Bundle b = t.bundle;
            PluginState state;
            synchronized (t) {
                state = b.getState() == Bundle.INSTALLED && t.module != null ? new PluginState.Resolving(missingRequirements(b)) : t.state;
            }
            out.add(new PluginStatus(b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(), b.getLocation(),
                    t.module, state));
        }
        ignoredFiles.forEach((file, reason) -> out.add(new PluginStatus(-1, file.getFileName().toString(), "",
                file.toUri().toString(), null, new PluginState.Ignored(reason))));
        refusedFiles.forEach((file, r) -> out.add(new PluginStatus(-1, file.getFileName().toString(), r.version(),
                file.toUri().toString(), null, new PluginState.Refused(r.reason()))));
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
        String module = module(bundle);
        if (module == null && pluginFile(bundle) == null) return null;   // not ours: FileInstall, ConfigAdmin, ...
        Tracked t = new Tracked(bundle, module);
        tracked.put(bundle.getBundleId(), t);
        if (module == null) ignore(t);
        update(t);
        writeState();
        return t;
    }

    @Override
    public void modifiedBundle(Bundle bundle, BundleEvent event, Tracked t) {
        if (event != null) startEvent(t, event.getType());
        String module = module(bundle);
        if (!java.util.Objects.equals(module, t.module)) {
            // updated in place (FileInstall, same file) into a plugin, or out of being one
            synchronized (t) {
                withdraw(t);
                t.module = module;
                t.state = new PluginState.Stopped();
                if (module == null) ignore(t);
            }
        }
        update(t);
        writeState();
    }

    /**
     * Follows a bundle's start: STARTING then STOPPING without STARTED is a start that failed (its activator threw);
     * the bundle is failed until it starts or is updated. The reason comes with the exception ({@link #startFailed}),
     * right after these events; until then the reason says only that it did not start.
     */
    private void startEvent(Tracked t, int type) {
        synchronized (t) {
            switch (type) {
                case BundleEvent.STARTING -> t.starting = true;
                case BundleEvent.STOPPING -> {
                    if (t.starting && t.startFailure == null) {
                        t.startFailure = "bundle " + t.bundle.getSymbolicName() + " " + t.bundle.getVersion()
                                + " cannot start (its Bundle-Activator failed)";
                    }
                    t.starting = false;
                }
                case BundleEvent.STARTED, BundleEvent.UPDATED -> {
                    t.starting = false;
                    if (t.startFailure != null) t.state = new PluginState.Stopped();
                    t.startFailure = null;
                    t.warned = null;
                }
                default -> { }
            }
        }
    }

    /** The module class the bundle's {@value #HEADER} header names; null when it names none. */
    private static String module(Bundle bundle) {
        String module = bundle.getHeaders("").get(HEADER);
        return module == null || module.isBlank() ? null : module.trim();
    }

    /** A bundle of a plugin folder without the header: listed as ignored, with a warning. */
    private void ignore(Tracked t) {
        Bundle b = t.bundle;
        String reason = io.herald.host.PluginJars.noHeader(b.getSymbolicName(), b.getVersion().toString());
        t.state = new PluginState.Ignored(reason);
        log.warn("{}: {} (ignored; see 'herald plugins')", pluginFile(b), reason);
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
            if (t.module == null) {   // ignored: nothing to start, unless it could not even start as a bundle
                if (t.startFailure != null) t.state = new PluginState.Failed(t.startFailure);
                else if (!(t.state instanceof PluginState.Ignored)) {
                    t.state = new PluginState.Ignored(io.herald.host.PluginJars.noHeader(t.bundle.getSymbolicName(), t.bundle.getVersion().toString()));
                }
                return;
            }
            int state = t.bundle.getState();
            if (state == Bundle.ACTIVE) {
                if (t.plugin == null && !(t.state instanceof PluginState.Failed)) start(t);
            } else {
                withdraw(t);
                t.state = state == Bundle.INSTALLED ? new PluginState.Resolving(List.of())
                        : t.startFailure != null ? new PluginState.Failed(t.startFailure) : new PluginState.Stopped();
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
        /** The module class; null for a bundle of a plugin folder without the header (ignored). */
        String module;
        Plugin plugin;
        PluginState state = new PluginState.Stopped();
        io.herald.api.config.Configuration config;
        io.herald.config.ConfigStore.Listener listener;
        String pid;
        /** Between the STARTING event and STARTED or STOPPING. */
        boolean starting;
        /** Why the bundle could not start (its activator threw); null once it starts or is updated. */
        String startFailure;
        /** The reason last warned about, so that a failure repeated by a retry is logged once. */
        String warned;

        Tracked(Bundle bundle, String module) {
            this.bundle = bundle;
            this.module = module;
        }
    }
}

package io.herald.osgi;

import com.google.inject.AbstractModule;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.config.HeraldPaths;
import io.herald.host.PlainHost;
import jakarta.inject.Inject;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/**
 * The OSGi host: an embedded Apache Felix in which plugins are bundles, hot-deployed from {@code <home>/plugins}.
 *
 * <p>Design: the core (framework, the API, Guice, jakarta.inject, SLF4J and Logback) stays on the launcher's class
 * path and is <em>not</em> a bundle; the system bundle exports the API and the libraries a plugin module is written
 * against ({@code org.osgi.framework.system.packages.extra}), each at the version its jar declares. Plugins import
 * them, so the core and every plugin share one {@code HeraldPlugin}, one Guice and one {@code Router} class, and
 * the same {@link PlainHost} builds each plugin's child injector of the one core injector on either host.
 * Infrastructure bundles (Felix FileInstall, ConfigAdmin) are installed from the {@code system/} folder.
 *
 * <pre>{@code
 * try (FelixHost felix = FelixHost.builder(paths, plainHost).systemBundles(home.resolve("system")).start()) {
 *     felix.plugins(); // ACTIVE / FAILED(reason) / RESOLVING(missing) per plugin bundle
 * }
 * }</pre>
 */
public final class FelixHost implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FelixHost.class);

    private final Framework framework;
    private final PluginExtender extender;
    private final HeraldPaths paths;

    private final java.util.concurrent.ScheduledExecutorService scanner;

    private FelixHost(Framework framework, PluginExtender extender, HeraldPaths paths, java.util.concurrent.ScheduledExecutorService scanner) {
        this.framework = framework;
        this.extender = extender;
        this.paths = paths;
        this.scanner = scanner;
    }

    public static Builder builder(HeraldPaths paths, PlainHost host) {
        return new Builder(paths, host);
    }

    /** Every plugin bundle and its state: what {@code bin/herald plugins} lists. */
    public List<PluginStatus> plugins() {
        return extender.plugins();
    }

    /** True when no plugin bundle is between installed-and-resolved and started (see {@link PluginExtender#settled()}). */
    public boolean settled() {
        return extender.settled();
    }

    public Framework framework() {
        return framework;
    }

    public BundleContext context() {
        return framework.getBundleContext();
    }

    /**
     * Deploys a plugin jar the way an operator should: copied beside the watched folder under a name FileInstall
     * ignores, then renamed into it in one step, so FileInstall never sees a half-written jar.
     *
     * @return the jar's path in {@code plugins/}
     */
    public Path deploy(Path jar) throws IOException {
        return deploy(jar, paths.plugins());
    }

    /** As {@link #deploy(Path)}, into any watched folder. */
    public static Path deploy(Path jar, Path pluginsDir) throws IOException {
        Files.createDirectories(pluginsDir);
        Path target = pluginsDir.resolve(jar.getFileName());
        Path tmp = pluginsDir.resolve(jar.getFileName() + ".part");
        Files.copy(jar, tmp, StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    @Override
    public void close() {
        scanner.shutdownNow();
        extender.stopping();   // data/plugins.state keeps the plugins as they ran
        try {
            framework.stop();
            FrameworkEvent event = framework.waitForStop(30_000);
            if (event.getType() == FrameworkEvent.WAIT_TIMEDOUT) log.warn("Felix did not stop within 30 s");
        } catch (BundleException e) {
            log.warn("stopping Felix failed: {}", e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            FileInstallLog.unregister(extender);
            extender.close();
        }
    }

    /** Builds and starts a {@link FelixHost}. */
    public static final class Builder {
        private final HeraldPaths paths;
        private final PlainHost host;
        private Path systemBundles;
        private Path builtInPlugins;
        private long pollMillis = 250;
        private final Map<String, String> properties = new HashMap<>();

        private Builder(HeraldPaths paths, PlainHost host) {
            this.paths = paths;
            this.host = host;
        }

        /** The folder with the infrastructure bundles (FileInstall, ConfigAdmin); {@code <home>/system} by default. */
        public Builder systemBundles(Path dir) {
            this.systemBundles = dir;
            return this;
        }

        /**
         * The distribution's own {@code plugins/} when the home is elsewhere ({@code --home}): its jars are installed
         * and started too, except those of which {@code <home>/plugins} has a jar of the same file name (the home's
         * wins and is hot-deployable; the distribution's are not watched).
         */
        public Builder builtInPlugins(Path dir) {
            this.builtInPlugins = dir;
            return this;
        }

        /** How often FileInstall looks at {@code plugins/}; 250 ms by default. */
        public Builder pollMillis(long millis) {
            this.pollMillis = millis;
            return this;
        }

        /** Sets a framework property (wins over the defaults here). */
        public Builder property(String key, String value) {
            properties.put(key, value);
            return this;
        }

        public FelixHost start() throws BundleException, IOException {
            Path dir = systemBundles != null ? systemBundles : paths.home().resolve("system");
            Files.createDirectories(paths.plugins());
            Map<String, Object> config = new HashMap<>();
            config.put(Constants.FRAMEWORK_STORAGE, paths.data().resolve("felix-cache").toString());
            config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
            config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, systemPackagesExtra());
            // Felix's own messages go to SLF4J; warnings and errors only.
            config.put("felix.log.logger", new Slf4jFelixLogger());
            config.put("felix.log.level", "2");
            config.put("felix.fileinstall.dir", paths.plugins().toString());
            config.put("felix.fileinstall.poll", Long.toString(pollMillis));
            config.put("felix.fileinstall.noInitialDelay", "true");
            config.put("felix.fileinstall.filter", ".*\\.jar");
            config.put("felix.fileinstall.tmpdir", paths.data().resolve("fileinstall-tmp").toString());
            config.put("felix.fileinstall.bundles.new.start", "true");
            config.put("felix.fileinstall.log.level", "2");
            // FileInstall's warnings into Herald's log, and its failures for plugin jars into their state (FileInstallLog)
            config.put("felix.fileinstall.log.default", "jul");
            config.putAll(properties);

            FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, FelixHost.class.getClassLoader()).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no OSGi FrameworkFactory on the class path (org.apache.felix.framework)"));
            @SuppressWarnings({"unchecked", "rawtypes"})
            Framework framework = factory.newFramework((Map) config);
            long t0 = System.nanoTime();
            framework.init();
            List<Path> folders = new ArrayList<>(List.of(paths.plugins()));
            if (builtInPlugins != null) folders.add(builtInPlugins);
            PluginExtender extender = new PluginExtender(framework.getBundleContext(), host)
                    .stateFile(paths.data().resolve("plugins.state")).pluginFolders(folders).fileInstallPoll(pollMillis);
            extender.open();
            FileInstallLog.register(extender);
            try {
                framework.start();
                List<Bundle> installed = new ArrayList<>();
                for (Path jar : systemJars(dir)) {
                    try (InputStream in = Files.newInputStream(jar)) {
                        installed.add(framework.getBundleContext().installBundle(jar.toUri().toString(), in));
                    }
                }
                for (Bundle b : installed) b.start();
                for (Path jar : builtIns()) {
                    try (InputStream in = Files.newInputStream(jar)) {
                        Bundle b = framework.getBundleContext().installBundle(jar.toUri().toString(), in);
                        try {
                            b.start();
                        } catch (BundleException e) {
                            if (!extender.startFailed(b, e)) log.error("built-in plugin {} cannot start: {}", jar, e.getMessage());
                        }
                    }
                }
            } catch (BundleException | IOException | RuntimeException e) {
                FileInstallLog.unregister(extender);
                extender.close();
                framework.stop();
                throw e;
            }
            // FileInstall installs bundles only: a jar of plugins/ that is none is reported by the extender's own look
            extender.scanFolders();
            java.util.concurrent.ScheduledExecutorService scanner = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "herald-plugins-scan");
                t.setDaemon(true);
                return t;
            });
            scanner.scheduleWithFixedDelay(() -> {
                try {
                    extender.scanFolders();
                } catch (RuntimeException e) {
                    log.warn("looking at {} failed: {}", paths.plugins(), e.toString(), e);
                }
            }, pollMillis, pollMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
            log.info("Felix started in {} ms: watching {} ({} ms poll), system bundles from {}",
                    (System.nanoTime() - t0) / 1_000_000, paths.plugins(), pollMillis, dir);
            return new FelixHost(framework, extender, paths, scanner);
        }

        private List<Path> builtIns() throws IOException {
            if (builtInPlugins == null || !Files.isDirectory(builtInPlugins)) return List.of();
            if (Files.isDirectory(paths.plugins()) && Files.isSameFile(builtInPlugins, paths.plugins())) return List.of();
            try (Stream<Path> s = Files.list(builtInPlugins)) {
                // a jar that is no bundle cannot be installed: the extender lists it as ignored
                return s.filter(p -> p.toString().endsWith(".jar"))
                        .filter(p -> !Files.exists(paths.plugins().resolve(p.getFileName())))
                        .filter(p -> {
                            io.herald.host.PluginJars.Finding f = io.herald.host.PluginJars.asBundle(p);
                            return f == null || f.problem() == io.herald.host.PluginJars.Problem.NOT_A_PLUGIN;
                        }).sorted().toList();
            }
        }

        private static List<Path> systemJars(Path dir) throws IOException {
            if (!Files.isDirectory(dir)) {
                throw new IOException("no system bundle folder " + dir + ": it must hold the Felix FileInstall and ConfigAdmin bundles");
            }
            try (Stream<Path> s = Files.list(dir)) {
                // ConfigAdmin before FileInstall, so that FileInstall finds it when it starts (sorted by name: c < f).
                List<Path> jars = s.filter(p -> p.toString().endsWith(".jar")).sorted().toList();
                if (jars.stream().noneMatch(p -> p.getFileName().toString().contains("fileinstall"))) {
                    throw new IOException("no Felix FileInstall bundle in " + dir + ": plugins/ would not be watched");
                }
                return jars;
            }
        }
    }

    /**
     * The packages the system bundle exports to plugins: the extension API, Guice (a module is a Guice
     * {@code AbstractModule}), jakarta.inject and SLF4J, at their jars' versions; and {@code sun.misc}, which Lucene
     * uses (optionally) to unmap files.
     */
    static String systemPackagesExtra() {
        return SystemPackages.exportsOf(HeraldPlugin.class, AbstractModule.class, Inject.class, org.slf4j.Logger.class)
                + ",sun.misc";
    }

    /** Forwards Felix's log to SLF4J. */
    static final class Slf4jFelixLogger extends org.apache.felix.framework.Logger {
        private static final Logger felix = LoggerFactory.getLogger("org.apache.felix");

        @Override
        protected void doLog(Bundle bundle, org.osgi.framework.ServiceReference sr, int level, String msg, Throwable t) {
            String text = bundle == null ? msg : "[" + bundle.getSymbolicName() + " " + bundle.getBundleId() + "] " + msg;
            switch (level) {
                case LOG_ERROR -> felix.error(text, t);
                case LOG_WARNING -> felix.warn(text, t);
                case LOG_INFO -> felix.info(text, t);
                default -> felix.debug(text, t);
            }
        }
    }

}

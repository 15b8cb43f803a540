package io.herald.launcher;

import io.herald.host.PluginJars;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Where the server's folder is, and the class loader for its plugins.
 *
 * <p>The home is, first found: {@code --home DIR}, the environment variable {@code HERALD_HOME}, the distribution
 * folder (the parent of {@code bin/}, passed by {@code bin/herald} as the system property {@code herald.dist}),
 * the current folder.
 */
public final class Home {

    public static final String ENV = "HERALD_HOME";
    public static final String DIST_PROPERTY = "herald.dist";

    private Home() { }

    public static Path resolve(Path option, Map<String, String> env, String distProperty) {
        if (option != null) return option.toAbsolutePath().normalize();
        String fromEnv = env.get(ENV);
        if (fromEnv != null && !fromEnv.isBlank()) return Path.of(fromEnv).toAbsolutePath().normalize();
        if (distProperty != null && !distProperty.isBlank()) return Path.of(distProperty).toAbsolutePath().normalize();
        return Path.of("").toAbsolutePath();
    }

    /** {@link #resolve(Path, Map, String)} with this process's environment and system properties. */
    public static Path resolve(Path option) {
        return resolve(option, System.getenv(), System.getProperty(DIST_PROPERTY));
    }

    /** The distribution folder, when started by {@code bin/herald}. */
    public static Path distribution() {
        String d = System.getProperty(DIST_PROPERTY);
        return d == null || d.isBlank() ? null : Path.of(d).toAbsolutePath().normalize();
    }

    /** The plugin jars in {@code <home>/plugins}, sorted by name; none when the folder is missing. */
    public static List<Path> pluginJars(Path home) {
        Path dir = home.resolve("plugins");
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jar") && Files.isRegularFile(p)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir, e);
        }
    }

    /**
     * The plugin jars to load: the distribution's built-in ones ({@code <dist>/plugins}) and the home's own
     * ({@code <home>/plugins}); a jar of the same file name in the home replaces the distribution's.
     */
    public static List<Path> pluginJars(Path home, Path dist) {
        java.util.Map<String, Path> byName = new java.util.TreeMap<>();
        if (dist != null) pluginJars(dist).forEach(p -> byName.put(p.getFileName().toString(), p));
        pluginJars(home).forEach(p -> byName.put(p.getFileName().toString(), p));
        return List.copyOf(byName.values());
    }

    /**
     * The jars a plugin bundle embeds on its {@code Bundle-ClassPath} (e.g. Lucene inside the mailbox-lucene bundle),
     * which a {@link URLClassLoader} cannot read inside the bundle: extracted once into a cache folder
     * ({@code <java.io.tmpdir>/herald-plugin-libs-<user>/<digest of the jar's path, size and time>/}) and returned
     * in {@code Bundle-ClassPath} order. A plain jar (no such header) has none.
     */
    static List<Path> embeddedLibraries(Path jar) {
        try (java.util.jar.JarFile file = new java.util.jar.JarFile(jar.toFile())) {
            java.util.jar.Manifest mf = file.getManifest();
            String cp = mf == null ? null : mf.getMainAttributes().getValue("Bundle-ClassPath");
            if (cp == null || cp.isBlank()) return List.of();
            String key = jar.toAbsolutePath() + "|" + Files.size(jar) + "|" + Files.getLastModifiedTime(jar).toMillis();
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(key.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            String hex = java.util.HexFormat.of().formatHex(digest, 0, 8);
            Path dir = Path.of(System.getProperty("java.io.tmpdir"), "herald-plugin-libs-" + System.getProperty("user.name", "user"),
                    jar.getFileName() + "-" + hex);
            List<Path> out = new ArrayList<>();
            for (String raw : cp.split(",")) {
                String entry = raw.trim();
                int semi = entry.indexOf(';');
                if (semi >= 0) entry = entry.substring(0, semi).trim();
                if (entry.isEmpty() || entry.equals(".") || !entry.endsWith(".jar")) continue;
                java.util.jar.JarEntry e = file.getJarEntry(entry);
                if (e == null) continue;
                Path target = dir.resolve(entry).normalize();
                if (!target.startsWith(dir)) continue;
                if (!Files.isRegularFile(target)) {
                    Files.createDirectories(target.getParent());
                    Path tmp = Files.createTempFile(target.getParent(), "lib", ".part");
                    try (java.io.InputStream in = file.getInputStream(e)) {
                        Files.copy(in, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                    Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                }
                out.add(target);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the libraries embedded in " + jar, e);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A class loader over {@link #pluginJars(Path, Path) the plugin jars} whose parent is the launcher's (application) class loader, so that
     * plugins see the API and the libraries in {@code lib/}, and {@link java.util.ServiceLoader} finds plugins in both.
     */
    public static URLClassLoader pluginLoader(Path home) {
        return pluginLoader(home, true);
    }

    /**
     * As {@link #pluginLoader(Path)}. A jar that cannot be read as a jar is left out, with a warning naming it and why
     * ({@code not a jar (zip) file: ...}); one that lists no plugin module ({@link PluginJars#SERVICES}) stays on the
     * class path (its classes may serve a plugin) with a warning that nothing is started from it. Never a crash of
     * the tool.
     *
     * @param report whether to log those warnings (the OSGi host reports the jars of {@code plugins/} itself)
     */
    public static URLClassLoader pluginLoader(Path home, boolean report) {
        // not a static field: Home is used before the tools configure logging, and a logger made then would fix
        // Logback's defaults (DEBUG on stdout) for the whole run
        org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(Home.class);
        List<URL> urls = new ArrayList<>();
        for (Path jar : pluginJars(home, distribution())) {
            PluginJars.Finding finding = PluginJars.onClassPath(jar);
            if (finding != null && report) {
                log.warn("{}: {} ({})", jar, finding.reason(),
                        finding.problem() == PluginJars.Problem.NOT_A_JAR ? "ignored" : "nothing is started from it");
            }
            if (finding != null && finding.problem() == PluginJars.Problem.NOT_A_JAR) continue;
            try {
                List<Path> libs = embeddedLibraries(jar);
                urls.add(jar.toUri().toURL());
                for (Path lib : libs) urls.add(lib.toUri().toURL());
            } catch (UncheckedIOException e) {
                if (report) log.warn("{}: {} (ignored)", jar, e.getMessage() + ": " + e.getCause());
            } catch (MalformedURLException e) {
                throw new IllegalStateException(e);
            }
        }
        return new URLClassLoader("herald-plugins", urls.toArray(URL[]::new), Home.class.getClassLoader());
    }
}

package io.herald.api;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What bnd's baselining (the {@code api-baseline} profile) cannot see once the bundle version is ignored: a package
 * of the reference API that is no longer exported, or whose version went down. Every package a plugin built against
 * the reference may import must still be exported, at the same major version or a higher one.
 */
class ApiBaselineTest {

    static final Path BASEDIR = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();

    @Test
    void everyPackageOfTheReferenceIsStillExportedAtACompatibleOrNewerVersion() throws IOException {
        String version = System.getProperty("herald.api.baseline", "1.0.0-reference");
        Path reference = BASEDIR.resolve("baseline/repository/io/herald/herald-api/" + version + "/herald-api-" + version + ".jar");
        assertThat(reference).as("the reference API (baseline/README.md)").isRegularFile();
        Map<String, int[]> before;
        try (JarFile jar = new JarFile(reference.toFile())) {
            before = exports(jar.getManifest());
        }
        Path built = BASEDIR.resolve("target/classes/META-INF/MANIFEST.MF");
        assertThat(built).as("bnd's manifest of this build").isRegularFile();
        Map<String, int[]> now;
        try (InputStream in = Files.newInputStream(built)) {
            now = exports(new Manifest(in));
        }
        assertThat(before).as("exported packages of the reference").isNotEmpty();
        for (Map.Entry<String, int[]> e : before.entrySet()) {
            assertThat(now).as("package %s of the reference API is gone: that breaks every plugin importing it"
                    + " (a major change: deprecate instead, or raise every plugin's import range)", e.getKey()).containsKey(e.getKey());
            int[] was = e.getValue();
            int[] is = now.get(e.getKey());
            assertThat(compare(is, was)).as("version of %s went down from %s to %s", e.getKey(), text(was), text(is))
                    .isGreaterThanOrEqualTo(0);
        }
    }

    /**
     * bnd 7.3 misses one break: once it has seen a default method of an interface, it rates every method added after it
     * as MINOR, abstract ones too (it sets its "added" delta to MINOR inside its loop over the methods). An abstract
     * method added to an extension point ({@code @ConsumerType}: plugins implement it) breaks every plugin, so this
     * test checks it by reflection: such a method needs a major bump of its package.
     */
    @Test
    void anAbstractMethodAddedToAnExtensionPointNeedsAMajorBump() throws Exception {
        String version = System.getProperty("herald.api.baseline", "1.0.0-reference");
        Path reference = BASEDIR.resolve("baseline/repository/io/herald/herald-api/" + version + "/herald-api-" + version + ".jar");
        Map<String, int[]> before;
        try (JarFile jar = new JarFile(reference.toFile())) {
            before = exports(jar.getManifest());
        }
        Map<String, int[]> now;
        try (InputStream in = Files.newInputStream(BASEDIR.resolve("target/classes/META-INF/MANIFEST.MF"))) {
            now = exports(new Manifest(in));
        }
        List<String> breaks = new ArrayList<>();
        int checked = 0;
        try (JarFile jar = new JarFile(reference.toFile());
             ReferenceLoader old = new ReferenceLoader(reference, getClass().getClassLoader())) {
            for (var entries = jar.entries(); entries.hasMoreElements(); ) {
                var entry = entries.nextElement();
                String name = entry.getName();
                if (!name.endsWith(".class") || name.contains("-")) continue;
                byte[] bytes;
                try (InputStream in = jar.getInputStream(entry)) {
                    bytes = in.readAllBytes();
                }
                if (!new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).contains("Lorg/osgi/annotation/versioning/ConsumerType;")) continue;
                String className = name.substring(0, name.length() - 6).replace('/', '.');
                Class<?> was = old.loadClass(className);
                if (!was.isInterface()) continue;
                Class<?> is = Class.forName(className);
                checked++;
                java.util.Set<String> abstractBefore = abstractMethods(was);
                String pkg = was.getPackageName();
                for (String m : abstractMethods(is)) {
                    if (!abstractBefore.contains(m) && now.get(pkg)[0] <= before.get(pkg)[0]) {
                        breaks.add(className + "." + m + " is new and abstract: every plugin implementing it breaks; package "
                                + pkg + " needs version " + (before.get(pkg)[0] + 1) + ".0.0 (or give the method a default)");
                    }
                }
            }
        }
        assertThat(checked).as("extension points (@ConsumerType interfaces) in the reference").isGreaterThanOrEqualTo(5);
        assertThat(breaks).isEmpty();
    }

    static java.util.Set<String> abstractMethods(Class<?> type) {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (java.lang.reflect.Method m : type.getMethods()) {
            if (!java.lang.reflect.Modifier.isAbstract(m.getModifiers())) continue;
            StringBuilder b = new StringBuilder(m.getName()).append('(');
            for (Class<?> p : m.getParameterTypes()) b.append(p.getName()).append(',');
            out.add(b.append(')').toString());
        }
        return out;
    }

    /** Loads io.herald.api classes from the reference jar first; everything else (JDK, Guice) from the parent. */
    static final class ReferenceLoader extends java.net.URLClassLoader {
        ReferenceLoader(Path jar, ClassLoader parent) throws IOException {
            super(new java.net.URL[] {jar.toUri().toURL()}, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("io.herald.api.")) return super.loadClass(name, resolve);
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) c = findClass(name);
                if (resolve) resolveClass(c);
                return c;
            }
        }
    }

    @Test
    void exportParsing() {
        Manifest m = new Manifest();
        m.getMainAttributes().putValue("Manifest-Version", "1.0");
        m.getMainAttributes().putValue("Export-Package", "a.b;version=\"1.2.3\";uses:=\"x.y,z\",c;version=2.0,d");
        assertThat(exports(m)).containsOnlyKeys("a.b", "c", "d");
        assertThat(exports(m).get("a.b")).containsExactly(1, 2, 3);
        assertThat(exports(m).get("c")).containsExactly(2, 0, 0);
        assertThat(exports(m).get("d")).containsExactly(0, 0, 0);
    }

    /** Export-Package: package name to version (major, minor, micro); clauses split outside quotes. */
    static Map<String, int[]> exports(Manifest manifest) {
        String header = manifest.getMainAttributes().getValue("Export-Package");
        Map<String, int[]> out = new LinkedHashMap<>();
        if (header == null) return out;
        for (String clause : split(header, ',')) {
            List<String> parts = split(clause, ';');
            int[] v = {0, 0, 0};
            for (String p : parts.subList(1, parts.size())) {
                String t = p.strip();
                if (t.startsWith("version=")) {
                    String[] n = t.substring("version=".length()).replace("\"", "").split("\\.");
                    for (int i = 0; i < 3 && i < n.length; i++) v[i] = Integer.parseInt(n[i]);
                }
            }
            out.put(parts.get(0).strip(), v);
        }
        return out;
    }

    private static List<String> split(String s, char sep) {
        List<String> out = new ArrayList<>();
        StringBuilder b = new StringBuilder();
        boolean quoted = false;
        for (char c : s.toCharArray()) {
            if (c == '"') quoted = !quoted;
            if (c == sep && !quoted) {
                out.add(b.toString());
                b.setLength(0);
            } else {
                b.append(c);
            }
        }
        out.add(b.toString());
        return out;
    }

    private static int compare(int[] a, int[] b) {
        for (int i = 0; i < 3; i++) if (a[i] != b[i]) return Integer.compare(a[i], b[i]);
        return 0;
    }

    private static String text(int[] v) {
        return v[0] + "." + v[1] + "." + v[2];
    }
}

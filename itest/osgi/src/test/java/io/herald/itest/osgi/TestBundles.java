package io.herald.itest.osgi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/** Builds small bundles for the tests, and finds the bundles the reactor built. */
final class TestBundles {

    private TestBundles() { }

    /** The bundle a plugin module built, as the surefire property names it: a jar, or its bnd-processed class folder. */
    static Path built(String plugin) {
        String where = System.getProperty("herald.bundle." + plugin);
        if (where == null || where.isBlank() || where.startsWith("${")) {
            throw new IllegalStateException("system property herald.bundle." + plugin + " is not set: run through Maven");
        }
        return Path.of(where);
    }

    /** A jar of the built bundle; a class folder (the reactor ran only up to `test`) is packed as the jar would be. */
    static Path asJar(Path builtBundle, Path dir) throws IOException {
        if (Files.isRegularFile(builtBundle)) return builtBundle;
        Map<String, byte[]> entries = entries(builtBundle);
        Manifest mf = new Manifest(new java.io.ByteArrayInputStream(entries.remove("META-INF/MANIFEST.MF")));
        return write(dir.resolve(builtBundle.getParent().getParent().getFileName() + ".jar"), mf, entries);
    }

    /** The entries of a jar or a class folder, by path. */
    static Map<String, byte[]> entries(Path jarOrDir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        if (Files.isDirectory(jarOrDir)) {
            try (Stream<Path> files = Files.walk(jarOrDir)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    out.put(jarOrDir.relativize(f).toString().replace('\\', '/'), Files.readAllBytes(f));
                }
            }
        } else {
            try (JarFile jar = new JarFile(jarOrDir.toFile())) {
                for (JarEntry e : java.util.Collections.list(jar.entries())) {
                    if (e.isDirectory()) continue;
                    try (InputStream in = jar.getInputStream(e)) {
                        out.put(e.getName(), in.readAllBytes());
                    }
                }
            }
        }
        return out;
    }

    /** The manifest of a built bundle. */
    static Manifest manifest(Path jarOrDir) throws IOException {
        try (InputStream in = Files.isDirectory(jarOrDir) ? Files.newInputStream(jarOrDir.resolve("META-INF/MANIFEST.MF"))
                : new JarFile(jarOrDir.toFile()).getInputStream(new JarEntry("META-INF/MANIFEST.MF"))) {
            return new Manifest(in);
        }
    }

    /** The compiled classes of one test package, as bundle entries. */
    static Map<String, byte[]> classesOf(Class<?> anyInPackage) throws IOException {
        Path root;
        try {
            root = Path.of(anyInPackage.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        String pkg = anyInPackage.getPackageName().replace('.', '/');
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> files = Files.list(root.resolve(pkg))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                out.put(pkg + "/" + f.getFileName(), Files.readAllBytes(f));
            }
        }
        return out;
    }

    /** A manifest for a bundle with these headers. */
    static Manifest manifest(Map<String, String> headers) {
        Manifest mf = new Manifest();
        Attributes a = mf.getMainAttributes();
        a.put(Attributes.Name.MANIFEST_VERSION, "1.0");
        a.putValue("Bundle-ManifestVersion", "2");
        headers.forEach(a::putValue);
        return mf;
    }

    static Path write(Path jar, Manifest mf, Map<String, byte[]> entries) {
        try {
            Files.createDirectories(jar.getParent());
            try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, mf)) {
                for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                    if (e.getKey().equals("META-INF/MANIFEST.MF")) continue;
                    j.putNextEntry(new JarEntry(e.getKey()));
                    j.write(e.getValue());
                    j.closeEntry();
                }
            }
            return jar;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.herald.osgi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * Builds {@code org.osgi.framework.system.packages.extra}: the packages the core offers plugin bundles from the
 * launcher's class path, each at the version its own jar's {@code Export-Package} declares (so that the import
 * ranges bnd computed when the plugin was built match exactly). {@code uses:} directives are dropped: every one of
 * these packages comes from the one class loader, so no two versions can meet.
 */
public final class SystemPackages {

    private SystemPackages() { }

    /** The exports of the jars (or class folders) that hold each of these classes, as one header value. */
    public static String exportsOf(Class<?>... anchors) {
        Set<String> clauses = new LinkedHashSet<>();
        for (Class<?> anchor : anchors) clauses.addAll(exportClauses(anchor));
        return String.join(",", clauses);
    }

    /** {@code package;version="x"} for every package the jar holding this class exports. */
    public static List<String> exportClauses(Class<?> anchor) {
        Manifest manifest = manifestOf(anchor);
        String header = manifest == null ? null : manifest.getMainAttributes().getValue("Export-Package");
        if (header == null) {
            throw new IllegalStateException("the jar of " + anchor.getName() + " (" + location(anchor)
                    + ") declares no Export-Package: it must be the OSGi bundle built by the reactor, not a plain jar");
        }
        List<String> out = new ArrayList<>();
        for (String clause : split(header, ',')) {
            List<String> parts = split(clause, ';');
            List<String> packages = new ArrayList<>();
            String version = null;
            for (String part : parts) {
                String p = part.trim();
                if (p.startsWith("version=")) version = p.substring("version=".length()).replace("\"", "");
                else if (!p.contains("=")) packages.add(p);
            }
            for (String pkg : packages) out.add(version == null ? pkg : pkg + ";version=\"" + version + "\"");
        }
        return out;
    }

    private static Manifest manifestOf(Class<?> anchor) {
        Path where = location(anchor);
        try {
            if (Files.isDirectory(where)) {
                Path mf = where.resolve("META-INF/MANIFEST.MF");
                if (!Files.isRegularFile(mf)) return null;
                try (InputStream in = Files.newInputStream(mf)) {
                    return new Manifest(in);
                }
            }
            try (JarFile jar = new JarFile(where.toFile())) {
                return jar.getManifest();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the manifest of " + where, e);
        }
    }

    private static Path location(Class<?> anchor) {
        CodeSource source = anchor.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            throw new IllegalStateException(anchor.getName() + " has no code source: it must come from a jar on the class path");
        }
        try {
            return Path.of(source.getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException("bad code source " + source.getLocation(), e);
        }
    }

    /** Splits a manifest header on a separator that is outside double quotes. */
    public static List<String> split(String header, char separator) {
        List<String> parts = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (char c : header.toCharArray()) {
            if (c == '"') quoted = !quoted;
            if (c == separator && !quoted) {
                if (!current.toString().isBlank()) parts.add(current.toString().trim());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (!current.toString().isBlank()) parts.add(current.toString().trim());
        return parts;
    }
}

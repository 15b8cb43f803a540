package io.herald.host;

import java.io.IOException;
import java.nio.file.Path;
import java.util.jar.JarFile;
import java.util.jar.Manifest;

/**
 * What a {@code *.jar} file in {@code plugins/} is, for both hosts: a jar that is not a plugin is reported with the
 * reason, never silently ignored and never a crash.
 *
 * <p>The OSGi host starts a bundle (a {@code Bundle-SymbolicName}) that names its module in the {@value #HEADER}
 * header; the plain-Java host starts the modules a jar lists in {@value #SERVICES}.
 */
public final class PluginJars {

    /** The manifest header that names a plugin bundle's module class (read by the OSGi host's extender). */
    public static final String HEADER = "Herald-Plugin";

    /** The service file through which the plain-Java host finds a jar's plugin modules. */
    public static final String SERVICES = "META-INF/services/io.herald.api.plugin.HeraldPlugin";

    private PluginJars() { }

    /** What is wrong with a jar as a plugin. */
    public enum Problem {
        /** It cannot be read as a jar (zip) file: no host can load it. */
        NOT_A_JAR,
        /** A jar, but no OSGi bundle: FileInstall does not install it. */
        NOT_A_BUNDLE,
        /** A jar (or bundle) that names no plugin module for this host: nothing is started from it. */
        NOT_A_PLUGIN
    }

    /** A problem and the reason, for the log and {@code herald plugins}. */
    public record Finding(Problem problem, String reason) { }

    /**
     * The jar as the OSGi host sees it: null for a bundle with a {@value #HEADER} header (a plugin, however it then
     * fares); else why it is not one: {@code not a jar (zip) file: zip END header not found}, {@code not an OSGi
     * bundle: no Bundle-SymbolicName in META-INF/MANIFEST.MF}, {@code not a Herald plugin: bundle b 1.0.0 has no
     * Herald-Plugin header}.
     */
    public static Finding asBundle(Path jar) {
        Manifest mf;
        try (JarFile file = new JarFile(jar.toFile())) {
            mf = file.getManifest();
        } catch (IOException | SecurityException e) {
            return new Finding(Problem.NOT_A_JAR, "not a jar (zip) file: " + reason(e));
        }
        String bsn = mf == null ? null : mf.getMainAttributes().getValue("Bundle-SymbolicName");
        if (bsn == null || bsn.isBlank()) {
            return new Finding(Problem.NOT_A_BUNDLE, "not an OSGi bundle: "
                    + (mf == null ? "no META-INF/MANIFEST.MF" : "no Bundle-SymbolicName in META-INF/MANIFEST.MF"));
        }
        String module = mf.getMainAttributes().getValue(HEADER);
        if (module == null || module.isBlank()) {
            return new Finding(Problem.NOT_A_PLUGIN, noHeader(bsn.split(";")[0].trim(), mf.getMainAttributes().getValue("Bundle-Version")));
        }
        return null;
    }

    /** Why a bundle is not a plugin: {@code not a Herald plugin: bundle b 1.0.0 has no Herald-Plugin header}. */
    public static String noHeader(String symbolicName, String version) {
        return "not a Herald plugin: bundle " + symbolicName + (version == null || version.isBlank() ? "" : " " + version.trim())
                + " has no " + HEADER + " header";
    }

    /**
     * The jar as the plain-Java host sees it: null when it lists plugin modules in {@value #SERVICES}; else
     * {@link Problem#NOT_A_JAR} (it must be left off the class path) or {@link Problem#NOT_A_PLUGIN}.
     */
    public static Finding onClassPath(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            if (file.getEntry(SERVICES) != null) return null;
            return new Finding(Problem.NOT_A_PLUGIN, "not a Herald plugin: no " + SERVICES + " in it");
        } catch (IOException | SecurityException e) {
            return new Finding(Problem.NOT_A_JAR, "not a jar (zip) file: " + reason(e));
        }
    }

    private static String reason(Exception e) {
        return e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
    }
}

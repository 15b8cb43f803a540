package io.herald.osgi;

import io.herald.host.Plugin;

import java.util.List;

/** Where a plugin bundle stands, as {@code bin/herald plugins} shows it. */
public sealed interface PluginState {

    /**
     * Started: its contributions are in the extension registry.
     *
     * @param note null, or why it runs with its last good configuration: its changed file was refused (naming the
     *             file, key and value, and the reason)
     */
    record Active(Plugin plugin, String note) implements PluginState {
        public Active(Plugin plugin) { this(plugin, null); }

        @Override public String toString() { return "ACTIVE " + plugin.extensionPoints() + (note == null ? "" : ", " + note); }
    }

    /**
     * Nothing of it is registered, and the reason: the bundle is active but its module could not be built, or the
     * bundle could not be started (its {@code Bundle-Activator} threw; the reason names the activator and the exception).
     */
    record Failed(String reason) implements PluginState {
        @Override public String toString() { return "FAILED: " + reason; }
    }

    /**
     * Installed but not resolved: the OSGi resolver cannot satisfy these requirements (for example a package that
     * no bundle and not the core exports). It is started as soon as they can be satisfied.
     */
    record Resolving(List<String> missing) implements PluginState {
        public Resolving { missing = List.copyOf(missing); }
        @Override public String toString() { return "RESOLVING, missing " + String.join("; ", missing); }
    }

    /**
     * A jar in {@code plugins/} from which nothing is started, with the reason: not a jar (zip) file, not an OSGi bundle
     * (FileInstall does not install it), or a bundle without the {@code Herald-Plugin} header. Shown until the file is
     * replaced by a plugin or deleted.
     */
    record Ignored(String reason) implements PluginState {
        @Override public String toString() { return "IGNORED: " + reason; }
    }

    /**
     * A jar in {@code plugins/} that is a bundle but that the OSGi framework did not install, with the reason: a bundle of
     * the same symbolic name and version is installed already (from another jar), or Felix refused its manifest. Shown
     * until the file is changed, deleted, or installed.
     */
    record Refused(String reason) implements PluginState {
        @Override public String toString() { return "REFUSED: " + reason; }
    }

    /** Resolved but not started (stopped by an operator, or starting). */
    record Stopped() implements PluginState {
        @Override public String toString() { return "STOPPED"; }
    }
}

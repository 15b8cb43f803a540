package io.herald.osgi;

/**
 * One plugin bundle and its state.
 *
 * @param bundleId     the OSGi bundle id; -1 for a jar of {@code plugins/} that is no bundle ({@link PluginState.Ignored})
 *                     or that is not installed ({@link PluginState.Refused})
 * @param symbolicName its {@code Bundle-SymbolicName}; the file's name for a jar that is no bundle
 * @param version      its {@code Bundle-Version}
 * @param location     where it was installed from (for FileInstall, the jar's URL in {@code plugins/})
 * @param module       the module class its {@code Herald-Plugin} header names; null when it names none
 * @param state        ACTIVE, FAILED (with the reason), RESOLVING (with the missing requirements), IGNORED or REFUSED
 *                     (with the reason) or STOPPED
 */
public record PluginStatus(long bundleId, String symbolicName, String version, String location, String module,
                           PluginState state) {

    /**
     * One line of {@code data/plugins.state}: name (the plugin's, or the bundle's symbolic name when it is not
     * active), version, state (active, failed, resolving, ignored, refused, stopped), extension points (comma-separated, "-" if none),
     * detail (the failure's reason, the missing requirements, or for an active plugin the refused change it runs without), bundle id, location; separated by tabs.
     */
    public String line() {
        String name = symbolicName;
        String points = "-";
        String kind;
        String detail = "";
        if (state instanceof PluginState.Active a) {
            kind = "active";
            name = a.plugin().name();
            points = a.plugin().extensionPoints().isEmpty() ? "-" : String.join(",", a.plugin().extensionPoints());
            if (a.note() != null) detail = a.note();
        } else if (state instanceof PluginState.Failed f) {
            kind = "failed";
            detail = f.reason();
        } else if (state instanceof PluginState.Ignored i) {
            kind = "ignored";
            detail = i.reason();
        } else if (state instanceof PluginState.Refused r) {
            kind = "refused";
            detail = r.reason();
        } else if (state instanceof PluginState.Resolving r) {
            kind = "resolving";
            detail = "missing " + String.join("; ", r.missing());
        } else {
            kind = "stopped";
        }
        return String.join("\t", clean(name), clean(version), kind, points, clean(detail), Long.toString(bundleId), clean(location));
    }

    private static String clean(String s) {
        return s == null ? "" : s.replaceAll("[\\t\\r\\n]+", " ");
    }
}

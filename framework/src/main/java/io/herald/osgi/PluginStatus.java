package io.herald.osgi;

/**
 * One plugin bundle and its state.
 *
 * @param bundleId     the OSGi bundle id
 * @param symbolicName its {@code Bundle-SymbolicName}
 * @param version      its {@code Bundle-Version}
 * @param location     where it was installed from (for FileInstall, the jar's URL in {@code plugins/})
 * @param module       the module class its {@code Herald-Plugin} header names
 * @param state        ACTIVE, FAILED (with the reason), RESOLVING (with the missing requirements) or STOPPED
 */
public record PluginStatus(long bundleId, String symbolicName, String version, String location, String module,
                           PluginState state) {
}

package io.herald.api.plugin;

import io.herald.api.config.Configuration;

import java.nio.file.Path;

/**
 * What the host tells a plugin about itself; bound in every plugin's injector.
 *
 * @param name     the plugin's name (its bundle symbolic name, or the module class name in the plain host)
 * @param config   the plugin's configuration ({@code conf/<pid>.cfg}, the pid being the plugin's {@link HeraldPlugin#configPid()})
 * @param dataDir  a folder the plugin may keep its files in, below the server's data folder
 * @param readOnly true when the host only reads (command-line tools next to a running server): write nothing
 */
public record PluginContext(String name, Configuration config, Path dataDir, boolean readOnly) {
}

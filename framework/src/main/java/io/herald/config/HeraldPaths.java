package io.herald.config;

import java.nio.file.Path;

/**
 * Where a server keeps its files. {@code home} holds {@code conf/}, {@code data/} and {@code plugins/};
 * {@code data/} holds the queue ({@code data/queue}) and each plugin's folder ({@code data/plugins/<name>}).
 */
public record HeraldPaths(Path home) {

    public HeraldPaths {
        home = home.toAbsolutePath().normalize();
    }

    public Path conf() { return home.resolve("conf"); }

    public Path data() { return home.resolve("data"); }

    public Path queue() { return data().resolve("queue"); }

    public Path logs() { return home.resolve("logs"); }

    public Path plugins() { return home.resolve("plugins"); }

    /** The data folder of one plugin. */
    public Path pluginData(String pluginName) { return data().resolve(pluginName); }
}

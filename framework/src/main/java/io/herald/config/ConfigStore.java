package io.herald.config;

import io.herald.api.config.Configuration;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The configuration of every component: {@code conf/<pid>.cfg} properties files, with overrides given in code
 * (tests, command-line options) taking precedence. A missing folder or file means "all defaults": the server
 * starts with no configuration at all.
 */
public final class ConfigStore {

    private final Path confDir;
    private final Map<String, Map<String, String>> overrides;
    private final Map<String, Configuration> cache = new ConcurrentHashMap<>();

    /**
     * @param confDir   the {@code conf/} folder; may be null or missing
     * @param overrides per pid, keys that win over the files (e.g. {@code smtp -> port=0})
     */
    public ConfigStore(Path confDir, Map<String, Map<String, String>> overrides) {
        this.confDir = confDir;
        Map<String, Map<String, String>> copy = new HashMap<>();
        overrides.forEach((pid, kv) -> copy.put(pid, Map.copyOf(kv)));
        this.overrides = Map.copyOf(copy);
    }

    public static ConfigStore defaults() {
        return new ConfigStore(null, Map.of());
    }

    /** The configuration of one component. */
    public Configuration get(String pid) {
        return cache.computeIfAbsent(pid, this::load);
    }

    private Configuration load(String pid) {
        Map<String, String> values = new HashMap<>();
        if (confDir != null) {
            Path file = confDir.resolve(pid + ".cfg");
            if (Files.isRegularFile(file)) {
                Properties p = new Properties();
                try (InputStream in = Files.newInputStream(file)) {
                    p.load(in);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file, e);
                }
                p.stringPropertyNames().forEach(k -> values.put(k.trim(), p.getProperty(k).trim()));
            }
        }
        values.putAll(overrides.getOrDefault(pid, Map.of()));
        return new MapConfiguration(pid, values);
    }

    /** A configuration backed by a map of strings. */
    public record MapConfiguration(String pid, Map<String, String> values) implements Configuration {
        public MapConfiguration {
            values = Map.copyOf(values);
        }

        @Override
        public Optional<String> get(String key) {
            String v = values.get(key);
            return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
        }

        @Override
        public Set<String> keys() {
            return new TreeSet<>(values.keySet());
        }
    }
}

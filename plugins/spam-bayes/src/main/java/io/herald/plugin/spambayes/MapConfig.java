package io.herald.plugin.spambayes;

import io.herald.api.config.Configuration;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A configuration from a map, for the stand-alone trainer and tests. */
record MapConfig(String pid, Map<String, String> values) implements Configuration {

    static final MapConfig EMPTY = new MapConfig("spam-bayes", Map.of());

    MapConfig {
        values = Map.copyOf(values);
    }

    static MapConfig of(Map<String, String> values) {
        return new MapConfig("spam-bayes", values);
    }

    @Override public Optional<String> get(String key) {
        return Optional.ofNullable(values.get(key)).map(String::trim).filter(s -> !s.isEmpty());
    }

    @Override public Set<String> keys() {
        return values.keySet();
    }
}

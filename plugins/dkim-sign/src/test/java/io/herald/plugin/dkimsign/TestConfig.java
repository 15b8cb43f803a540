package io.herald.plugin.dkimsign;

import io.herald.api.config.Configuration;

import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** A configuration from a map. */
record TestConfig(Map<String, String> values) implements Configuration {
    @Override public String pid() { return "dkim-sign"; }
    @Override public Optional<String> get(String key) { return Optional.ofNullable(values.get(key)).map(String::trim).filter(s -> !s.isEmpty()); }
    @Override public Set<String> keys() { return values.keySet(); }
}

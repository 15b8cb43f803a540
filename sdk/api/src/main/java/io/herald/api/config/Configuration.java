package io.herald.api.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The configuration of one component: the keys of one {@code conf/<pid>.cfg} file (a Java properties file).
 * Values are strings; the typed getters parse them and refuse a wrong value with a
 * {@link ConfigurationException} that names the file, the key, the value and what is allowed.
 */
@org.osgi.annotation.versioning.ProviderType
public interface Configuration {

    /** The persistent id of the component, also the file name without {@code .cfg}. */
    String pid();

    /** The raw value of a key, trimmed; empty when the key is not set. */
    Optional<String> get(String key);

    /** All keys that are set. */
    Set<String> keys();

    default String get(String key, String defaultValue) {
        return get(key).orElse(defaultValue);
    }

    default int getInt(String key, int defaultValue, int min, int max) {
        Optional<String> v = get(key);
        if (v.isEmpty()) return defaultValue;
        try {
            int i = Integer.parseInt(v.get());
            if (i < min || i > max) throw invalid(key, v.get(), "a whole number from " + min + " to " + max);
            return i;
        } catch (NumberFormatException e) {
            throw invalid(key, v.get(), "a whole number from " + min + " to " + max);
        }
    }

    default long getLong(String key, long defaultValue, long min, long max) {
        Optional<String> v = get(key);
        if (v.isEmpty()) return defaultValue;
        try {
            long l = Long.parseLong(v.get());
            if (l < min || l > max) throw invalid(key, v.get(), "a whole number from " + min + " to " + max);
            return l;
        } catch (NumberFormatException e) {
            throw invalid(key, v.get(), "a whole number from " + min + " to " + max);
        }
    }

    default boolean getBoolean(String key, boolean defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) return defaultValue;
        return switch (v.get().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "on" -> true;
            case "false", "no", "off" -> false;
            default -> throw invalid(key, v.get(), "true or false");
        };
    }

    /** A duration written as a number with a unit: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 5d}. */
    default Duration getDuration(String key, Duration defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) return defaultValue;
        String s = v.get().toLowerCase(Locale.ROOT);
        String allowed = "a number with a unit ms, s, m, h or d (e.g. 30s)";
        int i = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) i++;
        if (i == 0) throw invalid(key, v.get(), allowed);
        long n;
        try {
            n = Long.parseLong(s.substring(0, i));
        } catch (NumberFormatException e) {
            throw invalid(key, v.get(), allowed);
        }
        return switch (s.substring(i).trim()) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> throw invalid(key, v.get(), allowed);
        };
    }

    /** A comma-separated list; blank items are dropped. */
    default List<String> getList(String key, List<String> defaultValue) {
        Optional<String> v = get(key);
        if (v.isEmpty()) return defaultValue;
        List<String> out = new ArrayList<>();
        for (String item : v.get().split(",")) {
            if (!item.isBlank()) out.add(item.trim());
        }
        return List.copyOf(out);
    }

    /** An exception naming this component's file, the key, the value and what is allowed. */
    default ConfigurationException invalid(String key, String value, String allowed) {
        return new ConfigurationException(pid() + ".cfg", key, value, allowed);
    }
}

package io.herald.api.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The configuration of one component: the keys of one {@code conf/<pid>.cfg} file (a Java properties file).
 * Values are strings; the typed getters parse them and refuse a wrong value with a
 * {@link ConfigurationException} that names the file, the key, the value and what is allowed.
 *
 * <p>Read every key a component knows when it starts (also those that matter only when another key is set), with the
 * getters or {@link #keys(String)} for a family: the server warns about a key of the file that nothing read
 * ({@code smtp.cfg: unknown key 'maxRecipent' (ignored); did you mean 'maxRecipients'?}).
 */
@org.osgi.annotation.versioning.ProviderType
public interface Configuration {

    /** The persistent id of the component, also the file name without {@code .cfg}. */
    String pid();

    /** The raw value of a key, trimmed; empty when the key is not set. */
    Optional<String> get(String key);

    /**
     * All keys that are set. The server takes a component that asks for every key as one that may read any of them:
     * none of its file's keys is reported as unknown. To read a family of keys ({@code route.<domain>}), use
     * {@link #keys(String)}.
     */
    Set<String> keys();

    /**
     * The keys that are set and start with {@code prefix}: a family of keys such as {@code route.<domain>} or
     * {@code header.<Name>} (prefix {@code "route."}, {@code "header."}). The server knows from this call that every
     * key of the family is one the component reads, and reports the other keys of the file that nothing asked for as
     * unknown (a misspelt key: a warning, the file is not refused).
     *
     * @since 1.1
     */
    default Set<String> keys(String prefix) {
        Set<String> out = new TreeSet<>();
        for (String k : keys()) {
            if (k.startsWith(prefix)) out.add(k);
        }
        return out;
    }

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

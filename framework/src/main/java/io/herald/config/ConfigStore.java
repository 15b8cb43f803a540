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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The configuration of every component: {@code conf/<pid>.cfg} properties files, with overrides given in code
 * (tests, command-line options) taking precedence. A missing folder or file means "all defaults": the server
 * starts with no configuration at all.
 *
 * <p><b>Hot reconfiguration.</b> {@link #reload()} re-reads every file that changed since it was last read and hands
 * each changed pid to its {@link #addListener listeners}: first every listener's {@link Listener#validate validate}
 * (one that throws, typically a {@link io.herald.api.config.ConfigurationException} naming file, key, value and what
 * is allowed, refuses the change: the message is logged, {@link #get} keeps answering the last good configuration
 * and no listener is told), then every listener's {@link Listener#apply apply}. {@link #watch} calls {@code reload()}
 * periodically from a daemon thread; the running server does that for {@code conf/}.
 *
 * <p><b>Unknown keys.</b> The configurations handed out record which keys their readers ask for (every getter, a
 * family through {@code keys(prefix)}, everything through {@code keys()}). Once the component that owns a pid has read
 * it, its owner calls {@link #checkKeys} and every key of the file that nothing asked for is logged as a warning,
 * with the nearest known key ({@code smtp.cfg: unknown key 'maxRecipent' (ignored); did you mean 'maxRecipients'?});
 * the configuration is not refused (it may carry keys of a plugin not installed yet). A pid is checked again after
 * each change of its file, and a key is reported once per change.
 */
public final class ConfigStore {

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ConfigStore.class);

    private final Path confDir;
    private final Map<String, Map<String, String>> overrides;
    private final Adjustment adjustment;
    /** The values of each pid's file as last read, before the adjustment and the overrides. */
    private final Map<String, Map<String, String>> fileValues = new ConcurrentHashMap<>();
    private final Map<String, Configuration> cache = new ConcurrentHashMap<>();
    /** What each pid's file looked like when it was last read (size and modification time), to find changes. */
    private final Map<String, String> stamps = new ConcurrentHashMap<>();
    private final Map<String, java.util.List<Listener>> listeners = new ConcurrentHashMap<>();
    /** Per pid, the keys its readers asked for. */
    private final Map<String, KnownKeys> known = new ConcurrentHashMap<>();
    /** Per pid checked by its owner ({@link #checkKeys}): the file's values last checked and the keys reported for them. */
    private final Map<String, Checked> checked = new ConcurrentHashMap<>();
    private volatile Thread watcher;

    /** Told about a changed configuration of one pid. */
    public interface Listener {
        /** Checks the new configuration; throw (a ConfigurationException) to refuse it. Default: accept. */
        default void validate(Configuration next) { }

        /** Applies a configuration that every listener of its pid accepted. */
        void apply(Configuration next);

        /**
         * The pid's changed file was refused (a value the {@link Adjustment} or a listener's {@link #validate} refused,
         * or an unreadable file): the last good configuration stays in use. {@code reason} names the file, the key and
         * the value. Default: nothing (the refusal is logged by the store).
         */
        default void refused(String reason) { }
    }

    /**
     * A rule applied to the values of every file as it is read, at first use and at each change, before the
     * overrides: {@code --port-offset} moves the configured ports with it (see {@code io.herald.launcher.Ports}), so
     * that a changed port is moved too and a wrong one is refused like any other value.
     */
    public interface Adjustment {
        /** No adjustment. */
        Adjustment NONE = (pid, values) -> values;

        /**
         * @param values the file's values (trimmed), never null
         * @return the values to use
         * @throws io.herald.api.config.ConfigurationException to refuse the file (naming its file, key and value)
         */
        Map<String, String> apply(String pid, Map<String, String> values);
    }

    /** A listener of only {@code apply}, with a validation function (e.g. {@code SmtpSettings::from}). */
    public static Listener listener(java.util.function.Function<Configuration, ?> validate, Consumer<Configuration> apply) {
        return new Listener() {
            @Override public void validate(Configuration next) { validate.apply(next); }
            @Override public void apply(Configuration next) { apply.accept(next); }
        };
    }

    /**
     * @param confDir   the {@code conf/} folder; may be null or missing
     * @param overrides per pid, keys that win over the files (e.g. {@code smtp -> port=0})
     */
    public ConfigStore(Path confDir, Map<String, Map<String, String>> overrides) {
        this(confDir, overrides, Adjustment.NONE);
    }

    /**
     * @param confDir    the {@code conf/} folder; may be null or missing
     * @param overrides  per pid, keys that win over the files (e.g. {@code smtp -> port=0})
     * @param adjustment applied to each file's values as they are read, before the overrides
     */
    public ConfigStore(Path confDir, Map<String, Map<String, String>> overrides, Adjustment adjustment) {
        this.adjustment = adjustment;
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
        return cache.computeIfAbsent(pid, p -> {
            stamps.put(p, stamp(p));
            return load(p);
        });
    }

    /** Registers a listener for one pid (a component's or a plugin's). */
    public void addListener(String pid, Listener listener) {
        get(pid);
        listeners.computeIfAbsent(pid, k -> new CopyOnWriteArrayList<>()).add(listener);
    }

    public void removeListener(String pid, Listener listener) {
        java.util.List<Listener> l = listeners.get(pid);
        if (l != null) l.remove(listener);
    }

    /**
     * Re-reads the files of every pid read so far (and of every {@code *.cfg} present) that changed, validates each
     * changed configuration with its listeners and applies it, or refuses it and keeps the last good one.
     *
     * @return the pids whose new configuration was applied
     */
    public synchronized java.util.List<String> reload() {
        if (confDir == null) return java.util.List.of();
        Set<String> pids = new TreeSet<>(cache.keySet());
        if (Files.isDirectory(confDir)) {
            try (java.util.stream.Stream<Path> files = Files.list(confDir)) {
                files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".cfg"))
                        .forEach(n -> pids.add(n.substring(0, n.length() - 4)));
            } catch (IOException e) {
                log.warn("cannot list {}: {}", confDir, e.toString());
            }
        }
        java.util.List<String> applied = new java.util.ArrayList<>();
        for (String pid : pids) {
            String stamp = stamp(pid);
            String old = stamps.get(pid);
            if (stamp.equals(old)) continue;
            stamps.put(pid, stamp);
            if (old == null && !cache.containsKey(pid)) {
                // Never read before: nothing uses it yet; it is read on first use.
                continue;
            }
            if (reload(pid)) applied.add(pid);
            // its listeners (a plugin restarted) have read the new file: the keys nothing asked for, once per change
            if (checked.containsKey(pid)) checkKeys(pid);
        }
        return applied;
    }

    /** Reads one changed pid's file, validates and applies it; false when it was refused or did not change. */
    private boolean reload(String pid) {
        Path file = confDir.resolve(pid + ".cfg");
        Configuration next;
        try {
            next = load(pid);
        } catch (RuntimeException e) {
            log.error("configuration change refused: {}: {}; keeping the last good configuration of {}", file, e.getMessage(), pid);
            tellRefused(pid, e.getMessage());
            return false;
        }
        if (next.equals(cache.get(pid))) return false;
        java.util.List<Listener> ls = listeners.getOrDefault(pid, java.util.List.of());
        try {
            for (Listener l : ls) l.validate(next);
        } catch (RuntimeException e) {
            log.error("configuration change refused: {} (file {}); {} keeps its last good configuration", e.getMessage(), file, pid);
            tellRefused(pid, e.getMessage());
            return false;
        }
        cache.put(pid, next);
        for (Listener l : ls) {
            try {
                l.apply(next);
            } catch (RuntimeException e) {
                log.error("applying the new configuration of {} failed: {}", pid, e.toString(), e);
            }
        }
        log.info("configuration {} reloaded from {} ({} listener(s))", pid, file, ls.size());
        return true;
    }

    private void tellRefused(String pid, String reason) {
        for (Listener l : listeners.getOrDefault(pid, java.util.List.of())) {
            try {
                l.refused(reason);
            } catch (RuntimeException e) {
                log.warn("telling a listener of {} about a refused change failed: {}", pid, e.toString(), e);
            }
        }
    }

    /**
     * The values of the pid's file as last read, before the {@link Adjustment} and the overrides (what the operator
     * wrote); empty when there is no file.
     */
    public Map<String, String> fileValues(String pid) {
        get(pid);
        return fileValues.getOrDefault(pid, Map.of());
    }

    /** Calls {@link #reload()} every {@code period} from a daemon thread until {@link #close()}. */
    public synchronized void watch(java.time.Duration period) {
        if (watcher != null || confDir == null) return;
        Thread t = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    Thread.sleep(period.toMillis());
                    reload();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    log.warn("watching {} failed: {}", confDir, e.toString(), e);
                }
            }
        }, "herald-conf-watcher");
        t.setDaemon(true);
        t.start();
        watcher = t;
    }

    /** Stops {@link #watch watching}. */
    public synchronized void close() {
        if (watcher != null) watcher.interrupt();
        watcher = null;
    }

    private String stamp(String pid) {
        if (confDir == null) return "";
        Path file = confDir.resolve(pid + ".cfg");
        try {
            if (!Files.isRegularFile(file)) return "absent";
            return Files.size(file) + "@" + Files.getLastModifiedTime(file).toMillis() + "#"
                    + java.util.Arrays.hashCode(Files.readAllBytes(file));
        } catch (IOException e) {
            return "unreadable";
        }
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
        Map<String, String> adjusted = new HashMap<>(adjustment.apply(pid, Map.copyOf(values)));
        fileValues.put(pid, Map.copyOf(values));
        adjusted.putAll(overrides.getOrDefault(pid, Map.of()));
        return new Recorded(pid, Map.copyOf(adjusted), known.computeIfAbsent(pid, p -> new KnownKeys()));
    }

    /**
     * The component that owns {@code pid} has read it (a plugin has started, the core's component is built): logs a
     * warning for each key of the file that none of the pid's readers asked for, naming the file, the key and the
     * nearest known key. A key is reported once per change of the file; after a change, {@link #reload()} checks the
     * pid again. Not the overrides given in code, only what the file says.
     *
     * @return the warnings of this check (empty when the file has no unknown key, or they were reported already)
     */
    public synchronized java.util.List<String> checkKeys(String pid) {
        Map<String, String> file = fileValues(pid);
        KnownKeys keys = known.computeIfAbsent(pid, p -> new KnownKeys());
        Checked last = checked.get(pid);
        Set<String> reported = last != null && last.file().equals(file) ? last.reported() : new TreeSet<>();
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String warning : keys.unknown(pid, file)) {
            if (reported.add(warning)) {
                out.add(warning);
                log.warn(warning);
            }
        }
        checked.put(pid, new Checked(file, reported));
        return out;
    }

    /**
     * As {@link #checkKeys(String)} for the pid of {@code config}, when it is one of this store's configurations (one
     * made elsewhere records nothing, so nothing would be known).
     */
    public java.util.List<String> checkKeys(Configuration config) {
        if (!(config instanceof Recorded r) || known.get(r.pid()) != r.known) return java.util.List.of();
        return checkKeys(r.pid());
    }

    /** The keys of the pid's file that none of its readers asked for so far (one line each, as {@link #checkKeys} logs them). */
    public java.util.List<String> unknownKeys(String pid) {
        return known.computeIfAbsent(pid, p -> new KnownKeys()).unknown(pid, fileValues(pid));
    }

    /**
     * The values of a configuration (after the adjustment and the overrides) without counting as a reader's request:
     * for the core's own comparisons of two configurations.
     */
    public static Map<String, String> values(Configuration c) {
        if (c instanceof Recorded r) return r.values;
        if (c instanceof MapConfiguration m) return m.values();
        Map<String, String> out = new HashMap<>();
        for (String k : c.keys()) out.put(k, c.get(k, ""));
        return out;
    }

    private record Checked(Map<String, String> file, Set<String> reported) { }

    /**
     * The store's configuration of a pid: its values, and the record of the keys its readers ask for (shared by every
     * configuration of the pid the store hands out). Equal to another when the pid and the values are.
     */
    private static final class Recorded implements Configuration {
        private final String pid;
        private final Map<String, String> values;
        private final KnownKeys known;

        Recorded(String pid, Map<String, String> values, KnownKeys known) {
            this.pid = pid;
            this.values = values;
            this.known = known;
        }

        @Override public String pid() { return pid; }

        @Override
        public Optional<String> get(String key) {
            known.asked(key);
            String v = values.get(key);
            return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
        }

        @Override
        public Set<String> keys() {
            known.askedAll();
            return new TreeSet<>(values.keySet());
        }

        @Override
        public Set<String> keys(String prefix) {
            known.askedFamily(prefix);
            Set<String> out = new TreeSet<>();
            for (String k : values.keySet()) {
                if (k.startsWith(prefix)) out.add(k);
            }
            return out;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Recorded r && r.pid.equals(pid) && r.values.equals(values);
        }

        @Override public int hashCode() { return pid.hashCode() * 31 + values.hashCode(); }

        @Override public String toString() { return "Configuration[" + pid + ", " + values + "]"; }
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

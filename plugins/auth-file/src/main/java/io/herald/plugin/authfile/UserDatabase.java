package io.herald.plugin.authfile;

import io.herald.api.auth.ScramCredential;
import io.herald.api.auth.UserAdmin;
import io.herald.api.config.Configuration;
import io.herald.api.mail.MailAddress;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * The user file: one user per line with a SCRAM-SHA-256 credential, and aliases.
 *
 * <pre>
 * # address           scram-sha-256:iterations:salt:StoredKey:ServerKey   (base64)
 * elsa@herald.test    scram-sha-256:100000:q0bH...==:9F2r...=:Xk1o...=
 * alias postmaster@herald.test -> elsa@herald.test
 * removed anna@herald.test
 * </pre>
 *
 * <p>A {@code removed} line is what {@link #remove} leaves of a user: mail to the address is refused at RCPT
 * ({@code 550 5.1.1}, {@link AliasRouter}) although its mailbox is kept in the store (removing a user never deletes
 * mail), and an alias to it leads nowhere. {@link #add} of the same address takes the line away again (the user then
 * finds the kept mailbox). A hand-written file may leave it out: then the kept mailbox receives as any mailbox of
 * the store that is not a user (the postmaster's) does.
 *
 * <p>No password is ever stored: PLAIN and LOGIN are verified by recomputing the keys from the stored salt and
 * iteration count ({@link ScramCredential#matches}); SCRAM-SHA-256 uses the keys directly.
 *
 * <p>Reading: the parsed file is cached and read again when it changed (modification time, size or file
 * identity), checked at most once a second. Writing: read–modify–write under a lock — a JVM-wide lock per file
 * plus an OS file lock on {@code <file>.lock} against other processes (the CLI next to a running server) — and
 * the new content goes to a temporary file that is synced and renamed over the old one, so a reader sees the
 * old or the new file, never half of one. The file is created with mode 600.
 *
 * <p>Configuration (pid {@code auth-file}): {@code file} (default {@code <dataDir>/users}), {@code iterations}
 * (PBKDF2 iterations of new passwords, default 100000, at least 4096), {@code password.minLength} (the fewest
 * characters — Unicode code points — a new or changed password may have, default {@value #DEFAULT_MIN_PASSWORD_LENGTH},
 * 1 to 1024). A file written by hand, and users added before the minimum was raised, keep their passwords.
 */
public final class UserDatabase implements UserAdmin {

    private static final Logger log = Logger.getLogger(UserDatabase.class.getName());
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    static final String SCHEME = "scram-sha-256";
    public static final int DEFAULT_ITERATIONS = 100_000;
    /** {@code password.minLength}'s default: NIST SP 800-63B §5.1.1.2's minimum for a memorised secret a user chose. */
    public static final int DEFAULT_MIN_PASSWORD_LENGTH = 8;

    /** The parsed file; {@code removed}: the addresses of removed users that are no user now. */
    public record Snapshot(Map<String, ScramCredential> users, Map<String, String> aliases, java.util.Set<String> removed) {
        public Snapshot {
            users = Collections.unmodifiableMap(new TreeMap<>(users));
            aliases = Collections.unmodifiableMap(new TreeMap<>(aliases));
            java.util.TreeSet<String> gone = new java.util.TreeSet<>(removed);
            gone.removeAll(users.keySet());   // a user added again by hand, its removed line left: a user
            removed = Collections.unmodifiableSet(gone);
        }
    }

    private final Path file;
    private final int iterations;
    private final int minPasswordLength;
    private final Clock clock;
    private volatile Snapshot snapshot = new Snapshot(Map.of(), Map.of(), java.util.Set.of());
    private volatile Object stamp = "none";
    private volatile Instant lastCheck;

    public UserDatabase(Path file, int iterations, Clock clock) {
        this(file, iterations, DEFAULT_MIN_PASSWORD_LENGTH, clock);
    }

    public UserDatabase(Path file, int iterations, int minPasswordLength, Clock clock) {
        if (iterations < ScramCredential.MIN_ITERATIONS) throw new IllegalArgumentException("iterations below " + ScramCredential.MIN_ITERATIONS);
        if (minPasswordLength < 1) throw new IllegalArgumentException("password.minLength below 1");
        this.file = file.toAbsolutePath().normalize();
        this.iterations = iterations;
        this.minPasswordLength = minPasswordLength;
        this.clock = clock;
    }

    public static UserDatabase fromConfig(Configuration config, Path dataDir, Clock clock) {
        Path file = config.get("file").map(f -> dataDir.resolve(f)).orElse(dataDir.resolve("users"));
        return new UserDatabase(file, config.getInt("iterations", DEFAULT_ITERATIONS, ScramCredential.MIN_ITERATIONS, 10_000_000),
                config.getInt("password.minLength", DEFAULT_MIN_PASSWORD_LENGTH, 1, 1024), clock);
    }

    /** Opens the database for {@code bin/herald user}. */
    public static final class Factory implements UserAdmin.Factory {
        @Override public String plugin() { return "auth-file"; }

        @Override public UserAdmin open(Configuration config, Path dataDir) { return fromConfig(config, dataDir, Clock.systemUTC()); }
    }

    public Path file() {
        return file;
    }

    /** The current content, read again if the file changed (checked at most once a second). */
    public Snapshot snapshot() {
        Instant now = clock.instant();
        Instant last = lastCheck;
        if (last != null && now.isBefore(last.plus(Duration.ofSeconds(1)))) return snapshot;
        synchronized (this) {
            lastCheck = now;
            try {
                Object s = stamp(file);
                if (!s.equals(stamp)) {
                    snapshot = parse(file);
                    stamp = s;
                }
            } catch (IOException e) {
                log.warning("cannot read the user file " + file + ", keeping the users read before: " + e);
            }
            return snapshot;
        }
    }

    public Optional<ScramCredential> user(String address) {
        return Optional.ofNullable(snapshot().users().get(canonical(address)));
    }

    /**
     * Whether the address was a user of the file that {@link #remove} removed and that is no user now: its mailbox
     * (if it had one) is kept, but it receives no mail.
     */
    public boolean wasRemoved(String address) {
        return snapshot().removed().contains(canonical(address));
    }

    /** The mailbox an alias leads to (following alias chains, at most 10 deep). */
    public Optional<String> resolveAlias(String address) {
        Snapshot s = snapshot();
        String a = canonical(address);
        String target = null;
        for (int depth = 0; depth < 10; depth++) {
            String next = s.aliases().get(a);
            if (next == null) break;
            target = a = next;
        }
        return Optional.ofNullable(target);
    }

    @Override
    public void add(String address, char[] password) throws IOException {
        String a = canonical(address);
        checkAddress(a);
        checkPassword(password);
        ScramCredential c = ScramCredential.create(a, password, iterations);
        update(content -> {
            if (content.users.containsKey(a)) throw new IllegalArgumentException("user " + a + " exists already");
            if (content.aliases.containsKey(a)) throw new IllegalArgumentException(a + " is an alias");
            content.users.put(a, c);
            content.removed.remove(a);
        });
    }

    @Override
    public void passwd(String address, char[] password) throws IOException {
        String a = canonical(address);
        checkPassword(password);
        ScramCredential c = ScramCredential.create(a, password, iterations);
        update(content -> {
            if (!content.users.containsKey(a)) throw new IllegalArgumentException("no user " + a);
            content.users.put(a, c);
        });
    }

    @Override
    public boolean remove(String address) throws IOException {
        String a = canonical(address);
        boolean[] removed = new boolean[1];
        update(content -> {
            removed[0] = content.users.remove(a) != null;
            if (removed[0]) content.removed.add(a);   // its mail is refused from now on; its mailbox stays
        });
        return removed[0];
    }

    @Override
    public List<String> list() {
        return new ArrayList<>(read().users().keySet());
    }

    @Override
    public void addAlias(String alias, String target) throws IOException {
        String a = canonical(alias);
        String t = canonical(target);
        checkAddress(a);
        checkAddress(t);
        if (a.equals(t)) throw new IllegalArgumentException("an alias cannot point at itself");
        update(content -> {
            if (content.users.containsKey(a)) throw new IllegalArgumentException(a + " is a user");
            content.aliases.put(a, t);
        });
    }

    @Override
    public boolean removeAlias(String alias) throws IOException {
        String a = canonical(alias);
        boolean[] removed = new boolean[1];
        update(content -> removed[0] = content.aliases.remove(a) != null);
        return removed[0];
    }

    @Override
    public Map<String, String> aliases() {
        return read().aliases();
    }

    private Snapshot read() {
        try {
            return parse(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Trimmed and in lower case: how the file keeps every address. */
    @Override
    public String canonicalAddress(String address) {
        return canonical(address);
    }

    static String canonical(String address) {
        return address.trim().toLowerCase(Locale.ROOT);
    }

    /**
     * A user or alias is an address SMTP can name without quotes (RFC 5321 §4.1.2): a Dot-string local part and a
     * domain of letters, digits and hyphens. {@code a@b@c} or {@code "x y"@herald.test} would be a user no
     * {@code RCPT TO} reaches (quoted local parts name no mailbox here; see the relay policy).
     */
    static void checkAddress(String a) {
        int at = a.lastIndexOf('@');
        if (at <= 0 || at == a.length() - 1 || a.chars().anyMatch(c -> c <= ' ' || c == 0x7f) || a.contains("->")
                || !MailAddress.isDotString(a.substring(0, at)) || !isDomain(a.substring(at + 1)))
            throw new IllegalArgumentException("not a mail address: '" + a + "' (expected local-part@domain; the local"
                    + " part without quotes, spaces or a second @, the domain's labels of letters, digits and hyphens)");
    }

    private static boolean isDomain(String d) {
        for (String label : d.split("\\.", -1)) {
            if (label.isEmpty() || label.startsWith("-") || label.endsWith("-")) return false;
            if (!label.chars().allMatch(c -> c == '-' || Character.isLetterOrDigit(c))) return false;
        }
        return true;
    }

    /** Refuses an empty password, and one shorter than {@code password.minLength} characters (code points). */
    private void checkPassword(char[] password) {
        if (password == null || password.length == 0) throw new IllegalArgumentException("empty password");
        int length = Character.codePointCount(password, 0, password.length);
        if (length < minPasswordLength)
            throw new IllegalArgumentException("password too short: " + length + (length == 1 ? " character" : " characters")
                    + ", at least " + minPasswordLength + " are needed (auth-file.cfg password.minLength)");
    }

    // ---- file format

    private static final class Content {
        final TreeMap<String, ScramCredential> users = new TreeMap<>();
        final TreeMap<String, String> aliases = new TreeMap<>();
        final java.util.TreeSet<String> removed = new java.util.TreeSet<>();
    }

    private interface Change {
        void apply(Content content) throws IOException;
    }

    private static Snapshot parse(Path file) throws IOException {
        Content c = load(file);
        return new Snapshot(c.users, c.aliases, c.removed);
    }

    private static Content load(Path file) throws IOException {
        Content c = new Content();
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return c;
        }
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) continue;
            try {
                if (line.startsWith("removed ")) {
                    String address = canonical(line.substring(8));
                    if (address.isEmpty() || address.contains(" ")) throw new IllegalArgumentException("expected 'removed <address>'");
                    c.removed.add(address);
                } else if (line.startsWith("alias ")) {
                    String[] parts = line.substring(6).split("->");
                    if (parts.length != 2) throw new IllegalArgumentException("expected 'alias <address> -> <address>'");
                    c.aliases.put(canonical(parts[0]), canonical(parts[1]));
                } else {
                    String[] parts = line.split("\\s+");
                    if (parts.length != 2) throw new IllegalArgumentException("expected '<address> " + SCHEME + ":...'");
                    String address = canonical(parts[0]);
                    String[] f = parts[1].split(":");
                    if (f.length != 5 || !f[0].equalsIgnoreCase(SCHEME)) throw new IllegalArgumentException("expected " + SCHEME + ":iterations:salt:StoredKey:ServerKey");
                    Base64.Decoder d = Base64.getDecoder();
                    c.users.put(address, new ScramCredential(address, d.decode(f[2]), Integer.parseInt(f[1]), d.decode(f[3]), d.decode(f[4])));
                }
            } catch (RuntimeException e) {
                log.warning(file + " line " + n + " ignored: " + e.getMessage());
            }
        }
        return c;
    }

    private static String render(Content c) {
        StringBuilder b = new StringBuilder();
        b.append("# Herald users (auth-file plugin). Edit with 'bin/herald user'. One user per line:\n");
        b.append("# <address> ").append(SCHEME).append(":<iterations>:<salt>:<StoredKey>:<ServerKey>   (base64; RFC 5802/7677)\n");
        b.append("# alias <address> -> <address>\n");
        b.append("# removed <address>   (a removed user: mail to it is refused, its mailbox is kept; 'herald user add' takes it back)\n");
        Base64.Encoder e = Base64.getEncoder();
        c.users.forEach((a, k) -> b.append(a).append(' ').append(SCHEME).append(':').append(k.iterations()).append(':')
                .append(e.encodeToString(k.salt())).append(':').append(e.encodeToString(k.storedKey())).append(':')
                .append(e.encodeToString(k.serverKey())).append('\n'));
        c.aliases.forEach((a, t) -> b.append("alias ").append(a).append(" -> ").append(t).append('\n'));
        c.removed.forEach(a -> { if (!c.users.containsKey(a)) b.append("removed ").append(a).append('\n'); });
        return b.toString();
    }

    private void update(Change change) throws IOException {
        Files.createDirectories(file.getParent());
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(file, f -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel lockChannel = FileChannel.open(file.resolveSibling(file.getFileName() + ".lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockChannel.lock()) {
            Content content = load(file);
            change.apply(content);
            writeAtomically(render(content));
        } finally {
            jvmLock.unlock();
        }
        lastCheck = null; // our own change is visible to the next read at once
    }

    private void writeAtomically(String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (Files.getFileStore(file.getParent()).supportsFileAttributeView("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(tmp);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE); OutputStream out = Channels.newOutputStream(ch)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
            out.flush();
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true); // the rename itself is durable
        } catch (IOException ignored) {
            // some platforms cannot open a directory; the data is synced already
        }
    }

    private static Object stamp(Path file) throws IOException {
        try {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(String.valueOf(a.lastModifiedTime()), a.size(), String.valueOf(a.fileKey()));
        } catch (NoSuchFileException e) {
            return "missing";
        }
    }

    @Override
    public String toString() {
        return "UserDatabase[" + file + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof UserDatabase u && u.file.equals(file);
    }

    @Override
    public int hashCode() {
        return Objects.hash(file);
    }
}

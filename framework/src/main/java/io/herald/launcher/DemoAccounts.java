package io.herald.launcher;

import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import org.slf4j.Logger;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The demo mailboxes of DESIGN §5: on first start {@code elsa@herald.test} and {@code olaf@herald.test} are created with
 * random passwords, printed once in the log and kept in {@code data/demo-accounts.properties} (mode 600) for the
 * authenticator to read; the postmaster's mailbox is created too, so that mail to postmaster is never refused.
 *
 * <p>The demo users live in a local domain, so that they receive mail where they can log in: {@code herald.test} when
 * it is one (the default domains), else the first of {@code herald.cfg: domains} (a hub with {@code domains = hub.test}
 * gets {@code elsa@hub.test} and {@code olaf@hub.test}).
 *
 * <p>"First start" means: the properties file does not exist yet. Later starts only make sure the mailboxes of the
 * users in the file exist, and warn about one whose domain is no longer local.
 */
public final class DemoAccounts {

    /** The demo users with the default local domains (DESIGN §5). */
    public static final List<String> USERS = List.of("elsa@herald.test", "olaf@herald.test");
    static final String DEFAULT_DOMAIN = "herald.test";
    public static final String FILE = "demo-accounts.properties";

    private static final SecureRandom RANDOM = new SecureRandom();

    private DemoAccounts() { }

    /**
     * The demo users for these local domains: elsa and olaf in {@code herald.test} when it is local, else in the first
     * local domain; none when there is no local domain.
     */
    public static List<String> users(java.util.Set<String> localDomains) {
        if (localDomains.isEmpty()) return List.of();
        String domain = localDomains.contains(DEFAULT_DOMAIN) ? DEFAULT_DOMAIN : localDomains.iterator().next();
        return USERS.stream().map(u -> u.substring(0, u.indexOf('@') + 1) + domain).toList();
    }

    /**
     * Creates the mailboxes that are missing and, on first start, the demo users and their passwords.
     *
     * @param dataDir      the server's {@code data/} folder
     * @param postmaster   the postmaster's mailbox (route-local's {@code postmaster} key)
     * @param localDomains the server's local domains ({@code herald.cfg: domains}), which the demo users are made in
     * @return the passwords created now (empty on a later start)
     */
    public static Map<String, String> ensure(Path dataDir, MailboxStore store, String postmaster,
                                             java.util.Set<String> localDomains, Logger log) throws IOException, MailboxException {
        Path file = dataDir.resolve(FILE);
        boolean first = !Files.exists(file);
        List<String> users = first ? users(localDomains) : List.copyOf(read(dataDir).keySet());
        List<String> mailboxes = new java.util.ArrayList<>(List.of(postmaster));
        mailboxes.addAll(users);
        for (String mailbox : mailboxes) {
            if (!store.exists(mailbox)) {
                store.create(mailbox);
                log.info("mailbox {} created", mailbox);
            }
        }
        for (String user : users) {
            String domain = user.substring(user.lastIndexOf('@') + 1);
            if (!localDomains.contains(domain)) {
                log.warn("demo account {} is not in a local domain (herald.cfg domains = {}): it can log in and submit "
                        + "mail, but receives no mail here", user, String.join(",", localDomains));
            }
        }
        if (!first) return Map.of();
        Map<String, String> passwords = new LinkedHashMap<>();
        for (String user : users) passwords.put(user, newPassword());
        write(file, passwords);
        for (Map.Entry<String, String> e : passwords.entrySet()) {
            log.info("demo account {} password: {}  (shown only this once; kept in {})", e.getKey(), e.getValue(), file);
        }
        return passwords;
    }

    /** The passwords kept in {@code data/demo-accounts.properties}: address → password. */
    public static Map<String, String> read(Path dataDir) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newInputStream(dataDir.resolve(FILE))) {
            p.load(in);
        }
        Map<String, String> out = new LinkedHashMap<>();
        p.stringPropertyNames().stream().sorted().forEach(k -> out.put(k, p.getProperty(k)));
        return out;
    }

    static String newPassword() {
        byte[] b = new byte[15];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** Writes the file readable by its owner only, completely or not at all. */
    private static void write(Path file, Map<String, String> passwords) throws IOException {
        Files.createDirectories(file.getParent());
        Path tmp = file.resolveSibling(FILE + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp); // not a POSIX file system
        } catch (FileAlreadyExistsException e) {
            throw new IOException("another process is creating " + file, e);
        }
        Properties p = new Properties();
        passwords.forEach(p::setProperty);
        try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.WRITE)) {
            p.store(out, "Herald demo accounts (address=password), created on first start. Keep private.");
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
}

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
 * <p>"First start" means: the properties file does not exist yet. Later starts only make sure the mailboxes exist.
 */
public final class DemoAccounts {

    public static final List<String> USERS = List.of("elsa@herald.test", "olaf@herald.test");
    public static final String FILE = "demo-accounts.properties";

    private static final SecureRandom RANDOM = new SecureRandom();

    private DemoAccounts() { }

    /**
     * Creates the mailboxes that are missing and, on first start, the passwords.
     *
     * @param dataDir    the server's {@code data/} folder
     * @param postmaster the postmaster's mailbox (route-local's {@code postmaster} key)
     * @return the passwords created now (empty on a later start)
     */
    public static Map<String, String> ensure(Path dataDir, MailboxStore store, String postmaster, Logger log)
            throws IOException, MailboxException {
        for (String mailbox : List.of(postmaster, USERS.get(0), USERS.get(1))) {
            if (!store.exists(mailbox)) {
                store.create(mailbox);
                log.info("mailbox {} created", mailbox);
            }
        }
        Path file = dataDir.resolve(FILE);
        if (Files.exists(file)) return Map.of();
        Map<String, String> passwords = new LinkedHashMap<>();
        for (String user : USERS) passwords.put(user, newPassword());
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

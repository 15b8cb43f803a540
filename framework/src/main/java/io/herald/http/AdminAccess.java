package io.herald.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Properties;

/**
 * How command-line tools reach the running server's admin API: the server writes its listener's address and a
 * fresh random token to {@code data/admin.properties} (mode 600) at every start; {@code herald notify test} (and
 * {@code herald queue}) read it and call {@code /admin/...} with {@code Authorization: Bearer <token>}. Only who may
 * read the server's data folder may use the admin API.
 *
 * @param url   e.g. {@code http://127.0.0.1:8025}
 * @param token the bearer token
 */
public record AdminAccess(String url, String token) {

    public static final String FILE = "admin.properties";

    /** A new random token (128 bits, hex). */
    public static String newToken() {
        byte[] b = new byte[16];
        new SecureRandom().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Writes {@code data/admin.properties} atomically, readable by the owner only. */
    public void write(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path tmp = dataDir.resolve("." + FILE + ".tmp");
        Files.deleteIfExists(tmp);
        try {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(tmp);
        }
        Properties p = new Properties();
        p.setProperty("url", url);
        p.setProperty("token", token);
        try (OutputStream out = Files.newOutputStream(tmp)) {
            p.store(out, "the running server's admin API (rewritten at every start; keep private)");
        }
        Files.move(tmp, dataDir.resolve(FILE), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads {@code data/admin.properties}. */
    public static AdminAccess read(Path dataDir) throws IOException {
        Path f = dataDir.resolve(FILE);
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(f)) {
            p.load(in);
        }
        String url = p.getProperty("url");
        String token = p.getProperty("token");
        if (url == null || token == null) throw new IOException(f + " has no url or token");
        return new AdminAccess(url, token);
    }

    /** Removes the file if it still describes this listener (so that tools do not try a stopped server). */
    public void remove(Path dataDir) {
        try {
            AdminAccess now = read(dataDir);
            if (now.equals(this)) Files.deleteIfExists(dataDir.resolve(FILE));
        } catch (IOException e) {
            // already gone, or rewritten by another start
        }
    }
}

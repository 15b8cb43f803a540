package io.herald.plugin.mailbox;

import io.herald.api.mail.MessageContent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Message bytes, stored once per distinct content: {@code blobs/ab/cdef...} where {@code abcdef...} is the
 * SHA-256 of the bytes. A blob is written to {@code blobs/tmp/}, forced, renamed into place, and its folder synced,
 * so a blob that is visible under its name is complete and durable.
 */
final class BlobStore {

    private final Path root;
    private final Path tmp;
    private final AtomicLong tmpCounter = new AtomicLong();

    BlobStore(Path root) {
        this.root = root;
        this.tmp = root.resolve("tmp");
    }

    /** Creates the folders and removes temporary files left by a crash. Writer only. */
    void open() throws IOException {
        Files.createDirectories(tmp);
        try (var s = Files.list(tmp)) {
            for (Path p : (Iterable<Path>) s::iterator) Files.deleteIfExists(p);
        }
        Durable.syncDir(root);
        Durable.syncDir(root.getParent());
    }

    Path path(String hash) {
        return root.resolve(hash.substring(0, 2)).resolve(hash.substring(2));
    }

    boolean exists(String hash) {
        return Files.isRegularFile(path(hash));
    }

    /** Stores the content durably; returns its hash. */
    String store(MessageContent content) throws IOException {
        MessageDigest sha = sha256();
        Path temp = tmp.resolve(ProcessHandle.current().pid() + "-" + Thread.currentThread().getId() + "-" + tmpCounter.incrementAndGet());
        try {
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                 InputStream in = content.open()) {
                byte[] buf = new byte[64 * 1024];
                int n;
                while ((n = in.read(buf)) > 0) {
                    sha.update(buf, 0, n);
                    ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                    while (bb.hasRemaining()) out.write(bb);
                }
                out.force(true);
            }
            String hash = HexFormat.of().formatHex(sha.digest());
            Path target = path(hash);
            Path dir = target.getParent();
            if (Files.isRegularFile(target)) {
                // Same bytes already stored (one message to several mailboxes). The rename that made it visible
                // may not be synced yet if it is another thread's, so sync the folder anyway.
                Files.delete(temp);
            } else {
                if (!Files.isDirectory(dir)) {
                    Files.createDirectories(dir);
                    Durable.syncDir(root);
                }
                try {
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (AtomicMoveNotSupportedException e) {
                    Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Durable.syncDir(dir);
            return hash;
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    MessageContent content(String hash, long size) {
        Path p = path(hash);
        return new MessageContent() {
            @Override public long size() { return size; }
            @Override public InputStream open() throws IOException {
                try {
                    return Files.newInputStream(p);
                } catch (NoSuchFileException e) {
                    throw new NoSuchFileException(p.toString(), null, "message file missing");
                }
            }
        };
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Deletes every blob whose hash is not in {@code live}; returns how many. Writer only, with deliveries held back. */
    int removeExcept(java.util.Set<String> live) throws IOException {
        int n = 0;
        if (!Files.isDirectory(root)) return 0;
        try (var dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String prefix = d.getFileName().toString();
                if (prefix.length() != 2 || !Files.isDirectory(d)) continue; // tmp/ and anything foreign
                boolean any = false;
                try (var files = Files.list(d)) {
                    for (Path f : (Iterable<Path>) files::iterator) {
                        String hash = prefix + f.getFileName();
                        if (hash.length() == 64 && !live.contains(hash)) {
                            Files.deleteIfExists(f);
                            n++;
                            any = true;
                        }
                    }
                }
                if (any) Durable.syncDir(d);
            }
        }
        return n;
    }
}

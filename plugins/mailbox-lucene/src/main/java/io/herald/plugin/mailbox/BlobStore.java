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
 * SHA-256 of the bytes. A blob is written to {@code blobs/tmp/}, renamed into place, forced, and its folder synced
 * before {@link #store} returns, so a blob that a log record refers to is complete and durable ({@link #store} says
 * what a power failure may leave). The folder syncs of concurrent stores are shared ({@link GroupSync}): each writer
 * forces its own file (concurrent forces are merged into few journal commits by the file system), then waits for one
 * sync per distinct folder per batch, instead of one sync each.
 */
final class BlobStore {

    private final Path root;
    private final Path tmp;
    private final AtomicLong tmpCounter = new AtomicLong();
    private final GroupSync<Path> folderSyncs = new GroupSync<>(Durable::syncDir);

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

    /**
     * Stores the content durably; returns its hash. The file is written under a temporary name, renamed to its hash
     * and only then forced: on a journalling file system the force carries the rename in the same journal commit, so
     * the folder sync after it (shared with concurrent stores) finds little left to do: one journal commit per
     * message, not two. The price: after a power failure (not a process crash: the page cache keeps the bytes) a
     * file whose store never returned may be torn under its name. No log record refers to it (a record is written
     * only after its file is durable), so {@code blobs.gc-on-open} removes it, and a later store of the same bytes
     * does not trust it: an existing file is reused only when it is byte for byte the new one, otherwise replaced.
     */
    String store(MessageContent content) throws IOException {
        MessageDigest sha = sha256();
        Path temp = tmp.resolve(ProcessHandle.current().pid() + "-" + Thread.currentThread().getId() + "-" + tmpCounter.incrementAndGet());
        try {
            Path dir;
            try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                try (InputStream in = content.open()) {
                    byte[] buf = new byte[64 * 1024];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        sha.update(buf, 0, n);
                        ByteBuffer bb = ByteBuffer.wrap(buf, 0, n);
                        while (bb.hasRemaining()) out.write(bb);
                    }
                }
                String hash = HexFormat.of().formatHex(sha.digest());
                Path target = path(hash);
                dir = target.getParent();
                if (Files.isRegularFile(target) && Files.mismatch(temp, target) == -1L) {
                    // Same bytes already stored (one message to several mailboxes). Another thread may have renamed
                    // it into place and not forced it yet: force it (a no-op when it is durable), then the folder.
                    Files.delete(temp);
                    try (FileChannel existing = FileChannel.open(target, StandardOpenOption.READ)) {
                        existing.force(true);
                    }
                } else {
                    if (!Files.isDirectory(dir)) {
                        Files.createDirectories(dir);
                        Durable.syncDir(root);
                    }
                    try {
                        Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE); // replaces a torn file (see above)
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                    out.force(true); // the bytes, and (same journal commit) the rename
                }
                folderSyncs.sync(dir); // shared with the concurrent stores: the rename (ours or another's) is durable after it
                return hash;
            }
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Folder syncs done (batches) and stores they served, since open. */
    long[] folderSyncCounts() {
        return folderSyncs.counts();
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

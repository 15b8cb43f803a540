package io.herald.plugin.mailbox;

import io.herald.api.mail.MessageContent;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Message bytes, stored once per distinct content under their SHA-256: {@code blobs/ab/cdef...} where {@code abcdef...}
 * is the hash. A new file is written to {@code blobs/tmp/}, renamed to {@code blobs/new/<hash>}, forced, and the
 * {@code new/} folder synced before {@link #store} returns, so a blob that a log record refers to is complete and
 * durable ({@link #store} says what a power failure may leave). All new files share that one folder, so the folder
 * syncs of concurrent stores are shared ({@link GroupSync}): each writer forces its own file (concurrent forces are
 * merged into few journal commits by the file system), then waits for one sync of {@code new/} per batch, not one
 * sync of its own hash folder each. {@link #settle} moves the files of {@code new/} to their hash folders later, many
 * at once, with one sync per hash folder for all of them (on a timer of the store, and at open).
 *
 * <p>A file is found in {@code new/} first, then in its hash folder: {@link #settle} links a file into its hash folder
 * and syncs that folder before it unlinks it from {@code new/}, so a file has a durable name at every moment, and
 * whoever does not find it in {@code new/} any more finds it in its hash folder.
 */
final class BlobStore {

    /** Content up to this size is read into memory once: hashed, written and handed back for parsing. */
    static final int IN_MEMORY = 1024 * 1024;

    /** A stored file: its hash, its size, and its bytes when they were small enough to be kept ({@link #IN_MEMORY}). */
    record Stored(String hash, long size, byte[] bytes) { }

    private final Path root;
    private final Path tmp;
    private final Path fresh;
    private final AtomicLong tmpCounter = new AtomicLong();
    private final GroupSync<Path> folderSyncs = new GroupSync<>(Durable::syncDir);
    /** One settling at a time (the store's timer, the open, tests). */
    private final Object settling = new Object();

    BlobStore(Path root) {
        this.root = root;
        this.tmp = root.resolve("tmp");
        this.fresh = root.resolve("new");
    }

    /** Creates the folders and removes temporary files left by a crash. Writer only. */
    void open() throws IOException {
        Files.createDirectories(tmp);
        Files.createDirectories(fresh);
        try (var s = Files.list(tmp)) {
            for (Path p : (Iterable<Path>) s::iterator) Files.deleteIfExists(p);
        }
        Durable.syncDir(root);
        Durable.syncDir(root.getParent());
    }

    /** Where the file of a hash is once settled. */
    private Path settled(String hash) {
        return root.resolve(hash.substring(0, 2)).resolve(hash.substring(2));
    }

    /**
     * Stores the content durably. The file is written under a temporary name, renamed to {@code new/<hash>} and only
     * then forced: on a journalling file system the force carries the rename in the same journal commit, so the
     * folder sync after it (shared with concurrent stores) finds little left to do. The price: after a power failure
     * (not a process crash: the page cache keeps the bytes) a file whose store never returned may be torn under its
     * name. No log record refers to it (a record is written only after its file is durable), so
     * {@code blobs.gc-on-open} removes it, and a later store of the same bytes does not trust it: an existing file is
     * reused only when it is byte for byte the new one, otherwise replaced.
     */
    Stored store(MessageContent content) throws IOException {
        MessageDigest sha = sha256();
        Path temp = tmp.resolve(ProcessHandle.current().pid() + "-" + Thread.currentThread().getId() + "-" + tmpCounter.incrementAndGet());
        boolean moved = false;
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            byte[] bytes = null;
            long size = 0;
            try (InputStream in = content.open()) {
                if (content.size() <= IN_MEMORY) {
                    bytes = in.readAllBytes();
                    sha.update(bytes);
                    writeFully(out, ByteBuffer.wrap(bytes));
                    size = bytes.length;
                    if (bytes.length > IN_MEMORY) bytes = null; // the content was longer than it said
                } else {
                    byte[] buf = new byte[64 * 1024];
                    for (int n; (n = in.read(buf)) > 0; size += n) {
                        sha.update(buf, 0, n);
                        writeFully(out, ByteBuffer.wrap(buf, 0, n));
                    }
                }
            }
            String hash = HexFormat.of().formatHex(sha.digest());
            Path existing = forcedCopy(temp, size, fresh.resolve(hash));
            if (existing == null) existing = forcedCopy(temp, size, settled(hash));
            Path dir;
            if (existing != null) {
                dir = existing.getParent();
            } else {
                Path target = fresh.resolve(hash);
                move(temp, target); // replaces a torn file (see above)
                moved = true;
                out.force(true); // the bytes, and (same journal commit) the rename
                dir = fresh;
            }
            folderSyncs.sync(dir); // shared with the concurrent stores: the rename (ours or another's) is durable after it
            return new Stored(hash, size, bytes);
        } finally {
            if (!moved) Files.deleteIfExists(temp);
        }
    }

    /**
     * {@code candidate} when it is a file with the same bytes as {@code file} (one message to several mailboxes), forced
     * (another thread may have renamed it into place and not forced it yet; a no-op when it is durable); else null,
     * also when it went meanwhile (settled).
     */
    private static Path forcedCopy(Path file, long size, Path candidate) throws IOException {
        try {
            // one stat for the usual answer (no such file), before comparing
            if (Files.readAttributes(candidate, BasicFileAttributes.class).size() != size) return null;
        } catch (NoSuchFileException e) {
            return null;
        }
        if (same(file, candidate) == null) return null;
        try (FileChannel f = FileChannel.open(candidate, StandardOpenOption.READ)) {
            f.force(true);
            return candidate;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** {@code candidate} when it is a file with the same bytes as {@code file}, else null. */
    private static Path same(Path file, Path candidate) throws IOException {
        try {
            return Files.mismatch(file, candidate) == -1L ? candidate : null;
        } catch (NoSuchFileException e) {
            return null;
        }
    }

    /** Whether the bytes of a file hash to its name (a file torn by a power failure does not). */
    private static boolean intact(Path file, String hash) throws IOException {
        MessageDigest sha = sha256();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = in.read(buf)) > 0; ) sha.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest()).equals(hash);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void writeFully(FileChannel out, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) out.write(b);
    }

    /**
     * Moves every file of {@code new/} to its hash folder: links it there (a torn file found there, left by a power
     * failure, is replaced), syncs each hash folder once for all of them, and only then unlinks it from {@code new/}.
     * The unlinks are not synced: a name that comes back after a crash is found already settled next time, and
     * removed. Safe beside stores and readers; not beside garbage collection (the store holds that back).
     *
     * @return the number of files settled
     */
    int settle() throws IOException {
        synchronized (settling) {
            List<Path> linked = new ArrayList<>();
            Set<Path> folders = new HashSet<>();
            boolean newFolder = false;
            try (var s = Files.newDirectoryStream(fresh)) {
                for (Path f : s) {
                    String hash = f.getFileName().toString();
                    if (hash.length() != 64) continue;
                    Path target = settled(hash);
                    Path dir = target.getParent();
                    if (!folders.contains(dir) && !Files.isDirectory(dir)) {
                        Files.createDirectories(dir);
                        newFolder = true;
                    }
                    try {
                        Files.createLink(target, f);
                    } catch (FileAlreadyExistsException e) {
                        // settled before (the unlink from new/ was lost in a crash), or one of the two torn by a power
                        // failure: the one whose bytes match its hash stays
                        if (same(f, target) == null && !intact(target, hash)) {
                            if (!intact(f, hash)) continue; // both torn: left to the garbage collection
                            move(f, target);
                        } // else the copy in new/ is the same or torn: unlinked below
                    } catch (NoSuchFileException e) {
                        continue; // removed meanwhile (garbage)
                    }
                    linked.add(f);
                    folders.add(dir);
                }
            }
            if (linked.isEmpty()) return 0;
            if (newFolder) Durable.syncDir(root);
            for (Path dir : folders) Durable.syncDir(dir);
            for (Path f : linked) {
                try {
                    Files.delete(f); // one unlink (deleteIfExists would stat first)
                } catch (NoSuchFileException e) {
                    // replaced into its hash folder above, or collected
                }
            }
            return linked.size();
        }
    }

    /** Folder syncs done (batches) and stores they served, since open. */
    long[] folderSyncCounts() {
        return folderSyncs.counts();
    }

    MessageContent content(String hash, long size) {
        return new MessageContent() {
            @Override public long size() { return size; }
            @Override public InputStream open() throws IOException {
                return read(hash);
            }
        };
    }

    /** Opens the file of a hash: in {@code new/}, or (settled meanwhile, or long ago) in its hash folder. */
    InputStream read(String hash) throws IOException {
        try {
            return Files.newInputStream(fresh.resolve(hash));
        } catch (NoSuchFileException e) {
            Path p = settled(hash);
            try {
                return Files.newInputStream(p);
            } catch (NoSuchFileException missing) {
                throw new NoSuchFileException(p.toString(), null, "message file missing");
            }
        }
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
        if (Files.isDirectory(fresh)) {
            boolean any = false;
            try (var files = Files.newDirectoryStream(fresh)) {
                for (Path f : files) {
                    String hash = f.getFileName().toString();
                    if (hash.length() == 64 && !live.contains(hash)) {
                        Files.deleteIfExists(f);
                        n++;
                        any = true;
                    }
                }
            }
            if (any) Durable.syncDir(fresh);
        }
        try (var dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String prefix = d.getFileName().toString();
                if (prefix.length() != 2 || !Files.isDirectory(d)) continue; // tmp/, new/ and anything foreign
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

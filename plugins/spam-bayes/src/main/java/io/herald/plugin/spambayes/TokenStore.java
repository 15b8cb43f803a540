package io.herald.plugin.spambayes;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Per-token counts of the spam and ham messages it occurred in, and the number of spam and ham messages learnt;
 * held in memory, thread-safe.
 *
 * <p>File format (gzip): {@code "HBAY"}, version 1, spam messages, ham messages, token count, then per token its
 * UTF-8 text ({@link DataOutputStream#writeUTF}) and its spam and ham counts as variable-length integers. Saved by
 * writing a temporary file beside the target, syncing it and renaming it over the target (atomic), so a crash
 * leaves the old or the new file, never half of one.
 */
public final class TokenStore {

    private static final int MAGIC = 0x48424159; // "HBAY"
    private static final int VERSION = 1;

    /** Counts of one token; {@code [0]} spam, {@code [1]} ham. */
    private final Map<String, int[]> counts = new HashMap<>();
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private int spamMessages;
    private int hamMessages;

    /** A snapshot of the message counts. */
    public record Totals(int spam, int ham, int tokens) { }

    public Totals totals() {
        lock.readLock().lock();
        try {
            return new Totals(spamMessages, hamMessages, counts.size());
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Adds ({@code delta = 1}) or removes ({@code delta = -1}) one message's tokens. Counts never go below 0. */
    public void add(Collection<String> tokens, boolean spam, int delta) {
        int i = spam ? 0 : 1;
        lock.writeLock().lock();
        try {
            if (spam) spamMessages = Math.max(0, spamMessages + delta);
            else hamMessages = Math.max(0, hamMessages + delta);
            for (String t : tokens) {
                int[] c = counts.get(t);
                if (c == null) {
                    if (delta <= 0) continue;
                    c = new int[2];
                    counts.put(t, c);
                }
                c[i] = Math.max(0, c[i] + delta);
                if (c[0] == 0 && c[1] == 0) counts.remove(t);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Calls {@code visitor} with the counts of each token (missing tokens: 0, 0) under one read lock. */
    public void read(Collection<String> tokens, CountVisitor visitor) {
        lock.readLock().lock();
        try {
            visitor.totals(spamMessages, hamMessages);
            for (String t : tokens) {
                int[] c = counts.get(t);
                visitor.token(t, c == null ? 0 : c[0], c == null ? 0 : c[1]);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    public interface CountVisitor {
        void totals(int spamMessages, int hamMessages);

        void token(String token, int spam, int ham);
    }

    /** Loads a store; an absent file is an empty store. */
    public static TokenStore load(Path file) throws IOException {
        TokenStore s = new TokenStore();
        if (!Files.exists(file)) return s;
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new GZIPInputStream(Files.newInputStream(file), 1 << 16)))) {
            if (in.readInt() != MAGIC) throw new IOException(file + " is not a Herald Bayes token file");
            int v = in.readInt();
            if (v != VERSION) throw new IOException(file + ": token file version " + v + " is not supported (expected " + VERSION + ")");
            s.spamMessages = in.readInt();
            s.hamMessages = in.readInt();
            int n = in.readInt();
            for (int k = 0; k < n; k++) {
                String t = in.readUTF();
                s.counts.put(t, new int[] {readVarInt(in), readVarInt(in)});
            }
        }
        return s;
    }

    /** Writes the store to {@code file} atomically. */
    public void save(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            lock.readLock().lock();
            try (OutputStream fos = Files.newOutputStream(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new GZIPOutputStream(fos, 1 << 16), 1 << 16))) {
                out.writeInt(MAGIC);
                out.writeInt(VERSION);
                out.writeInt(spamMessages);
                out.writeInt(hamMessages);
                out.writeInt(counts.size());
                for (Map.Entry<String, int[]> e : counts.entrySet()) {
                    out.writeUTF(e.getKey().length() > 2000 ? e.getKey().substring(0, 2000) : e.getKey());
                    writeVarInt(out, e.getValue()[0]);
                    writeVarInt(out, e.getValue()[1]);
                }
            } finally {
                lock.readLock().unlock();
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            } catch (IOException ignored) {
                // some file systems cannot sync a directory; the rename is still atomic
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static void writeVarInt(DataOutputStream out, int v) throws IOException {
        while ((v & ~0x7f) != 0) {
            out.writeByte((v & 0x7f) | 0x80);
            v >>>= 7;
        }
        out.writeByte(v);
    }

    private static int readVarInt(InputStream in) throws IOException {
        int v = 0, shift = 0, b;
        do {
            b = in.read();
            if (b < 0) throw new IOException("token file ends early");
            v |= (b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) != 0 && shift < 35);
        return v;
    }
}

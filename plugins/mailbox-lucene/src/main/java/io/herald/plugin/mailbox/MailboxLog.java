package io.herald.plugin.mailbox;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The append-only log of one mailbox. Appends happen under the mailbox's lock; {@link #syncTo} forces the file and
 * lets concurrent deliveries to the same mailbox share one force (group commit).
 */
final class MailboxLog implements AutoCloseable {

    /** Receives the valid records of a log, with the offset where each starts and where it ends. */
    interface Visitor {
        void record(LogRecord record, long start, long end) throws IOException;
    }

    private final Path path;
    private final FileChannel channel; // null when read-only
    private final Object syncLock = new Object();
    private volatile long end;
    private volatile long synced;

    private MailboxLog(Path path, FileChannel channel, long end) {
        this.path = path;
        this.channel = channel;
        this.end = end;
        this.synced = end;
    }

    /** Opens an existing log for appending at {@code validEnd}, cutting off a damaged or torn tail. */
    static MailboxLog openForAppend(Path path, long validEnd) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE);
        if (ch.size() > validEnd) {
            ch.truncate(validEnd);
            ch.force(true);
        }
        return new MailboxLog(path, ch, validEnd);
    }

    /** Creates a new log holding the given first records, durably (file forced, folder synced). */
    static MailboxLog create(Path path, byte[] firstRecords) throws IOException {
        FileChannel ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            ByteBuffer b = ByteBuffer.wrap(firstRecords);
            while (b.hasRemaining()) ch.write(b);
            ch.force(true);
            Durable.syncDir(path.getParent());
        } catch (IOException e) {
            ch.close();
            Files.deleteIfExists(path);
            throw e;
        }
        return new MailboxLog(path, ch, firstRecords.length);
    }

    Path path() {
        return path;
    }

    long end() {
        return end;
    }

    /** Appends framed record bytes (caller holds the mailbox lock); returns the offset after them. Not yet durable. */
    long append(byte[] framed) throws IOException {
        long pos = end;
        ByteBuffer b = ByteBuffer.wrap(framed);
        while (b.hasRemaining()) pos += channel.write(b, pos);
        end = pos;
        return pos;
    }

    /**
     * After a failed {@link #append}: cuts off the part of the record that reached the file (caller holds the mailbox
     * lock). Best effort: if even that fails, the next append overwrites those bytes anyway.
     */
    void cutTail() {
        try {
            if (channel.size() > end) channel.truncate(end);
        } catch (IOException e) {
            // harmless: appends are positional at end, readers stop at the first incomplete record
        }
    }

    /** Returns when every byte before {@code offset} is on stable storage. */
    void syncTo(long offset) throws IOException {
        if (synced >= offset) return;
        synchronized (syncLock) {
            if (synced >= offset) return; // another delivery's force covered ours
            long target = end;
            channel.force(false);
            synced = target;
        }
    }

    /**
     * Reads the valid records from {@code from} on; stops at the first record that is incomplete or fails its
     * checksum (a torn write at a crash, or an append still in progress by the writer). Returns where it stopped.
     */
    static long read(Path path, long from, Visitor visitor) throws IOException {
        long pos = from;
        try (InputStream raw = Files.newInputStream(path)) {
            raw.skipNBytes(from);
            DataInputStream in = new DataInputStream(new BufferedInputStream(raw, 64 * 1024));
            while (true) {
                int len;
                try {
                    len = in.readInt();
                } catch (EOFException e) {
                    return pos;
                }
                if (len <= 0 || len > LogRecord.MAX_PAYLOAD) return pos;
                byte[] payload;
                int crc;
                try {
                    crc = in.readInt();
                    payload = in.readNBytes(len);
                } catch (EOFException e) {
                    return pos;
                }
                if (payload.length < len) return pos;
                CRC32C c = new CRC32C();
                c.update(payload);
                if ((int) c.getValue() != crc) return pos;
                LogRecord r;
                try {
                    r = LogRecord.decode(payload);
                } catch (IOException | RuntimeException e) {
                    return pos; // checksum right but content unreadable: treat as the end
                }
                long start = pos;
                pos += 8L + len;
                visitor.record(r, start, pos);
            }
        } catch (EOFException e) {
            return pos; // file shorter than 'from' (read-only view of a log being replaced): nothing new
        }
    }

    @Override
    public void close() throws IOException {
        if (channel != null) channel.close();
    }
}

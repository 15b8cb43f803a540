package io.herald.smtp;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.SessionInfo;
import io.herald.queue.MessageQueue;
import io.herald.queue.Spool;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A test-only {@link MessageQueue} writing spools as real files into a folder; commits complete on another thread,
 * like a group-commit queue, or with {@link #commitOnCaller} on the caller's thread, like FileQueue's lone commit. To be replaced by the real FileQueue in integration tests.
 */
final class TempDirQueue implements MessageQueue {

    record Committed(String id, Envelope envelope, List<HeaderField> headers, byte[] spooled) {
        String text() { return new String(spooled, java.nio.charset.StandardCharsets.UTF_8); }

        /** The message bytes after the core's own Received: field. */
        byte[] body() {
            String s = new String(spooled, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (!s.startsWith("Received: ")) throw new AssertionError("no Received: field first");
            int p = 0;
            while (true) {
                int eol = s.indexOf("\r\n", p);
                p = eol + 2;
                if (p >= s.length() || (s.charAt(p) != ' ' && s.charAt(p) != '\t')) break;
            }
            return s.substring(p).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    final Path dir;
    final List<Committed> committed = new CopyOnWriteArrayList<>();
    final AtomicInteger opened = new AtomicInteger();
    final AtomicInteger discarded = new AtomicInteger();
    volatile boolean failCommit;
    /** Commits on the caller's thread, the future complete when commit returns (as FileQueue does for a lone commit). */
    volatile boolean commitOnCaller;
    /**
     * When set, a commit waits for it to complete before it does anything (holds the commit up: on the queue's thread,
     * or with {@link #commitOnCaller} on the session's own thread, as a lone FileQueue commit on a slow disk would).
     */
    volatile CompletableFuture<Void> gate;
    /** Released once by every commit as it begins (before the {@link #gate}). */
    final Semaphore commitsBegun = new Semaphore(0);
    /** Octets the queue has room for; {@link #hasRoomFor} compares with it ({@code 0}: full). */
    volatile long roomLeft = Long.MAX_VALUE;

    @Override
    public boolean hasRoomFor(long octets) {
        return roomLeft > 0 && octets <= roomLeft;
    }

    TempDirQueue(Path dir) {
        this.dir = dir;
    }

    @Override
    public Spool open(SessionInfo session, Envelope envelope) throws IOException {
        String id = "Q" + opened.incrementAndGet();
        Path file = dir.resolve(id + ".tmp");
        OutputStream out = Files.newOutputStream(file);
        return new Spool() {
            long size;
            boolean closed;

            @Override public String id() { return id; }

            @Override public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
                size += length;
            }

            @Override public long size() { return size; }

            @Override public MessageContent content() throws IOException {
                out.flush();
                return new MessageContent() {
                    @Override public long size() { return size; }
                    @Override public InputStream open() throws IOException { return Files.newInputStream(file); }
                };
            }

            @Override public CompletableFuture<Void> commit(List<HeaderField> addedHeaders) {
                Runnable commit = () -> {
                    commitsBegun.release();
                    CompletableFuture<Void> g = gate;
                    if (g != null) g.join();
                    try {
                        out.close();
                        closed = true;
                        if (failCommit) throw new IOException("disk full (test)");
                        ByteArrayOutputStream all = new ByteArrayOutputStream();
                        for (HeaderField h : addedHeaders) all.write(h.render().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        all.write(Files.readAllBytes(file));
                        Files.write(dir.resolve(id + ".eml"), all.toByteArray());
                        Files.delete(file);
                        committed.add(new Committed(id, envelope, addedHeaders, Files.readAllBytes(file.resolveSibling(id + ".eml"))));
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                };
                if (!commitOnCaller) return CompletableFuture.runAsync(commit);
                try {
                    commit.run();
                    return CompletableFuture.completedFuture(null);
                } catch (UncheckedIOException e) {
                    return CompletableFuture.failedFuture(e.getCause());
                }
            }

            @Override public void discard() {
                try {
                    if (!closed) out.close();
                    closed = true;
                    if (Files.deleteIfExists(file)) discarded.incrementAndGet();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
    }
}

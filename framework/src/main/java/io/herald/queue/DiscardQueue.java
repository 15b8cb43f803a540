package io.herald.queue;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.SessionInfo;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * <b>Benchmark only, never a default:</b> a {@link MessageQueue} that accepts every message and keeps nothing, so
 * that the SMTP protocol path (parsing, routing, hooks, replies) can be measured alone, against Postfix's
 * {@code smtp-sink}. A message "committed" here is lost: the {@code 250} it earns promises nothing. Switched on with
 * {@code benchmark.sink = true} in {@code conf/queue.cfg}; the server then logs a warning at start.
 *
 * <p>The bytes written are counted, not copied. {@link Spool#content()} is an empty message (no octets at all)
 * (end-of-DATA hooks such as spam filters see no text), so run the sink with such hooks off.
 */
public final class DiscardQueue implements MessageQueue {

    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong accepted = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();

    @Override
    public Spool open(SessionInfo session, Envelope envelope) {
        return new DiscardSpool("SINK" + Long.toHexString(ids.incrementAndGet()).toUpperCase(java.util.Locale.ROOT));
    }

    /** Messages "committed" (and dropped) since start. */
    public long accepted() {
        return accepted.get();
    }

    /** Message octets received (and dropped) since start. */
    public long bytes() {
        return bytes.get();
    }

    private final class DiscardSpool implements Spool {
        private final String id;
        private long size;
        private boolean done;

        DiscardSpool(String id) {
            this.id = id;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public synchronized void write(byte[] b, int offset, int length) throws IOException {
            java.util.Objects.checkFromIndexSize(offset, length, b.length);
            if (done) throw new IOException("spool " + id + " is finished");
            size += length;
        }

        @Override
        public synchronized long size() {
            return size;
        }

        @Override
        public synchronized MessageContent content() {
            long n = size;
            return new MessageContent() {
                @Override public long size() { return 0; }
                @Override public InputStream open() { return InputStream.nullInputStream(); }
                @Override public String toString() { return "discarded message of " + n + " octets"; }
            };
        }

        @Override
        public synchronized CompletableFuture<Void> commit(List<HeaderField> addedHeaders) {
            if (done) return CompletableFuture.failedFuture(new IllegalStateException("spool " + id + " is finished"));
            done = true;
            accepted.incrementAndGet();
            bytes.addAndGet(size);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public synchronized void discard() {
            done = true;
        }
    }
}

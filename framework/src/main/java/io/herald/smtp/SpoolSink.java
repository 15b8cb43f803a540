package io.herald.smtp;

import io.herald.queue.Spool;

import java.io.IOException;

/**
 * Writes a message's bytes into its {@link Spool} in blocks, counting them against the SIZE limit (RFC 1870 §6:
 * the server keeps reading to the end of the data, then refuses). Once the limit is passed or a write failed, the
 * bytes are still counted but no longer written.
 */
final class SpoolSink implements DataDecoder.Sink {

    private final Spool spool;
    private final long limit;
    private final byte[] buffer = new byte[64 * 1024];
    private int buffered;
    private long received;
    private IOException failure;

    SpoolSink(Spool spool, long limit) {
        this.spool = spool;
        this.limit = limit;
    }

    /** Writes the core's own header field (e.g. {@code Received:}); not counted against the limit. */
    void writeTrace(byte[] header) {
        if (failure != null) return;
        try {
            flush();
            spool.write(header, 0, header.length);
        } catch (IOException e) {
            failure = e;
        }
    }

    @Override
    public void write(byte[] b, int off, int len) {
        received += len;
        if (received > limit || failure != null) return;
        if (buffered + len > buffer.length) {
            flush();
            if (len > buffer.length) {
                writeThrough(b, off, len);
                return;
            }
        }
        System.arraycopy(b, off, buffer, buffered, len);
        buffered += len;
    }

    void flush() {
        if (buffered > 0 && failure == null) writeThrough(buffer, 0, buffered);
        buffered = 0;
    }

    private void writeThrough(byte[] b, int off, int len) {
        try {
            spool.write(b, off, len);
        } catch (IOException e) {
            failure = e;
        }
    }

    long received() { return received; }

    boolean overLimit() { return received > limit; }

    IOException failure() { return failure; }

    Spool spool() { return spool; }
}

package io.herald.smtp;

import io.herald.queue.Spool;

import java.io.IOException;

/**
 * Writes a message's bytes into its {@link Spool}, counting them against the SIZE limit (RFC 1870 §6: the server
 * keeps reading to the end of the data, then refuses). Once the limit is passed or a write failed, the bytes are
 * still counted but no longer written. It holds no buffer of its own: the decoder hands it blocks of up to 8 KB and
 * the spool buffers them (one copy of the body on its way to the file, not two).
 */
final class SpoolSink implements DataDecoder.Sink {

    private final Spool spool;
    private final long limit;
    private long received;
    private IOException failure;

    SpoolSink(Spool spool, long limit) {
        this.spool = spool;
        this.limit = limit;
    }

    /** Writes the core's own header field (e.g. {@code Received:}); not counted against the limit. */
    void writeTrace(byte[] header) {
        if (failure == null) writeThrough(header, 0, header.length);
    }

    @Override
    public void write(byte[] b, int off, int len) {
        received += len;
        if (received > limit || failure != null) return;
        writeThrough(b, off, len);
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

package io.herald.delivery;

import io.herald.api.smtp.HeaderField;
import io.herald.queue.QueueEntry;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Counts the {@code Received:} trace fields of a queued message (RFC 5321 §6.3: "simple counting of the number of
 * Received: header fields" detects a mail loop). Reads the header section only, streamed, up to 1 MiB.
 */
final class HopCount {

    private static final int MAX_HEADER = 1 << 20;

    private HopCount() { }

    static int receivedFields(QueueEntry entry) {
        int n = 0;
        for (HeaderField h : entry.addedHeaders()) if (h.name().equalsIgnoreCase("Received")) n++;
        try (InputStream in = entry.content().open()) {
            return n + count(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read queue entry " + entry.id(), e);
        }
    }

    /** The number of lines of the header section that start a {@code Received:} field. */
    static int count(InputStream in) throws IOException {
        InputStream buffered = new java.io.BufferedInputStream(in);
        int n = 0;
        int read = 0;
        StringBuilder prefix = new StringBuilder(9);
        boolean empty = true;
        int b;
        while ((b = buffered.read()) >= 0 && read++ < MAX_HEADER) {
            if (b == '\n') {
                if (empty) return n;        // the empty line ends the header section
                prefix.setLength(0);
                empty = true;
                continue;
            }
            if (b == '\r') continue;
            empty = false;
            if (prefix.length() < 9) {
                prefix.append((char) b);
                if (prefix.length() == 9 && prefix.toString().equalsIgnoreCase("received:")) n++;
            }
        }
        return n;
    }
}

package io.herald.plugin.pop3;

import io.herald.api.mail.MessageContent;

import java.io.IOException;
import java.io.InputStream;

/**
 * A stored message as POP3 sends it (RFC 1939 §3, §7 RETR/TOP): every line ending written as CRLF, whatever the
 * stored bytes use (CRLF, a bare LF or a bare CR each count as one line ending, as {@code WireFormat.crlf} of the SMTP
 * tests does), a final CRLF added when the last line has none, and a line that starts with {@code .} byte-stuffed
 * with one more {@code .}. The terminating {@code .CRLF} is not part of it.
 *
 * <p>{@link #size} is the octet count LIST and STAT report: the message with CRLF line endings, without the
 * byte-stuffing (RFC 1939 §11: the count is of the message, the stuffing belongs to the transmission). It is what a
 * client counts after removing the stuffing, e.g. the {@code octets} of Python's {@code poplib.retr}.
 *
 * <p>Reading is streamed: {@link Reader#read} fills a buffer from the message without holding it in memory.
 */
final class MessageText {

    private MessageText() { }

    /** The octet count of the message with CRLF line endings (no stuffing): what LIST and STAT report. */
    static long size(MessageContent content) throws IOException {
        try (Reader r = new Reader(content.open(), -1, false)) {
            byte[] buf = new byte[16384];
            int n;
            while ((n = r.read(buf, 0, buf.length)) > 0) { /* counting */ }
            return r.unstuffedCount();
        }
    }

    /**
     * Streams the normalized, byte-stuffed text of a message.
     *
     * @param bodyLines -1 for the whole message (RETR); otherwise TOP: the header, the empty line after it, and at
     *                  most this many lines of the body
     */
    static Reader open(MessageContent content, long bodyLines) throws IOException {
        return new Reader(content.open(), bodyLines, true);
    }

    /** Reads the normalized text; one instance per transmission. Not thread-safe. */
    static final class Reader implements AutoCloseable {
        private final InputStream in;
        private final long bodyLines;      // -1: all
        private final boolean stuff;
        private final byte[] raw = new byte[8192];
        private int rawPos;
        private int rawLen;
        private boolean eof;
        private boolean done;

        private boolean lineStart = true;
        private boolean lastWasCr;         // a CR was read and written as CRLF; an LF right after it is swallowed
        private boolean inBody;            // the empty line ending the header has been passed
        private boolean lineEmpty = true;  // the current line has no octet yet (to find the empty line)
        private long bodyLinesSent;
        private long unstuffed;            // octets of the text without stuffing
        private byte pending = -1;         // an octet owed after a stuffed '.' or a CR's LF that did not fit

        private Reader(InputStream in, long bodyLines, boolean stuff) {
            this.in = in;
            this.bodyLines = bodyLines;
            this.stuff = stuff;
        }

        long unstuffedCount() {
            return unstuffed;
        }

        /**
         * Fills {@code out[off..off+len)} with the next octets of the text ({@code len} at least 2).
         *
         * @return how many octets were written; 0 at the end
         */
        int read(byte[] out, int off, int len) throws IOException {
            if (len < 2) throw new IllegalArgumentException("buffer too small");
            int p = off;
            int end = off + len;
            if (pending >= 0) {
                out[p++] = pending;
                pending = -1;
            }
            while (p < end && !done) {
                if (rawPos == rawLen) {
                    if (eof || !fill()) {
                        finish(out, p, end);
                        p += finishedOctets;
                        break;
                    }
                }
                byte c = raw[rawPos++];
                if (c == '\n' && lastWasCr) {      // the LF of a CRLF already written
                    lastWasCr = false;
                    continue;
                }
                lastWasCr = false;
                if (c == '\r' || c == '\n') {
                    lastWasCr = c == '\r';
                    p = put(out, p, end, (byte) '\r');
                    p = put(out, p, end, (byte) '\n');
                    endOfLine();
                    continue;
                }
                if (lineStart && c == '.' && stuff) {
                    // RFC 1939 §3: a line starting with the termination octet is stuffed with one more
                    out[p++] = '.';
                    if (p == end) {
                        pending = '.';
                        unstuffed++;
                        lineStart = false;
                        lineEmpty = false;
                        break;
                    }
                    // the stuffed octet is not counted; the original below is
                }
                p = put(out, p, end, c);
                lineStart = false;
                lineEmpty = false;
            }
            return p - off;
        }

        private int finishedOctets;

        /** At the end of the stored bytes: the CRLF owed when the last line has none. */
        private void finish(byte[] out, int p, int end) {
            finishedOctets = 0;
            done = true;
            if (!lineStart) {
                int q = put(out, p, end, (byte) '\r');
                q = put(out, q, end, (byte) '\n');
                finishedOctets = q - p;
                lineStart = true;
            }
        }

        private int put(byte[] out, int p, int end, byte c) {
            unstuffed++;
            if (p < end) {
                out[p++] = c;
            } else {
                pending = c;   // only ever the LF of a CRLF: len >= 2 and the CR was written
            }
            return p;
        }

        private void endOfLine() {
            if (bodyLines >= 0) {
                if (inBody) {
                    bodyLinesSent++;
                    if (bodyLinesSent >= bodyLines) done = true;
                } else if (lineEmpty) {
                    inBody = true;             // the empty line after the header
                    if (bodyLines == 0) done = true;
                }
            }
            lineStart = true;
            lineEmpty = true;
        }

        private boolean fill() throws IOException {
            int n = in.read(raw, 0, raw.length);
            if (n <= 0) {
                eof = true;
                return false;
            }
            rawPos = 0;
            rawLen = n;
            return true;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}

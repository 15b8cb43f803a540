package io.herald.smtp;

/**
 * Decodes the text of a DATA command (RFC 5321 §4.1.1.4, §4.5.2): removes dot-stuffing and finds the end of the
 * data, which is ONLY {@code <CRLF>.<CRLF>} (the CRLF before the dot belongs to the message's last line).
 *
 * <p><b>Bare CR and bare LF (SMTP smuggling).</b> A CR not followed by LF, or an LF not preceded by CR, is never a
 * line ending here: it does not end the data, does not start a line (so a following dot is not unstuffed and cannot
 * end the data), and never splits one message into two. The bytes are kept as they came, and the decoder remembers
 * that it saw one; the SMTP core then refuses the whole message at the end of the data with
 * {@code 550 5.6.11} (RFC 5321 §2.3.8 forbids bare CR and LF in the text). So {@code <LF>.<LF>},
 * {@code <LF>.<CRLF>}, {@code <CR>.<CR>} and {@code <CRLF>.<LF>} all leave the session in the data until the real
 * {@code <CRLF>.<CRLF>}, and the smuggled text is refused with the message that carried it.
 *
 * <p><b>Long lines.</b> Each line's length is counted with its CRLF but without a leading dot removed by
 * unstuffing (RFC 5321 §4.5.3.1.6: "not counting the leading dot duplicated for transparency"). 1000 octets is what
 * every receiver must accept, not a limit it must enforce: the limit here is the listener's {@code maxLineLength}
 * (default 65536; 0 = unlimited). The first line over it is remembered (its number, from 1) and the core refuses the
 * message at the end of the data with {@code 500 5.5.6} (RFC 5321 §4.5.3.1.10 "500 Line too long"); shorter lines,
 * whatever their length, pass through unchanged (never folded).
 *
 * <p>The decoder only reads and copies bytes; it is fed the bytes as they arrive and never holds the message. Within
 * a line it looks for CR and LF only and copies the bytes between them as one block; line starts and line endings
 * go through the byte-by-byte states above.
 */
final class DataDecoder {

    /** Where decoded message bytes go. */
    interface Sink {
        void write(byte[] b, int off, int len);
    }

    private enum State { LINE_START, MID_LINE, CR, DOT, DOT_CR }

    private static final byte CR = '\r';
    private static final byte LF = '\n';
    private static final byte DOT = '.';

    private final int maxLineLength;
    private final Sink sink;
    private final byte[] out = new byte[8192];
    private int outLen;

    private State state = State.LINE_START;
    private long lineLength;
    private boolean done;
    private boolean bareCr;
    private boolean bareLf;
    private long line = 1;
    private long firstLongLine;

    DataDecoder(int maxLineLength, Sink sink) {
        this.maxLineLength = maxLineLength;
        this.sink = sink;
    }

    /**
     * Consumes bytes up to and including the end of the data.
     *
     * @return how many bytes of {@code b[off..off+len)} belong to the data; the rest (pipelined commands) is not read
     */
    int feed(byte[] b, int off, int len) {
        int p = off;
        int end = off + len;
        while (p < end && !done) {
            if (state == State.MID_LINE) {
                // inside a line nothing but CR and LF matters: the run up to the next one is copied in one go
                int q = p;
                while (q < end && b[q] != CR && b[q] != LF) q++;
                if (q > p) {
                    lineLength += q - p;
                    checkLength();
                    emit(b, p, q - p);
                    p = q;
                    continue;
                }
            }
            byte c = b[p++];
            lineLength++;
            switch (state) {
                case LINE_START -> {
                    if (c == DOT) state = State.DOT;   // §4.5.2: a leading dot is removed, or ends the data
                    else midLine(c);
                }
                case MID_LINE -> midLine(c);
                case CR -> {
                    if (c == LF) {
                        emit(CR);
                        emit(LF);
                        endOfLine();
                    } else {
                        bareCr = true;                 // a lone CR is text, never a line ending
                        emit(CR);
                        midLine(c);
                    }
                }
                case DOT -> {
                    if (c == CR) state = State.DOT_CR;
                    else {
                        lineLength--;                  // the stuffed dot is dropped, and does not count (§4.5.3.1.6)
                        midLine(c);
                    }
                }
                case DOT_CR -> {
                    if (c == LF) {
                        done = true;                   // <CRLF>.<CRLF>: the end of the data
                    } else {
                        bareCr = true;
                        emit(CR);
                        midLine(c);
                    }
                }
            }
        }
        flush();
        return p - off;
    }

    private void midLine(byte c) {
        if (c == CR) {
            state = State.CR;                          // emitted once we know whether LF follows
            return;
        }
        if (c == LF) bareLf = true;                    // a lone LF is text, never a line ending
        emit(c);
        state = State.MID_LINE;
    }

    private void endOfLine() {
        checkLength();
        lineLength = 0;
        line++;
        state = State.LINE_START;
    }

    private void emit(byte c) {
        checkLength();
        out[outLen++] = c;
        if (outLen == out.length) flush();
    }

    private void emit(byte[] b, int off, int len) {
        while (len > 0) {
            int n = Math.min(len, out.length - outLen);
            System.arraycopy(b, off, out, outLen, n);
            outLen += n;
            off += n;
            len -= n;
            if (outLen == out.length) flush();
        }
    }

    private void checkLength() {
        if (maxLineLength > 0 && lineLength > maxLineLength && firstLongLine == 0) firstLongLine = line;
    }

    private void flush() {
        if (outLen > 0) {
            sink.write(out, 0, outLen);
            outLen = 0;
        }
    }

    boolean isDone() { return done; }

    boolean sawBareCrOrLf() { return bareCr || bareLf; }

    boolean sawLineTooLong() { return firstLongLine > 0; }

    /** The number (from 1) of the first line longer than {@code maxLineLength}; 0 when there is none. */
    long firstLongLine() { return firstLongLine; }
}

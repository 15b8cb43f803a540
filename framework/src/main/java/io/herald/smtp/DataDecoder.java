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
 * <p><b>Long lines.</b> Each line's length is counted as sent (including a stuffed dot and the CRLF); a line
 * longer than {@code maxLineLength} (RFC 5321 §4.5.3.1.6; 0 = unlimited) is remembered and the core refuses the
 * message at the end of the data with {@code 500 5.5.6} ("500 Line too long", RFC 5321 §4.2.4).
 *
 * <p>The decoder only reads and copies bytes; it is fed the bytes as they arrive and never holds the message.
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
    private boolean lineTooLong;

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
                    else midLine(c);                   // the stuffed dot is dropped
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
        if (maxLineLength > 0 && lineLength > maxLineLength) lineTooLong = true;
        lineLength = 0;
        state = State.LINE_START;
    }

    private void emit(byte c) {
        if (maxLineLength > 0 && lineLength > maxLineLength) lineTooLong = true;
        out[outLen++] = c;
        if (outLen == out.length) flush();
    }

    private void flush() {
        if (outLen > 0) {
            sink.write(out, 0, outLen);
            outLen = 0;
        }
    }

    boolean isDone() { return done; }

    boolean sawBareCrOrLf() { return bareCr || bareLf; }

    boolean sawLineTooLong() { return lineTooLong; }
}

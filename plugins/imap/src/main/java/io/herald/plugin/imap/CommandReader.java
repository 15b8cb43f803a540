package io.herald.plugin.imap;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Frames the client's octets into IMAP commands (RFC 3501 §2.2, §4.3): a command is lines ending in CRLF, where a
 * line ending in a literal announcement {@code {n}} (synchronizing: the server first sends a {@code +} continuation)
 * or {@code {n+}} (LITERAL+, RFC 7888: the octets follow at once) continues after n octets. The result is the whole
 * command in wire form without its final CRLF, which {@link Args} parses.
 *
 * <p>Limits: a literal over {@code maxLiteral} is refused before its octets are read (synchronizing: the client
 * never sends them and the connection stays usable; non-synchronizing: the octets are on their way, so the session
 * must close); the command text without its literals is limited to {@code maxCommandLength} (the rest of an
 * over-long line is skipped). Not thread-safe: the session guards it.
 */
final class CommandReader {

    /** What {@link #next} found. */
    sealed interface Result {
        /** A complete command. */
        record Command(byte[] bytes) implements Result { }

        /** More octets are needed. */
        record Incomplete() implements Result { }

        /** A synchronizing literal was announced: send a {@code +} continuation, then call {@link #next} again. */
        record Continue() implements Result { }

        /** The command text is longer than allowed; it is skipped (to the end of its line). */
        record TooLong(String tag) implements Result { }

        /** A literal over the limit; {@code synchronizing} false means its octets are coming anyway. */
        record LiteralTooBig(String tag, long size, boolean synchronizing) implements Result { }
    }

    static final Result INCOMPLETE = new Result.Incomplete();

    private final long maxLiteral;
    private final int maxCommandLength;
    private byte[] buf = new byte[8192];
    private int start;          // first octet of the command being framed
    private int pos;            // octets before pos are framed
    private int end;            // octets received
    private long literalLeft;   // octets of the current literal still to come
    private long textLength;    // octets of the command outside literals
    private boolean discarding; // skipping the rest of an over-long line

    CommandReader(long maxLiteral, int maxCommandLength) {
        this.maxLiteral = maxLiteral;
        this.maxCommandLength = maxCommandLength;
    }

    /** Octets received and not yet consumed. */
    int buffered() {
        return end - start;
    }

    void append(byte[] b, int off, int len) {
        if (end + len > buf.length) {
            if (start > 0) {
                System.arraycopy(buf, start, buf, 0, end - start);
                pos -= start;
                end -= start;
                start = 0;
            }
            if (end + len > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, end + len));
        }
        System.arraycopy(b, off, buf, end, len);
        end += len;
    }

    /** Forgets everything buffered (after STARTTLS: plain-text octets sent before the handshake are never executed). */
    int clear() {
        int n = end - start;
        start = pos = end = 0;
        literalLeft = 0;
        textLength = 0;
        discarding = false;
        return n;
    }

    Result next() {
        while (true) {
            if (literalLeft > 0) {
                int take = (int) Math.min(end - pos, literalLeft);
                pos += take;
                literalLeft -= take;
                if (literalLeft > 0) return INCOMPLETE;
            }
            int lf = indexOfLf(pos);
            if (discarding) {
                if (lf < 0) {
                    start = pos = end;
                    return INCOMPLETE;
                }
                discarding = false;
                start = pos = lf + 1;
                textLength = 0;
                continue;
            }
            if (lf < 0) {
                if (textLength + (end - pos) > maxCommandLength) {
                    String tag = tagAt(start);
                    discarding = true;
                    start = pos = end;
                    textLength = 0;
                    return new Result.TooLong(tag);
                }
                return INCOMPLETE;
            }
            textLength += lf + 1 - pos;
            int contentEnd = lf > pos && buf[lf - 1] == '\r' ? lf - 1 : lf;
            if (textLength > maxCommandLength) {
                String tag = tagAt(start);
                start = pos = lf + 1;
                textLength = 0;
                return new Result.TooLong(tag);
            }
            // a literal announcement at the end of the line: {digits} or {digits+}
            if (contentEnd - 1 > pos && buf[contentEnd - 1] == '}') {
                int brace = contentEnd - 2;
                boolean plus = buf[brace] == '+';
                if (plus) brace--;
                int digitsEnd = brace + 1;
                while (brace >= pos && buf[brace] >= '0' && buf[brace] <= '9') brace--;
                if (brace >= pos && buf[brace] == '{' && digitsEnd - brace - 1 > 0 && digitsEnd - brace - 1 <= 12) {
                    long n = Long.parseLong(new String(buf, brace + 1, digitsEnd - brace - 1, StandardCharsets.US_ASCII));
                    if (n > maxLiteral) {
                        String tag = tagAt(start);
                        start = pos = lf + 1;
                        textLength = 0;
                        return new Result.LiteralTooBig(tag, n, !plus);
                    }
                    pos = lf + 1;
                    literalLeft = n;
                    if (!plus) return new Result.Continue();
                    continue;
                }
            }
            byte[] command = Arrays.copyOfRange(buf, start, contentEnd);
            start = pos = lf + 1;
            textLength = 0;
            return new Result.Command(command);
        }
    }

    /**
     * The next line outside command framing (an AUTHENTICATE response, IDLE's DONE), without CRLF; null when it is not
     * complete yet. A line over {@code maxCommandLength} is returned cut at that length, the rest skipped.
     */
    String nextLine() {
        int lf = indexOfLf(pos);
        if (lf < 0) {
            if (end - start > maxCommandLength) {
                String s = new String(buf, start, maxCommandLength, StandardCharsets.UTF_8);
                discarding = true;
                start = pos = end;
                return s;
            }
            return null;
        }
        int contentEnd = lf > start && buf[lf - 1] == '\r' ? lf - 1 : lf;
        String s = new String(buf, start, Math.min(contentEnd - start, maxCommandLength), StandardCharsets.UTF_8);
        start = pos = lf + 1;
        return s;
    }

    private int indexOfLf(int from) {
        for (int i = from; i < end; i++) if (buf[i] == '\n') return i;
        return -1;
    }

    /** The tag of the command starting at {@code at}, or {@code *} when it has none. */
    private String tagAt(int at) {
        int i = at;
        while (i < end && i - at < 64 && buf[i] != ' ' && buf[i] != '\r' && buf[i] != '\n') i++;
        String tag = new String(buf, at, i - at, StandardCharsets.US_ASCII);
        return Args.isTag(tag) ? tag : "*";
    }
}

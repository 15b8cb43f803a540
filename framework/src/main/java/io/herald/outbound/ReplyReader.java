package io.herald.outbound;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Splits the bytes a server sends into {@link Reply replies}: lines end with CRLF (a bare LF is taken too), a
 * reply's lines are {@code code-text} except the last, {@code code text} (RFC 5321 §4.2.1). Not thread-safe; fed
 * by the connection's I/O thread only.
 */
final class ReplyReader {

    /** RFC 5321 §4.5.3.1.5: a reply line is at most 512 octets; longer ones are cut, not refused. */
    static final int MAX_LINE = 2048;
    /** A reply with more lines than this is a broken or hostile server. */
    static final int MAX_LINES = 200;

    private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    private final List<String> lines = new ArrayList<>();
    private int code = -1;

    /**
     * @throws MalformedReplyException when a line does not start with a reply code, or the code changes in a
     *                                 multi-line reply
     */
    void feed(byte[] bytes, int offset, int length, Consumer<Reply> out) throws MalformedReplyException {
        for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                endOfLine(out);
            } else if (line.size() < MAX_LINE) {
                line.write(b);
            }
        }
    }

    private void endOfLine(Consumer<Reply> out) throws MalformedReplyException {
        byte[] raw = line.toByteArray();
        line.reset();
        int n = raw.length;
        if (n > 0 && raw[n - 1] == '\r') n--;
        String text = new String(raw, 0, n, StandardCharsets.UTF_8);
        if (text.length() < 3 || !Character.isDigit(text.charAt(0)) || !Character.isDigit(text.charAt(1))
                || !Character.isDigit(text.charAt(2)) || (text.length() > 3 && text.charAt(3) != ' ' && text.charAt(3) != '-')) {
            throw new MalformedReplyException("not an SMTP reply line: " + abbreviate(text));
        }
        int c = Integer.parseInt(text.substring(0, 3));
        if (c < 200 || c > 599) throw new MalformedReplyException("reply code out of range: " + abbreviate(text));
        if (code >= 0 && c != code) throw new MalformedReplyException("reply code changed within a multi-line reply: " + abbreviate(text));
        code = c;
        lines.add(text.length() > 4 ? text.substring(4) : "");
        boolean last = text.length() == 3 || text.charAt(3) == ' ';
        if (!last && lines.size() >= MAX_LINES) throw new MalformedReplyException("reply of more than " + MAX_LINES + " lines");
        if (last) {
            Reply r = new Reply(code, lines);
            lines.clear();
            code = -1;
            out.accept(r);
        }
    }

    private static String abbreviate(String s) {
        String t = s.replaceAll("\\p{Cntrl}", "?");
        return t.length() > 80 ? t.substring(0, 80) + "..." : t;
    }

    /** The server sent something that is not an SMTP reply. */
    static final class MalformedReplyException extends java.io.IOException {
        MalformedReplyException(String message) {
            super(message);
        }
    }
}

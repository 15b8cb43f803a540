package io.herald.plugin.imap;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collection;

/**
 * Builds the octets of IMAP responses (RFC 3501 §4, §9 formal syntax): strings are sent quoted when they are short
 * 7-bit text without CR, LF, {@code "} or {@code \}, and as literals otherwise (8-bit header values, message text).
 */
final class Response {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream(256);

    Response raw(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
        return this;
    }

    Response sp() {
        out.write(' ');
        return this;
    }

    Response crlf() {
        out.write('\r');
        out.write('\n');
        return this;
    }

    /** A string: quoted when possible, else a literal. */
    Response string(String s) {
        if (quotable(s)) {
            out.write('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '"' || c == '\\') out.write('\\');
                out.write(c);
            }
            out.write('"');
            return this;
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return literal(b, 0, b.length);
    }

    /**
     * A string of message octets (header values held one char per octet, ISO-8859-1): sent back as exactly those
     * octets, quoted when they are 7-bit text, else as a literal. Raw 8-bit header bytes (UTF-8 or a legacy charset)
     * reach the client unchanged.
     */
    Response octets(String s) {
        if (quotable(s)) return string(s);
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return literal(b, 0, b.length);
    }

    /** {@link #octets} or NIL. */
    Response noctets(String s) {
        return s == null ? raw("NIL") : octets(s);
    }

    /** A string or NIL. */
    Response nstring(String s) {
        return s == null ? raw("NIL") : string(s);
    }

    /** An astring: an atom when the value is one, else a string (mailbox names, LIST). */
    Response astring(String s) {
        if (!s.isEmpty() && isAtom(s)) return raw(s);
        return string(s);
    }

    Response literal(byte[] b, int off, int len) {
        raw("{" + len + "}\r\n");
        out.write(b, off, len);
        return this;
    }

    Response list(Collection<String> atoms) {
        out.write('(');
        boolean first = true;
        for (String a : atoms) {
            if (!first) out.write(' ');
            first = false;
            raw(a);
        }
        out.write(')');
        return this;
    }

    int size() {
        return out.size();
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    static boolean quotable(String s) {
        if (s.length() > 1024) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= 0x7f || c < 0x20) return false;
        }
        return true;
    }

    /** RFC 3501 ATOM-CHAR (no {@code ]} here: astring allows it, but clients quote it anyway). */
    static boolean isAtom(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c <= 0x20 || c >= 0x7f || "(){%*\"\\]".indexOf(c) >= 0) return false;
        }
        return true;
    }
}

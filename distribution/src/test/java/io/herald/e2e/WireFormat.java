package io.herald.e2e;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** What an SMTP client puts on the wire for a message file, and what Herald adds in front of it. */
final class WireFormat {

    private WireFormat() { }

    /**
     * The message as a conforming client sends it in DATA (before dot-stuffing): every line ending (CRLF, a bare
     * CR or a bare LF) written as CRLF, and a final CRLF added when the last line has none. This is what
     * Jakarta Mail's SMTP transport does, and what the Python client is given.
     */
    static byte[] crlf(byte[] file) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(file.length + file.length / 20 + 2);
        for (int i = 0; i < file.length; i++) {
            byte b = file[i];
            if (b == '\r') {
                out.write('\r');
                out.write('\n');
                if (i + 1 < file.length && file[i + 1] == '\n') i++;
            } else if (b == '\n') {
                out.write('\r');
                out.write('\n');
            } else {
                out.write(b);
            }
        }
        byte[] r = out.toByteArray();
        if (r.length < 2 || r[r.length - 2] != '\r' || r[r.length - 1] != '\n') {
            out.write('\r');
            out.write('\n');
            r = out.toByteArray();
        }
        return r;
    }

    /**
     * Removes the fields one Herald hop adds at final delivery: the {@code Return-Path:} field, this hop's spam
     * verdict ({@code X-Spam-Score:}, {@code X-Spam-Status:}, present when a spam filter is active) and the
     * {@code Received:} field (with its continuation lines) at the top of the stored message.
     */
    static byte[] stripTrace(byte[] stored) {
        int pos = 0;
        pos = skipField(stored, pos, "Return-Path:");
        while (startsWith(stored, pos, "X-Spam-")) pos = skipField(stored, pos, "X-Spam-");
        pos = skipField(stored, pos, "Received:");
        byte[] rest = new byte[stored.length - pos];
        System.arraycopy(stored, pos, rest, 0, rest.length);
        return rest;
    }

    /**
     * Removes what {@code hops} Herald hops add: {@code Return-Path:} at final delivery, then per hop its spam verdict
     * fields (when a filter is active) and its {@code Received:} field, newest first.
     *
     * @param received the removed {@code Received:} fields are added here, newest first, unfolded
     */
    static byte[] stripHops(byte[] stored, int hops, List<String> received) {
        int pos = skipField(stored, 0, "Return-Path:");
        for (int h = 0; h < hops; h++) {
            while (startsWith(stored, pos, "X-Spam-")) pos = skipField(stored, pos, "X-Spam-");
            int end = skipField(stored, pos, "Received:");
            received.add(new String(stored, pos, end - pos, StandardCharsets.UTF_8).replaceAll("\\r\\n[ \\t]+", " ").trim());
            pos = end;
        }
        byte[] rest = new byte[stored.length - pos];
        System.arraycopy(stored, pos, rest, 0, rest.length);
        return rest;
    }

    private static boolean startsWith(byte[] m, int pos, String prefix) {
        if (m.length - pos < prefix.length()) return false;
        return new String(m, pos, prefix.length(), StandardCharsets.ISO_8859_1).equalsIgnoreCase(prefix);
    }

    private static int skipField(byte[] m, int pos, String name) {
        byte[] n = name.getBytes(StandardCharsets.US_ASCII);
        if (m.length - pos < n.length) throw new AssertionError("no " + name + " field at the top of the stored message");
        for (int i = 0; i < n.length; i++) {
            if (Character.toLowerCase(m[pos + i]) != Character.toLowerCase(n[i]))
                throw new AssertionError("expected " + name + " at the top of the stored message, found: "
                        + new String(m, pos, Math.min(60, m.length - pos), StandardCharsets.ISO_8859_1));
        }
        int p = pos;
        while (true) {
            while (p < m.length && m[p] != '\n') p++;
            p++; // past LF
            if (p >= m.length || (m[p] != ' ' && m[p] != '\t')) return p;
        }
    }
}

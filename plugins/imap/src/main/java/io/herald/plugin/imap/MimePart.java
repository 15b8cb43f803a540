package io.herald.plugin.imap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One MIME entity of a stored message, located by octet offsets in the message's bytes: what FETCH BODY[section],
 * BODYSTRUCTURE and ENVELOPE need (RFC 3501 §6.4.5, §7.4.2). Sections are served as the exact stored octets, never
 * re-encoded, so an attachment fetched is byte for byte what was sent.
 *
 * <p>The parser is lenient as clients expect of a server: bare LF line ends are accepted, a missing blank line means
 * the whole entity is header, a multipart without its closing delimiter ends at the end of its parent, and nesting
 * is limited to {@value #MAX_DEPTH} levels (deeper parts are treated as opaque).
 */
final class MimePart {

    static final int MAX_DEPTH = 20;

    final byte[] data;
    final int start;       // first octet of the header
    final int bodyStart;   // first octet of the body (after the blank line)
    final int end;         // one past the last octet of the body
    final List<String[]> headers;   // name, unfolded raw value
    final String type;     // lower-case
    final String subtype;  // lower-case
    final Map<String, String> params;   // lower-case names, in order
    final List<MimePart> parts = new ArrayList<>();   // multipart children
    MimePart message;      // message/rfc822: the encapsulated message

    private MimePart(byte[] data, int start, int end, String defaultType, int depth) {
        this.data = data;
        this.start = start;
        this.end = end;
        int b = headerEnd(data, start, end);
        this.bodyStart = b;
        this.headers = parseHeaders(data, start, b);
        String ct = header("Content-Type");
        String[] ts = ct == null ? null : typeOf(ct);
        if (ts == null) ts = defaultType.split("/");
        this.type = ts[0];
        this.subtype = ts[1];
        this.params = ct == null || typeOf(ct) == null
                ? (defaultType.equals("text/plain") ? new LinkedHashMap<>(Map.of("charset", "us-ascii")) : new LinkedHashMap<>())
                : params(ct);
        if (depth >= MAX_DEPTH) return;
        if (type.equals("multipart") && params.get("boundary") != null && !params.get("boundary").isEmpty()) {
            splitMultipart(params.get("boundary"), subtype.equals("digest") ? "message/rfc822" : "text/plain", depth);
        } else if (type.equals("message") && subtype.equals("rfc822")) {
            message = new MimePart(data, bodyStart, end, "text/plain", depth + 1);
        }
    }

    /** Parses a whole message. */
    static MimePart parse(byte[] message) {
        return new MimePart(message, 0, message.length, "text/plain", 0);
    }

    boolean isMultipart() { return type.equals("multipart"); }

    boolean isMessage() { return message != null; }

    int bodySize() { return end - bodyStart; }

    /** The first value of a header field (unfolded, not decoded), or null. */
    String header(String name) {
        for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) return h[1];
        return null;
    }

    /** Number of lines of the body (BODYSTRUCTURE body-fld-lines). */
    int bodyLines() {
        int n = 0;
        for (int i = bodyStart; i < end; i++) if (data[i] == '\n') n++;
        if (end > bodyStart && data[end - 1] != '\n') n++;
        return n;
    }

    private void splitMultipart(String boundary, String childDefault, int depth) {
        byte[] delim = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int partStart = -1;
        int i = bodyStart;
        while (i < end) {
            int lineEnd = lineEnd(data, i, end);            // index of the LF, or end
            if (startsWith(data, i, lineEnd, delim)) {
                int after = i + delim.length;
                boolean close = after + 2 <= lineEnd && data[after] == '-' && data[after + 1] == '-';
                if (onlyWhitespace(data, close ? after + 2 : after, lineEnd)) {
                    if (partStart >= 0) {
                        // the CRLF before the delimiter line belongs to the delimiter (RFC 2046 §5.1.1)
                        int partEnd = i;
                        if (partEnd > partStart && data[partEnd - 1] == '\n') partEnd--;
                        if (partEnd > partStart && data[partEnd - 1] == '\r') partEnd--;
                        parts.add(new MimePart(data, partStart, Math.max(partStart, partEnd), childDefault, depth + 1));
                    }
                    if (close) return;
                    partStart = Math.min(lineEnd + 1, end);
                }
            }
            i = lineEnd + 1;
        }
        if (partStart >= 0 && partStart < end) parts.add(new MimePart(data, partStart, end, childDefault, depth + 1));
    }

    private static boolean startsWith(byte[] d, int from, int to, byte[] prefix) {
        if (to - from < prefix.length) return false;
        for (int k = 0; k < prefix.length; k++) if (d[from + k] != prefix[k]) return false;
        return true;
    }

    private static boolean onlyWhitespace(byte[] d, int from, int to) {
        for (int k = from; k < to; k++) if (d[k] != ' ' && d[k] != '\t' && d[k] != '\r') return false;
        return true;
    }

    private static int lineEnd(byte[] d, int from, int end) {
        for (int k = from; k < end; k++) if (d[k] == '\n') return k;
        return end;
    }

    /** The offset just after the blank line ending the header, or {@code end} when there is none. */
    static int headerEnd(byte[] d, int start, int end) {
        int i = start;
        while (i < end) {
            int le = lineEnd(d, i, end);
            int len = le - i;
            if (len == 0 || (len == 1 && d[i] == '\r')) return Math.min(le + 1, end);
            i = le + 1;
        }
        return end;
    }

    static List<String[]> parseHeaders(byte[] d, int start, int end) {
        List<String[]> out = new ArrayList<>();
        // one char per octet: values go back to the client as the octets they were (ENVELOPE, BODYSTRUCTURE)
        String text = new String(d, start, end - start, StandardCharsets.ISO_8859_1);
        String name = null;
        StringBuilder value = null;
        for (String line : text.split("\r?\n", -1)) {
            if (line.isEmpty()) break;
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && name != null) {
                value.append(line);   // unfold: the CRLF goes, the whitespace stays (RFC 5322 §2.2.3)
                continue;
            }
            if (name != null) out.add(new String[] {name, value.toString().trim()});
            int colon = line.indexOf(':');
            if (colon <= 0) { name = null; continue; }
            name = line.substring(0, colon).trim();
            value = new StringBuilder(line.substring(colon + 1));
        }
        if (name != null) out.add(new String[] {name, value.toString().trim()});
        return out;
    }

    /** {@code type/subtype} of a Content-Type value, lower-case, or null when malformed. */
    static String[] typeOf(String contentType) {
        String v = contentType;
        int semi = v.indexOf(';');
        if (semi >= 0) v = v.substring(0, semi);
        v = stripComments(v).trim().toLowerCase(Locale.ROOT);
        int slash = v.indexOf('/');
        if (slash <= 0 || slash == v.length() - 1) return null;
        String t = v.substring(0, slash).trim(), s = v.substring(slash + 1).trim();
        if (t.isEmpty() || s.isEmpty() || t.contains(" ") || s.contains(" ")) return null;
        return new String[] {t, s};
    }

    /** The parameters after the first {@code ;} of a structured value (Content-Type, Content-Disposition). */
    static Map<String, String> params(String value) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = value.indexOf(';');
        if (i < 0) return out;
        i++;
        int n = value.length();
        while (i < n) {
            while (i < n && (value.charAt(i) == ' ' || value.charAt(i) == '\t' || value.charAt(i) == ';')) i++;
            int eq = value.indexOf('=', i);
            if (eq < 0) break;
            String name = value.substring(i, eq).trim().toLowerCase(Locale.ROOT);
            i = eq + 1;
            while (i < n && (value.charAt(i) == ' ' || value.charAt(i) == '\t')) i++;
            StringBuilder v = new StringBuilder();
            if (i < n && value.charAt(i) == '"') {
                i++;
                while (i < n && value.charAt(i) != '"') {
                    if (value.charAt(i) == '\\' && i + 1 < n) i++;
                    v.append(value.charAt(i++));
                }
                i++;
            } else {
                while (i < n && value.charAt(i) != ';') v.append(value.charAt(i++));
            }
            if (!name.isEmpty() && !out.containsKey(name)) out.put(name, stripComments(v.toString()).trim());
        }
        return out;
    }

    private static String stripComments(String s) {
        if (s.indexOf('(') < 0) return s;
        StringBuilder b = new StringBuilder();
        int depth = 0;
        boolean quoted = false;
        for (char c : s.toCharArray()) {
            if (c == '"' && depth == 0) quoted = !quoted;
            if (!quoted && c == '(') { depth++; continue; }
            if (!quoted && c == ')' && depth > 0) { depth--; continue; }
            if (depth == 0) b.append(c);
        }
        return b.toString();
    }

    /** The disposition type and its parameters, or null. */
    String[] disposition() {
        String d = header("Content-Disposition");
        if (d == null) return null;
        int semi = d.indexOf(';');
        String t = stripComments(semi < 0 ? d : d.substring(0, semi)).trim();
        return t.isEmpty() ? null : new String[] {t};
    }
}

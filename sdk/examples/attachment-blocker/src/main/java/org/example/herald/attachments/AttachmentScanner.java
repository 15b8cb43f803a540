package org.example.herald.attachments;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Finds the MIME parts of a message and their file names, reading it once as a stream (never whole in memory):
 * multipart bodies (RFC 2046 §5.1), embedded messages ({@code message/rfc822}, RFC 2046 §5.2.1), file names from
 * {@code Content-Disposition} (RFC 2183) or else the {@code name} parameter of {@code Content-Type}, with RFC 2231
 * parameter continuations and charsets and RFC 2047 encoded words (which many clients put in quoted names).
 *
 * <p>Malformed structure is read the way a mail client would read it: a missing closing boundary ends at the end
 * of the message, a boundary of an outer multipart closes the inner ones. Limits on nesting and on the number of
 * parts bound the work a hostile message can cause; over them, {@link TooComplexException}.
 */
final class AttachmentScanner {

    /** One MIME part: its media type (lower case, {@code text/plain} when absent) and its file name, if any. */
    record Part(String contentType, Optional<String> filename, int depth) { }

    /** Thrown when a message nests deeper or has more parts than the limits allow. */
    static final class TooComplexException extends Exception {
        TooComplexException(String message) {
            super(message);
        }
    }

    /** The longest header section of one part we read (the rest is skipped). */
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    /** Lines longer than this are read in pieces; a boundary line is never that long (RFC 2046: 70 + 4). */
    private static final int MAX_LINE = 8 * 1024;

    private final int maxDepth;
    private final int maxParts;

    AttachmentScanner(int maxDepth, int maxParts) {
        this.maxDepth = maxDepth;
        this.maxParts = maxParts;
    }

    /** Every part of the message, the top-level entity first, in the order they appear. */
    List<Part> scan(InputStream message) throws IOException, TooComplexException {
        LineReader in = new LineReader(message);
        List<Part> parts = new ArrayList<>();
        // The open multiparts: their boundary and depth.
        Deque<Open> open = new ArrayDeque<>();
        Entity top = readEntity(in, 0, parts);
        if (top.boundary != null) open.push(new Open(top.boundary, 0));
        String line;
        while ((line = in.line()) != null) {
            if (open.isEmpty() || !line.startsWith("--")) continue;
            Open closing = null;
            boolean end = false;
            for (Open o : open) {
                String t = stripTrailingSpace(line);
                if (t.equals("--" + o.boundary)) {
                    closing = o;
                    break;
                }
                if (t.equals("--" + o.boundary + "--")) {
                    closing = o;
                    end = true;
                    break;
                }
            }
            if (closing == null) continue;
            // Everything opened inside the multipart whose boundary this is ends here.
            while (open.peek() != closing) open.pop();
            if (end) {
                open.pop();
                continue;
            }
            Entity part = readEntity(in, closing.depth + 1, parts);
            if (part.boundary != null) open.push(new Open(part.boundary, part.depth));
        }
        return parts;
    }

    private record Open(String boundary, int depth) { }

    /** A part whose header was read: its boundary when it is a multipart, and its depth. */
    private record Entity(String boundary, int depth) { }

    /**
     * Reads the header section of one entity and records it; an embedded message's own header follows at once and
     * is read as the entity at the next depth.
     */
    private Entity readEntity(LineReader in, int depth, List<Part> parts) throws IOException, TooComplexException {
        while (true) {
            if (depth > maxDepth) throw new TooComplexException("MIME parts nested deeper than " + maxDepth);
            if (parts.size() >= maxParts) throw new TooComplexException("more than " + maxParts + " MIME parts");
            Map<String, String> header = readHeader(in);
            Map<String, String> type = parameters(header.getOrDefault("content-type", "text/plain"));
            Map<String, String> disposition = parameters(header.getOrDefault("content-disposition", ""));
            String mediaType = type.getOrDefault("", "text/plain");
            if (!mediaType.contains("/")) mediaType = "text/plain"; // RFC 2045 §5.2: an invalid type is text/plain
            Optional<String> name = Optional.ofNullable(disposition.get("filename")).or(() -> Optional.ofNullable(type.get("name")))
                    .map(AttachmentScanner::decodeWords).map(String::strip).filter(s -> !s.isEmpty());
            parts.add(new Part(mediaType, name, depth));
            if (mediaType.startsWith("multipart/")) {
                String boundary = type.get("boundary");
                return new Entity(boundary == null || boundary.isEmpty() ? null : boundary, depth);
            }
            if (mediaType.equals("message/rfc822") || mediaType.equals("message/global")) {
                depth++;
                continue;
            }
            return new Entity(null, depth);
        }
    }

    /** The fields of one header section (names in lower case, unfolded; the first of repeated fields wins). */
    private static Map<String, String> readHeader(LineReader in) throws IOException {
        Map<String, String> fields = new LinkedHashMap<>();
        String name = null;
        StringBuilder value = new StringBuilder();
        int bytes = 0;
        String line;
        while ((line = in.line()) != null && !line.isEmpty()) {
            bytes += line.length();
            if (bytes > MAX_HEADER_BYTES) continue;
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t') && name != null) {
                value.append(' ').append(line.strip());
                continue;
            }
            if (name != null) fields.putIfAbsent(name, value.toString().strip());
            int colon = line.indexOf(':');
            if (colon <= 0) {
                name = null;
                continue;
            }
            name = line.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            value.setLength(0);
            value.append(line.substring(colon + 1));
        }
        if (name != null) fields.putIfAbsent(name, value.toString().strip());
        return fields;
    }

    /**
     * A structured field value: {@code ""} maps to the value before the first {@code ;} (lower case), every parameter
     * name (lower case) to its value, unquoted, RFC 2231 continuations joined and decoded.
     */
    static Map<String, String> parameters(String field) {
        Map<String, String> out = new LinkedHashMap<>();
        List<String> items = splitParameters(field);
        if (items.isEmpty()) return out;
        out.put("", items.get(0).strip().toLowerCase(Locale.ROOT));
        // RFC 2231 §3-4: name*0, name*1*, ... and name* carry a charset'language' prefix on the first piece.
        Map<String, TreeMap<Integer, String[]>> continued = new LinkedHashMap<>();
        for (String item : items.subList(1, items.size())) {
            int eq = item.indexOf('=');
            if (eq <= 0) continue;
            String key = item.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = unquote(item.substring(eq + 1).strip());
            boolean extended = key.endsWith("*");
            if (extended) key = key.substring(0, key.length() - 1);
            int star = key.indexOf('*');
            if (star > 0) {
                int index;
                try {
                    index = Integer.parseInt(key.substring(star + 1));
                } catch (NumberFormatException e) {
                    continue;
                }
                continued.computeIfAbsent(key.substring(0, star), k -> new TreeMap<>())
                        .put(index, new String[] {value, extended ? "*" : ""});
            } else if (extended) {
                out.put(key, decode2231(value, true));
            } else {
                out.putIfAbsent(key, value);
            }
        }
        continued.forEach((key, pieces) -> {
            StringBuilder raw = new StringBuilder();
            String charset = null;
            boolean first = true;
            for (String[] piece : pieces.values()) {
                String v = piece[0];
                boolean ext = piece[1].equals("*");
                if (first && ext) {
                    int q1 = v.indexOf('\'');
                    int q2 = q1 < 0 ? -1 : v.indexOf('\'', q1 + 1);
                    if (q2 > 0) {
                        charset = v.substring(0, q1);
                        v = v.substring(q2 + 1);
                    }
                }
                raw.append(ext ? percentDecodeToLatin1(v) : v);
                first = false;
            }
            String value = raw.toString();
            if (charset != null) value = recode(value, charset);
            out.put(key, value);
        });
        return out;
    }

    private static List<String> splitParameters(String field) {
        List<String> items = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '"') quoted = !quoted;
            if (c == '\\' && quoted && i + 1 < field.length()) {
                current.append(c).append(field.charAt(++i));
                continue;
            }
            if (c == ';' && !quoted) {
                items.add(current.toString());
                current.setLength(0);
            } else {
                current.append(c);
            }
        }
        if (current.length() > 0 || !items.isEmpty()) items.add(current.toString());
        return items;
    }

    private static String unquote(String v) {
        if (v.length() >= 2 && v.charAt(0) == '"' && v.charAt(v.length() - 1) == '"') {
            StringBuilder b = new StringBuilder();
            for (int i = 1; i < v.length() - 1; i++) {
                char c = v.charAt(i);
                if (c == '\\' && i + 1 < v.length() - 1) c = v.charAt(++i);
                b.append(c);
            }
            return b.toString();
        }
        return v;
    }

    /** {@code UTF-8'en'%E2%82%AC.exe} → the text. */
    private static String decode2231(String v, boolean hasCharset) {
        String charset = null;
        if (hasCharset) {
            int q1 = v.indexOf('\'');
            int q2 = q1 < 0 ? -1 : v.indexOf('\'', q1 + 1);
            if (q2 > 0) {
                charset = v.substring(0, q1);
                v = v.substring(q2 + 1);
            }
        }
        String latin1 = percentDecodeToLatin1(v);
        return charset == null ? latin1 : recode(latin1, charset);
    }

    private static String percentDecodeToLatin1(String v) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (c == '%' && i + 2 < v.length()) {
                int hi = Character.digit(v.charAt(i + 1), 16);
                int lo = Character.digit(v.charAt(i + 2), 16);
                if (hi >= 0 && lo >= 0) {
                    b.append((char) (hi * 16 + lo));
                    i += 2;
                    continue;
                }
            }
            b.append(c);
        }
        return b.toString();
    }

    /** Text whose chars are bytes (ISO-8859-1) re-read in {@code charset}; unknown charsets stay as they are. */
    private static String recode(String latin1, String charset) {
        try {
            return new String(latin1.getBytes(StandardCharsets.ISO_8859_1), Charset.forName(charset.strip()));
        } catch (RuntimeException unknownCharset) {
            return latin1;
        }
    }

    /** RFC 2047 encoded words ({@code =?UTF-8?B?...?=}, {@code =?iso-8859-1?Q?...?=}) decoded; other text kept. */
    static String decodeWords(String s) {
        if (!s.contains("=?")) return s;
        StringBuilder out = new StringBuilder();
        int i = 0;
        boolean lastWasWord = false;
        while (i < s.length()) {
            int start = s.indexOf("=?", i);
            if (start < 0) {
                out.append(s, i, s.length());
                break;
            }
            String between = s.substring(i, start);
            int q1 = s.indexOf('?', start + 2);
            int q2 = q1 < 0 ? -1 : s.indexOf('?', q1 + 1);
            int end = q2 < 0 ? -1 : s.indexOf("?=", q2 + 1);
            if (end < 0) {
                out.append(s, i, s.length());
                break;
            }
            String charset = s.substring(start + 2, q1);
            String encoding = s.substring(q1 + 1, q2);
            String text = s.substring(q2 + 1, end);
            String decoded = decodeWord(charset, encoding, text);
            if (decoded == null) {
                out.append(s, i, end + 2);
                lastWasWord = false;
            } else {
                // RFC 2047 §6.2: white space between adjacent encoded words is dropped
                if (!(lastWasWord && between.isBlank())) out.append(between);
                out.append(decoded);
                lastWasWord = true;
            }
            i = end + 2;
        }
        return out.toString();
    }

    private static String decodeWord(String charset, String encoding, String text) {
        int star = charset.indexOf('*'); // RFC 2231 §5: charset*language
        if (star >= 0) charset = charset.substring(0, star);
        Charset cs;
        try {
            cs = Charset.forName(charset);
        } catch (RuntimeException e) {
            return null;
        }
        byte[] bytes;
        if (encoding.equalsIgnoreCase("B")) {
            try {
                bytes = Base64.getDecoder().decode(text);
            } catch (IllegalArgumentException e) {
                return null;
            }
        } else if (encoding.equalsIgnoreCase("Q")) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '_') {
                    b.write(' ');
                } else if (c == '=' && i + 2 < text.length()) {
                    int hi = Character.digit(text.charAt(i + 1), 16);
                    int lo = Character.digit(text.charAt(i + 2), 16);
                    if (hi < 0 || lo < 0) return null;
                    b.write(hi * 16 + lo);
                    i += 2;
                } else {
                    b.write(c);
                }
            }
            bytes = b.toByteArray();
        } else {
            return null;
        }
        return new String(bytes, cs);
    }

    private static String stripTrailingSpace(String line) {
        int end = line.length();
        while (end > 0 && (line.charAt(end - 1) == ' ' || line.charAt(end - 1) == '\t')) end--;
        return line.substring(0, end);
    }

    /** Lines of a byte stream as ISO-8859-1 text, without their CRLF or LF; a very long line comes in pieces. */
    private static final class LineReader {
        private final InputStream in;
        private final byte[] buffer = new byte[16 * 1024];
        private int pos;
        private int limit;

        LineReader(InputStream in) {
            this.in = in;
        }

        String line() throws IOException {
            StringBuilder b = new StringBuilder();
            while (true) {
                if (pos == limit) {
                    limit = in.read(buffer);
                    pos = 0;
                    if (limit <= 0) {
                        limit = 0;
                        return b.length() == 0 ? null : b.toString();
                    }
                }
                byte c = buffer[pos++];
                if (c == '\n') {
                    int n = b.length();
                    if (n > 0 && b.charAt(n - 1) == '\r') b.setLength(n - 1);
                    return b.toString();
                }
                b.append((char) (c & 0xff));
                if (b.length() >= MAX_LINE) return b.toString();
            }
        }
    }
}

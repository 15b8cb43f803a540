package io.herald.api.spam;

import io.herald.api.mail.MessageContent;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The header section of a message, unfolded (RFC 5322 §2.2.3), in the order of the message (topmost first).
 * Values are raw: encoded words (RFC 2047) are not decoded; bytes that are not UTF-8 are read as ISO-8859-1.
 * A header section larger than {@link #MAX_BYTES} is cut there.
 */
public record MessageHeaders(List<Field> fields) {

    /** The most of a header section that is read. */
    public static final int MAX_BYTES = 1 << 20;

    public MessageHeaders {
        fields = List.copyOf(fields);
    }

    /** One unfolded header field; {@code value} has its leading white space removed. */
    public record Field(String name, String value) { }

    /** The value of the first (topmost) field with this name, case-insensitive. */
    public Optional<String> first(String name) {
        for (Field f : fields) if (f.name().equalsIgnoreCase(name)) return Optional.of(f.value());
        return Optional.empty();
    }

    /** The values of all fields with this name, topmost first. */
    public List<String> all(String name) {
        List<String> out = new ArrayList<>();
        for (Field f : fields) if (f.name().equalsIgnoreCase(name)) out.add(f.value());
        return out;
    }

    /** Reads and parses the header section of a message. */
    public static MessageHeaders read(MessageContent message) throws IOException {
        try (InputStream in = new BufferedInputStream(message.open())) {
            return read(in);
        }
    }

    /**
     * Parses a header section from the start of a stream, up to the first empty line. The stream is not closed; one
     * that does not support {@link InputStream#mark} is buffered, and may then be read beyond the header section.
     */
    public static MessageHeaders read(InputStream in) throws IOException {
        if (!in.markSupported()) in = new BufferedInputStream(in);
        List<Field> fields = new ArrayList<>();
        StringBuilder current = null;
        int total = 0;
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
            total += line.length() + 2;
            if (total > MAX_BYTES) break;
            if ((line.charAt(0) == ' ' || line.charAt(0) == '\t')) {
                if (current != null) current.append(line);
                continue;
            }
            if (current != null) add(fields, current);
            current = new StringBuilder(line);
        }
        if (current != null) add(fields, current);
        return new MessageHeaders(fields);
    }

    private static void add(List<Field> fields, StringBuilder raw) {
        int colon = raw.indexOf(":");
        if (colon <= 0) return; // not a field (e.g. an mbox "From " line): ignored
        String name = raw.substring(0, colon).trim();
        if (name.isEmpty() || name.chars().anyMatch(c -> c <= 32 || c >= 127)) return;
        fields.add(new Field(name, raw.substring(colon + 1).strip()));
    }

    /** One line without its CRLF, LF or CR ending; null at the end of the stream. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(128);
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') break;
            if (c == '\r') {
                in.mark(1);
                int n = in.read();
                if (n != '\n' && n != -1) in.reset();
                break;
            }
            b.write(c);
        }
        if (c == -1 && b.size() == 0) return null;
        byte[] bytes = b.toByteArray();
        String s = new String(bytes, StandardCharsets.UTF_8);
        return s.indexOf('\uFFFD') >= 0 ? new String(bytes, StandardCharsets.ISO_8859_1) : s;
    }

}

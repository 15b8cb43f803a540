package io.herald.plugin.mailbox;

import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.message.DefaultBodyDescriptorBuilder;
import org.apache.james.mime4j.message.MaximalBodyDescriptor;
import org.apache.james.mime4j.parser.AbstractContentHandler;
import org.apache.james.mime4j.parser.MimeStreamParser;
import org.apache.james.mime4j.stream.BodyDescriptor;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.util.ByteSequence;
import org.apache.james.mime4j.util.MimeUtil;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.Charset;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads headers, text and attachment names from a message with Mime4j, leniently: whatever fails to parse is
 * skipped and the rest is kept. The text kept is capped ({@code maxText} characters), parts deeper than
 * {@code maxDepth} levels of nesting are not read, nor are the parts after the first {@code maxParts}.
 *
 * <p>Hostile input is expected (this runs on every delivered message): every step is linear in the input — HTML is
 * reduced by a scanner, not by backtracking regular expressions — and every value kept is capped, so a message
 * can cost the indexer time and memory in proportion to its size only, bounded by the SMTP size limit.
 */
final class MessageParser {


    /** Header fields kept per message for HEADER searches, and characters per value. */
    static final int MAX_HEADERS = 100, MAX_HEADER_VALUE = 2000;
    /** Characters kept of the From/To/Cc/Bcc/Subject/Message-ID values (all their fields together). */
    static final int MAX_ADDRESS_VALUE = 65_536;
    /** A Date field longer than this is no date (RFC 5322 dates are ~31 characters). */
    private static final int MAX_DATE = 200;

    private final int maxText;
    private final int maxDepth;
    private final int maxParts;

    /**
     * @param maxText  characters of body text kept
     * @param maxDepth levels of multipart nesting read
     * @param maxParts body parts read (text and attachment names); later parts are skipped
     */
    MessageParser(int maxText, int maxDepth, int maxParts) {
        this.maxText = maxText;
        this.maxDepth = maxDepth;
        this.maxParts = maxParts;
    }

    ParsedMessage parse(InputStream raw) {
        InputStream in;
        try {
            in = skipMboxFromLine(raw);
        } catch (IOException e) {
            in = raw;
        }
        Handler h = new Handler();
        MimeConfig config = new MimeConfig.Builder()
                .setStrictParsing(false)
                .setMaxLineLen(-1)
                .setMaxHeaderLen(-1)
                .setMaxHeaderCount(-1)
                .setMaxNestingDepth(maxDepth)
                .setMalformedHeaderStartsBody(true)
                .build();
        MimeStreamParser parser = new MimeStreamParser(config, DecodeMonitor.SILENT,
                new DefaultBodyDescriptorBuilder(null, null, DecodeMonitor.SILENT));
        parser.setContentDecoding(true);
        parser.setContentHandler(h);
        try {
            parser.parse(in);
        } catch (Exception | StackOverflowError e) {
            // lenient: keep what was read so far
        }
        return new ParsedMessage(h.from, h.to, h.cc, h.bcc, h.subject, h.messageId, h.date, h.body.toString(),
                List.copyOf(h.attachments), List.copyOf(h.headers));
    }

    private final class Handler extends AbstractContentHandler {
        String from = "", to = "", cc = "", bcc = "", subject = "", messageId = "";
        final List<java.util.Map.Entry<String, String>> headers = new ArrayList<>();
        Instant date;
        final StringBuilder body = new StringBuilder();
        final List<String> attachments = new ArrayList<>();
        int messageDepth;
        int depth;
        int parts;
        int bodyParts;   // > 0 inside a body part: its fields are not the message's header (RFC 3501 SEARCH HEADER)

        @Override public void startMessage() { messageDepth++; }
        @Override public void endMessage() { messageDepth--; }
        @Override public void startMultipart(BodyDescriptor bd) { depth++; }
        @Override public void startBodyPart() { bodyParts++; }
        @Override public void endBodyPart() { bodyParts--; }
        @Override public void endMultipart() { depth--; }

        @Override
        public void field(Field field) {
            if (messageDepth != 1 || bodyParts > 0) return;
            String value;
            try {
                value = headerValue(field);
            } catch (RuntimeException e) {
                return;
            }
            String lname = field.getName().toLowerCase(Locale.ROOT);
            if (headers.size() < MAX_HEADERS) {
                headers.add(java.util.Map.entry(lname, value.length() <= MAX_HEADER_VALUE ? value : value.substring(0, MAX_HEADER_VALUE)));
            }
            switch (lname) {
                case "from" -> from = cap(value);
                case "to" -> to = join(to, value);
                case "cc" -> cc = join(cc, value);
                case "bcc" -> bcc = join(bcc, value);
                case "subject" -> subject = cap(value);
                case "message-id" -> messageId = cap(value);
                case "date" -> date = parseDate(value);
                default -> { }
            }
        }

        @Override
        public void body(BodyDescriptor bd, InputStream is) throws IOException {
            if (depth > maxDepth || ++parts > maxParts) return;
            String name = null;
            String disposition = null;
            if (bd instanceof MaximalBodyDescriptor m) {
                name = m.getContentDispositionFilename();
                disposition = m.getContentDispositionType();
                if (name == null && m.getContentTypeParameters() != null) name = m.getContentTypeParameters().get("name");
            }
            if (name != null && !name.isBlank()) {
                attachments.add(decodeWords(name));
            }
            String mime = bd.getMimeType() == null ? "text/plain" : bd.getMimeType().toLowerCase(Locale.ROOT);
            boolean attachment = "attachment".equalsIgnoreCase(disposition);
            if (attachment || !(mime.equals("text/plain") || mime.equals("text/html") || mime.equals("text/enriched"))) return;
            int room = maxText - body.length();
            if (room <= 0) return;
            String text = read(is, charset(bd.getCharset()), room);
            if (mime.equals("text/html")) text = htmlToText(text);
            if (body.length() > 0) body.append('\n');
            body.append(text, 0, Math.min(text.length(), Math.max(0, maxText - body.length())));
        }
    }

    private static String cap(String value) {
        return value.length() <= MAX_ADDRESS_VALUE ? value : value.substring(0, MAX_ADDRESS_VALUE);
    }

    /** Repeated fields (To: twice) are joined; capped, so 10,000 To: fields cost linear time, not quadratic. */
    private static String join(String sofar, String value) {
        if (sofar.length() >= MAX_ADDRESS_VALUE) return sofar;
        return cap(sofar.isEmpty() ? value : sofar + ", " + value);
    }

    /**
     * Messages saved from mbox files start with a {@code From sender date} line; it is no header field, and a parser
     * that stops at the first malformed header would see no headers at all. Skipped for indexing only.
     */
    static InputStream skipMboxFromLine(InputStream raw) throws IOException {
        java.io.BufferedInputStream in = new java.io.BufferedInputStream(raw, 8192);
        in.mark(8192);
        byte[] head = in.readNBytes(5);
        if (head.length == 5 && new String(head, java.nio.charset.StandardCharsets.ISO_8859_1).equals("From ")) {
            int c, n = 5;
            while ((c = in.read()) != -1 && c != '\n' && ++n < 8000) { }
            if (c == '\n') return in;
        }
        in.reset();
        return in;
    }

    private static String read(InputStream is, Charset cs, int maxChars) throws IOException {
        Reader r = new InputStreamReader(is, cs.newDecoder()
                .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE));
        StringBuilder sb = new StringBuilder();
        char[] buf = new char[8192];
        int n;
        // HTML is reduced afterwards, so read a bit more than the cap allows
        long limit = Math.min(Integer.MAX_VALUE - 16, (long) maxChars * 4);
        while (sb.length() < limit && (n = r.read(buf)) > 0) sb.append(buf, 0, n);
        return sb.toString();
    }

    static Charset charset(String name) {
        if (name == null || name.isBlank()) return StandardCharsets.ISO_8859_1;
        try {
            String n = name.trim();
            if (n.equalsIgnoreCase("us-ascii") || n.equalsIgnoreCase("ascii")) return Charset.forName("windows-1252");
            return Charset.forName(n);
        } catch (RuntimeException e) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            if (n.contains("utf-8") || n.contains("utf8")) return StandardCharsets.UTF_8;
            if (n.equals("ks_c_5601-1987")) {
                try { return Charset.forName("x-windows-949"); } catch (RuntimeException ignored) { }
            }
            return Charset.forName("windows-1252");
        }
    }

    /** The unfolded, RFC 2047-decoded value of a header field; raw 8-bit bytes are read as UTF-8, else Latin-1. */
    static String headerValue(Field field) {
        ByteSequence raw = field.getRaw();
        String text;
        if (raw != null) {
            text = bytesToString(raw.toByteArray());
            int colon = text.indexOf(':');
            if (colon >= 0) text = text.substring(colon + 1);
        } else {
            text = field.getBody();
        }
        return decodeWords(MimeUtil.unfold(text).trim());
    }

    static String decodeWords(String s) {
        try {
            return DecoderUtil.decodeEncodedWords(s, DecodeMonitor.SILENT);
        } catch (RuntimeException e) {
            return s;
        }
    }

    private static String bytesToString(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            return new String(b, StandardCharsets.ISO_8859_1);
        }
    }

    private static Instant parseDate(String value) {
        if (value.length() > MAX_DATE) return null;   // and the regular expressions below never see a long input
        String v = value.replaceAll("\\s*\\([^)]*\\)\\s*$", "").replaceAll("\\s+", " ").trim();
        try {
            return ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * The text of an HTML document, in one pass: tags become a space, comments and the content of
     * {@code <script>} and {@code <style>} are dropped, character references are decoded. A tag or comment that is
     * never closed runs to the end of the input (as in a browser). Linear in the input: no backtracking.
     */
    static String htmlToText(String html) {
        StringBuilder out = new StringBuilder(Math.min(html.length(), 1 << 20));
        int n = html.length();
        int i = 0;
        while (i < n) {
            char c = html.charAt(i);
            if (c == '<') {
                if (html.startsWith("<!--", i)) {
                    int close = html.indexOf("-->", i + 4);
                    out.append(' ');
                    i = close < 0 ? n : close + 3;
                    continue;
                }
                int close = tagEnd(html, i + 1);
                String raw = rawTextElement(html, i + 1);
                out.append(' ');
                i = close < 0 ? n : close + 1;
                if (raw != null && i < n) {
                    // script/style: everything up to the matching end tag is not text
                    int endTag = indexOfIgnoreCase(html, "</" + raw, i);
                    if (endTag < 0) {
                        i = n;
                    } else {
                        int after = tagEnd(html, endTag + 2);
                        out.append(' ');
                        i = after < 0 ? n : after + 1;
                    }
                }
                continue;
            }
            if (c == '&') {
                int semi = -1;
                for (int k = i + 1; k < n && k <= i + 12; k++) {
                    char d = html.charAt(k);
                    if (d == ';') { semi = k; break; }
                    if (!(Character.isLetterOrDigit(d) || d == '#')) break;
                }
                if (semi > i + 1 && validReference(html.substring(i + 1, semi))) {
                    out.append(entity(html.substring(i + 1, semi)));
                    i = semi + 1;
                    continue;
                }
            }
            out.append(c);
            i++;
        }
        return out.toString();
    }

    /** The index of the {@code >} that ends a tag whose name starts at {@code from}, skipping quoted attribute values. */
    private static int tagEnd(String s, int from) {
        char quote = 0;
        for (int k = from; k < s.length(); k++) {
            char c = s.charAt(k);
            if (quote != 0) {
                if (c == quote) quote = 0;
            } else if (c == '"' || c == '\'') {
                quote = c;
            } else if (c == '>') {
                return k;
            }
        }
        return -1;
    }

    /** "script" or "style" when the tag starting at {@code from} opens one of them, else null. */
    private static String rawTextElement(String s, int from) {
        for (String name : new String[] {"script", "style"}) {
            int end = from + name.length();
            if (s.regionMatches(true, from, name, 0, name.length())
                    && (end == s.length() || !Character.isLetterOrDigit(s.charAt(end)))) return name;
        }
        return null;
    }

    private static int indexOfIgnoreCase(String s, String needle, int from) {
        for (int k = from; k + needle.length() <= s.length(); k++) {
            if (s.regionMatches(true, k, needle, 0, needle.length())) return k;
        }
        return -1;
    }

    private static boolean validReference(String e) {
        if (e.startsWith("#x") || e.startsWith("#X")) return e.length() > 2 && e.substring(2).chars().allMatch(ch -> Character.digit(ch, 16) >= 0);
        if (e.startsWith("#")) return e.length() > 1 && e.substring(1).chars().allMatch(Character::isDigit);
        return e.chars().allMatch(ch -> (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'));
    }

    private static String entity(String e) {
        try {
            if (e.startsWith("#x") || e.startsWith("#X")) return new String(Character.toChars(Integer.parseInt(e.substring(2), 16)));
            if (e.startsWith("#")) return new String(Character.toChars(Integer.parseInt(e.substring(1))));
        } catch (RuntimeException ex) {
            return " ";
        }
        return switch (e.toLowerCase(Locale.ROOT)) {
            case "amp" -> "&";
            case "lt" -> "<";
            case "gt" -> ">";
            case "quot" -> "\"";
            case "apos" -> "'";
            case "nbsp" -> " ";
            default -> " ";
        };
    }
}

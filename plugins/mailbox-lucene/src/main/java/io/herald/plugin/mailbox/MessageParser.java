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
import java.util.regex.Pattern;

/**
 * Reads headers, text and attachment names from a message with Mime4j, leniently: whatever fails to parse is
 * skipped and the rest is kept. The text kept is capped ({@code maxText} characters) and parts deeper than
 * {@code maxDepth} levels of nesting are not read.
 */
final class MessageParser {

    private static final Pattern SCRIPT_STYLE = Pattern.compile("(?is)<(script|style)\\b.*?</\\1\\s*>");
    private static final Pattern TAG = Pattern.compile("(?s)<[^>]*>");
    private static final Pattern COMMENT = Pattern.compile("(?s)<!--.*?-->");
    private static final Pattern ENTITY = Pattern.compile("&(#\\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);");

    /** Header fields kept per message for HEADER searches, and characters per value. */
    static final int MAX_HEADERS = 100, MAX_HEADER_VALUE = 2000;

    private final int maxText;
    private final int maxDepth;

    MessageParser(int maxText, int maxDepth) {
        this.maxText = maxText;
        this.maxDepth = maxDepth;
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

        @Override public void startMessage() { messageDepth++; }
        @Override public void endMessage() { messageDepth--; }
        @Override public void startMultipart(BodyDescriptor bd) { depth++; }
        @Override public void endMultipart() { depth--; }

        @Override
        public void field(Field field) {
            if (messageDepth != 1) return;
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
                case "from" -> from = value;
                case "to" -> to = to.isEmpty() ? value : to + ", " + value;
                case "cc" -> cc = cc.isEmpty() ? value : cc + ", " + value;
                case "bcc" -> bcc = bcc.isEmpty() ? value : bcc + ", " + value;
                case "subject" -> subject = value;
                case "message-id" -> messageId = value;
                case "date" -> date = parseDate(value);
                default -> { }
            }
        }

        @Override
        public void body(BodyDescriptor bd, InputStream is) throws IOException {
            if (depth > maxDepth) return;
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
        String v = value.replaceAll("\\s*\\([^)]*\\)\\s*$", "").replaceAll("\\s+", " ").trim();
        try {
            return ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String htmlToText(String html) {
        String s = COMMENT.matcher(html).replaceAll(" ");
        s = SCRIPT_STYLE.matcher(s).replaceAll(" ");
        s = TAG.matcher(s).replaceAll(" ");
        return ENTITY.matcher(s).replaceAll(m -> java.util.regex.Matcher.quoteReplacement(entity(m.group(1))));
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

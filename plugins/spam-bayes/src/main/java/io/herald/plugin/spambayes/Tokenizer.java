package io.herald.plugin.spambayes;

import org.apache.james.mime4j.MimeException;
import org.apache.james.mime4j.codec.DecodeMonitor;
import org.apache.james.mime4j.codec.DecoderUtil;
import org.apache.james.mime4j.parser.AbstractContentHandler;
import org.apache.james.mime4j.parser.MimeStreamParser;
import org.apache.james.mime4j.stream.BodyDescriptor;
import org.apache.james.mime4j.stream.Field;
import org.apache.james.mime4j.stream.MimeConfig;
import org.apache.james.mime4j.util.CharsetUtil;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a message into the set of features the classifier counts (each feature once per message).
 *
 * <ul>
 *   <li>Header fields, decoded (RFC 2047): words of {@code Subject} ({@code subject:word}); addresses and domains of
 *       {@code From}, {@code Reply-To}, {@code To}/{@code Cc} domains; host names and IP prefixes in {@code Received}
 *       ({@code received:...}); {@code Message-ID} domain; mailer; content type and charset of the message.
 *       Other fields (mailbox artefacts such as {@code X-Status}, or other filters' verdicts such as
 *       {@code X-Spam-*}) are not read: the filter must not learn who collected the mail.</li>
 *   <li>Bodies, MIME-aware: every text part decoded (quoted-printable, base64) with its charset; HTML has its tags,
 *       comments and declarations ({@code <!DOCTYPE …>}) removed; the name of each tag that not every HTML part has is
 *       kept as a feature ({@code html:form}; not the {@link #COMMON_TAGS}), as are a few telling attributes
 *       ({@code html:font:color}, hidden or 1-pixel elements) and the declaration's name ({@code html:!doctype}).</li>
 *   <li>URLs and e-mail addresses in bodies become their host and its parent domains ({@code url:example.com}).</li>
 *   <li>Words: lower-cased, 3 to 12 characters; a longer one becomes {@code skip:<first char> <length/10>}.
 *       Non-text parts contribute their type ({@code part:image/gif}).</li>
 *   <li>Word pairs of body text, {@code bi:click here}: the first {@link #MAX_PAIRS} adjacent pairs of each text
 *       part, none with a {@code skip:} token.</li>
 * </ul>
 * At most {@link #MAX_TEXT} characters of text are read per part; at most {@link #MAX_TOKENS} features per message.
 */
public final class Tokenizer {

    static final int MAX_TEXT = 100_000;
    static final int MAX_TOKENS = 5_000;
    static final int MAX_PAIRS = 1_000;

    private static final Pattern URL = Pattern.compile("(?i)\\b(https?|ftp)://([a-z0-9.-]+)(?::\\d+)?([^\\s\"'<>]*)");
    private static final Pattern EMAIL = Pattern.compile("(?i)[a-z0-9._%+-]+@([a-z0-9-]+(?:\\.[a-z0-9-]+)+)");
    private static final Pattern TAG = Pattern.compile("(?s)<\\s*(/?)([a-zA-Z][a-zA-Z0-9]*)([^>]*)>");
    private static final Pattern DECLARATION = Pattern.compile("<!(?:([a-zA-Z]+)|\\[)[^>]*>");
    /**
     * Tags nearly every HTML part has: as features they only repeat {@code part:text/html} some twenty times, which
     * pushed every HTML newsletter towards spam (docs/spam-filtering.md); rarer tags ({@code form}, {@code map},
     * {@code embed}, …) and the attribute features ({@code html:font:color}) stay.
     */
    static final Set<String> COMMON_TAGS = Set.of("html", "head", "title", "meta", "body", "p", "br", "div", "span",
            "table", "tbody", "tr", "td", "th", "a", "b", "i", "u", "strong", "font", "center", "hr", "img", "ul", "li");
    private static final Pattern COMMENT = Pattern.compile("(?s)<!--.*?-->");
    private static final Pattern STYLE_SCRIPT = Pattern.compile("(?is)<(style|script)[^>]*>.*?</\\1\\s*>");
    private static final Pattern ENTITY = Pattern.compile("&(#\\d{1,6}|#x[0-9a-fA-F]{1,5}|[a-zA-Z]{2,8});");
    private static final Pattern IP = Pattern.compile("\\[?(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\]?");
    private static final Pattern HOSTNAME = Pattern.compile("(?i)\\b((?:[a-z0-9-]+\\.)+[a-z]{2,})\\b");
    private static final Pattern WORD_SPLIT = Pattern.compile("[\\s\\p{Z}]+");

    /** The features of one message. */
    public Set<String> tokenize(InputStream message) throws IOException {
        Set<String> out = new LinkedHashSet<>();
        MimeConfig config = new MimeConfig.Builder().setMaxLineLen(-1).setMaxHeaderLen(-1).setMaxHeaderCount(-1)
                .setMaxContentLen(-1).setMaxNestingDepth(20).setMaxPartCount(200).build();
        MimeStreamParser parser = new MimeStreamParser(config, DecodeMonitor.SILENT, null);
        parser.setContentDecoding(true);
        parser.setContentHandler(new Handler(out));
        try {
            parser.parse(message);
        } catch (MimeException e) {
            out.add("mime:error"); // what was read until the error stays
        } catch (IllegalArgumentException | IllegalStateException e) {
            out.add("mime:error");
        }
        return out;
    }

    private final class Handler extends AbstractContentHandler {
        private final Set<String> out;
        private int depth;

        Handler(Set<String> out) { this.out = out; }

        @Override
        public void startHeader() { depth++; }

        @Override
        public void field(Field field) {
            if (depth != 1) return; // only the message's own header, not those of parts
            String name = field.getName().toLowerCase(Locale.ROOT);
            String raw = field.getBody() == null ? "" : field.getBody();
            switch (name) {
                case "subject" -> {
                    String v = decode(raw);
                    for (String w : words(v)) add(out, "subject:" + w);
                    if (!v.isEmpty() && v.equals(v.toUpperCase(Locale.ROOT)) && v.chars().anyMatch(Character::isLetter)) add(out, "subject:ALLCAPS");
                    if (v.contains("!")) add(out, "subject:!");
                    if (v.contains("$")) add(out, "subject:$");
                }
                case "from", "reply-to", "sender" -> addresses(name, decode(raw));
                case "to", "cc" -> {
                    Matcher m = EMAIL.matcher(raw);
                    int n = 0;
                    while (m.find()) { n++; add(out, name + ":domain:" + m.group(1).toLowerCase(Locale.ROOT)); }
                    add(out, name + ":count:" + Math.min(n, 5));
                    if (raw.toLowerCase(Locale.ROOT).contains("undisclosed")) add(out, name + ":undisclosed");
                }
                case "received" -> received(raw);
                case "message-id" -> {
                    int at = raw.lastIndexOf('@');
                    if (at >= 0) add(out, "mid:" + raw.substring(at + 1).replace(">", "").trim().toLowerCase(Locale.ROOT));
                    else add(out, "mid:none");
                }
                case "x-mailer", "user-agent" -> add(out, "mailer:" + clip(decode(raw).toLowerCase(Locale.ROOT), 30));
                case "content-type" -> {
                    String ct = raw.toLowerCase(Locale.ROOT);
                    int semi = ct.indexOf(';');
                    add(out, "ctype:" + (semi < 0 ? ct : ct.substring(0, semi)).trim());
                    Matcher cs = Pattern.compile("charset\\s*=\\s*\"?([a-z0-9_.:-]+)").matcher(ct);
                    if (cs.find()) add(out, "charset:" + cs.group(1));
                }
                case "x-priority", "x-msmail-priority", "importance" -> add(out, "priority:" + clip(raw.toLowerCase(Locale.ROOT), 10));
                case "list-id", "list-unsubscribe", "precedence", "in-reply-to", "references" -> add(out, "has:" + name);
                default -> { }
            }
        }

        @Override
        public void body(BodyDescriptor bd, InputStream is) throws IOException {
            String mime = bd.getMimeType() == null ? "text/plain" : bd.getMimeType().toLowerCase(Locale.ROOT);
            if (!mime.startsWith("text/")) {
                add(out, "part:" + mime);
                return;
            }
            Charset cs = charset(bd.getCharset());
            byte[] bytes = is.readNBytes(MAX_TEXT * 2);
            String text = new String(bytes, cs);
            if (text.length() > MAX_TEXT) text = text.substring(0, MAX_TEXT);
            if (!cs.equals(StandardCharsets.US_ASCII) && !cs.equals(StandardCharsets.UTF_8)) add(out, "charset:" + cs.name().toLowerCase(Locale.ROOT));
            if (mime.equals("text/html") || looksLikeHtml(text)) {
                add(out, "part:text/html");
                text = html(text);
            }
            bodyText(text);
        }

        private void bodyText(String text) {
            Matcher u = URL.matcher(text);
            while (u.find()) {
                add(out, "proto:" + u.group(1).toLowerCase(Locale.ROOT));
                host("url", u.group(2));
                String path = u.group(3);
                if (path.contains("%")) add(out, "url:escaped");
                if (path.contains("@")) add(out, "url:at");
                if (IP.matcher(u.group(2)).matches()) add(out, "url:ip");
            }
            Matcher e = EMAIL.matcher(text);
            while (e.find()) host("email", e.group(1));
            List<String> words = words(text);
            for (String w : words) add(out, w);
            // word pairs ("click here", "free money"): context single words lack; summarised long tokens are left out
            for (int i = 1; i < words.size() && i <= MAX_PAIRS; i++) {
                String a = words.get(i - 1), b = words.get(i);
                if (!a.startsWith("skip:") && !b.startsWith("skip:")) add(out, "bi:" + a + " " + b);
            }
        }

        private String html(String html) {
            String s = COMMENT.matcher(html).replaceAll(" ");
            // <!DOCTYPE …> and Word's <![if …]>: markup, not words ("//w3c//dtd" was a spam clue of every HTML part)
            s = DECLARATION.matcher(s).replaceAll(m -> {
                if (m.group(1) != null) add(out, "html:!" + m.group(1).toLowerCase(Locale.ROOT));
                return " ";
            });
            s = STYLE_SCRIPT.matcher(s).replaceAll(m -> { add(out, "html:" + m.group(1).toLowerCase(Locale.ROOT)); return " "; });
            Matcher t = TAG.matcher(s);
            StringBuilder b = new StringBuilder(s.length());
            while (t.find()) {
                String tag = t.group(2).toLowerCase(Locale.ROOT);
                if (!COMMON_TAGS.contains(tag)) add(out, "html:" + tag);
                String attrs = t.group(3).toLowerCase(Locale.ROOT);
                // the attributes a layout trick needs, as features; an href's URL is kept as text for the URL pass
                if (attrs.contains("color")) add(out, "html:" + tag + ":color");
                if (attrs.contains("size")) add(out, "html:" + tag + ":size");
                if (attrs.contains("width=\"1\"") || attrs.contains("height=\"1\"") || attrs.contains("width=1 ")) add(out, "html:tiny");
                if (attrs.contains("display:none") || attrs.contains("visibility:hidden")) add(out, "html:hidden");
                Matcher u = URL.matcher(attrs);
                String replacement = " ";
                if (u.find()) replacement = " " + u.group() + " ";
                t.appendReplacement(b, Matcher.quoteReplacement(replacement));
            }
            t.appendTail(b);
            return ENTITY.matcher(b).replaceAll(m -> Matcher.quoteReplacement(entity(m.group(1))));
        }

        private void received(String raw) {
            String v = raw.toLowerCase(Locale.ROOT);
            int semi = v.lastIndexOf(';');
            if (semi >= 0) v = v.substring(0, semi); // the date says nothing
            Matcher ip = IP.matcher(v);
            while (ip.find()) {
                add(out, "received:ip:" + ip.group(1) + "." + ip.group(2));
                add(out, "received:ip:" + ip.group(1) + "." + ip.group(2) + "." + ip.group(3));
            }
            Matcher h = HOSTNAME.matcher(v);
            while (h.find()) host("received", h.group(1));
            if (v.contains("unknown")) add(out, "received:unknown");
        }

        private void addresses(String field, String value) {
            Matcher m = EMAIL.matcher(value);
            boolean any = false;
            while (m.find()) {
                any = true;
                add(out, field + ":addr:" + m.group().toLowerCase(Locale.ROOT));
                host(field, m.group(1));
            }
            if (!any) add(out, field + ":none");
            int lt = value.indexOf('<');
            if (lt > 0) for (String w : words(value.substring(0, lt))) add(out, field + ":name:" + w);
        }

        /** {@code prefix:a.b.example.com}, {@code prefix:b.example.com}, {@code prefix:example.com}. */
        private void host(String prefix, String host) {
            String h = host.toLowerCase(Locale.ROOT);
            if (h.endsWith(".")) h = h.substring(0, h.length() - 1);
            String[] parts = h.split("\\.");
            for (int i = 0; i < parts.length - 1 && i < 4; i++) {
                add(out, prefix + ":" + String.join(".", java.util.Arrays.copyOfRange(parts, i, parts.length)));
            }
        }
    }

    /** Lower-cased words of 3 to 12 characters with punctuation trimmed; longer ones as {@code skip:} features. */
    static java.util.List<String> words(String text) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String w : WORD_SPLIT.split(text)) {
            String t = trimPunct(w);
            if (t.isEmpty()) continue;
            int len = t.codePointCount(0, t.length());
            if (len > 12) {
                if (t.contains("://") || t.contains("@")) continue; // URLs and addresses were taken apart already
                out.add("skip:" + Character.toLowerCase(t.charAt(0)) + " " + (len / 10) * 10);
            } else if (len >= 3) {
                out.add(t.toLowerCase(Locale.ROOT));
            }
        }
        return out;
    }

    private static String trimPunct(String w) {
        int s = 0, e = w.length();
        while (s < e && isTrim(w.charAt(s))) s++;
        while (e > s && isTrim(w.charAt(e - 1))) e--;
        return w.substring(s, e);
    }

    private static boolean isTrim(char c) {
        return "\"'()[]{}<>,.;:?*`|=-_~".indexOf(c) >= 0;
    }

    private static void add(Set<String> out, String token) {
        if (out.size() < MAX_TOKENS) out.add(token);
    }

    private static String decode(String raw) {
        try {
            return DecoderUtil.decodeEncodedWords(raw, DecodeMonitor.SILENT);
        } catch (RuntimeException e) {
            return raw;
        }
    }

    private static Charset charset(String name) {
        if (name == null) return StandardCharsets.ISO_8859_1;
        Charset cs = CharsetUtil.lookup(name);
        return cs != null ? cs : StandardCharsets.ISO_8859_1; // unknown labels: read bytes as Latin-1, never fail
    }

    private static boolean looksLikeHtml(String text) {
        int n = Math.min(text.length(), 2000);
        String head = text.substring(0, n).toLowerCase(Locale.ROOT);
        return head.contains("<html") || head.contains("<body") || head.contains("<table") || head.contains("<font");
    }

    private static String clip(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    private static String entity(String e) {
        try {
            if (e.startsWith("#x")) return new String(Character.toChars(Integer.parseInt(e.substring(2), 16)));
            if (e.startsWith("#")) return new String(Character.toChars(Integer.parseInt(e.substring(1))));
        } catch (IllegalArgumentException ex) {
            return " ";
        }
        return switch (e.toLowerCase(Locale.ROOT)) {
            case "nbsp" -> " ";
            case "amp" -> "&";
            case "lt" -> "<";
            case "gt" -> ">";
            case "quot" -> "\"";
            default -> " ";
        };
    }
}

package io.herald.plugin.spamassassin;

import io.herald.api.mail.MessageContent;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A client of SpamAssassin's {@code spamd}, protocol {@code SPAMC/1.5} (SpamAssassin's {@code spamd/PROTOCOL}).
 *
 * <p>One connection per message: the request line ({@code REPORT SPAMC/1.5} or {@code SYMBOLS SPAMC/1.5}),
 * {@code Content-length:} (required by spamd for every command that carries a message), an optional
 * {@code User:}, an empty line and the message bytes. spamd answers {@code SPAMD/1.1 0 EX_OK}, the header
 * {@code Spam: True ; 7.5 / 5.0} (verdict ; score / threshold), an empty line and a body: for {@code SYMBOLS} the
 * comma-separated names of the rules that hit, for {@code REPORT} the human-readable report whose table
 * ({@code pts rule name description}) gives each rule's points.
 *
 * <p>Thread-safe (no shared state beyond configuration). Every failure — refused connection, time-out, a status
 * other than {@code EX_OK}, a reply that does not parse — is an {@link IOException} with the reason.
 */
public final class SpamdClient {

    /** The commands of SPAMC/1.5 that return a verdict and rules. */
    public enum Command { REPORT, SYMBOLS }

    /** spamd's success status (sysexits.h EX_OK). */
    static final int EX_OK = 0;

    /** {@code SPAMD/1.1 0 EX_OK}: protocol version, status code, status text. */
    private static final Pattern STATUS = Pattern.compile("SPAMD/(\\d+\\.\\d+)\\s+(\\d+)\\s*(.*)");
    /** {@code Spam: True ; 7.5 / 5.0} (spamd writes True/False; Yes/No is accepted as spamc does). */
    private static final Pattern SPAM = Pattern.compile("(?i)(true|false|yes|no)\\s*;\\s*(-?\\d+(?:\\.\\d+)?)\\s*/\\s*(-?\\d+(?:\\.\\d+)?)");
    /** A row of the report table: {@code " 3.5 BAYES_99   Bayes spam probability is 99 to 100%"}. */
    private static final Pattern ROW = Pattern.compile("\\s{0,3}(-?\\d+(?:\\.\\d+)?)\\s+([A-Za-z0-9_]+)\\s*(.*)");

    /** The longest reply body read (a report is a few KB); more is an error. */
    static final int MAX_REPLY = 1 << 20;

    private final String host;
    private final int port;
    private final Duration timeout;
    private final Optional<String> user;

    /** @param host spamd's host name or address, resolved at each connection (so a moved spamd is followed) */
    public SpamdClient(String host, int port, Duration timeout, Optional<String> user) {
        this.host = host;
        this.port = port;
        this.timeout = timeout;
        this.user = user;
        user.ifPresent(u -> {
            if (u.chars().anyMatch(c -> c <= ' ' || c >= 127)) throw new IllegalArgumentException("not a spamd user name: " + u);
        });
    }

    /** One rule that hit; {@code points} is NaN when the command was {@code SYMBOLS} (which gives names only). */
    public record Rule(String name, double points, String description) { }

    /** spamd's verdict. */
    public record Result(boolean spam, double score, double threshold, List<Rule> rules) { }

    /** Checks one message (streamed: it is never held in memory whole). */
    public Result check(Command command, MessageContent message) throws IOException {
        long length = message.size();
        try (Socket s = new Socket()) {
            int ms = (int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis()));
            s.connect(new InetSocketAddress(host, port), ms);
            s.setSoTimeout(ms);
            OutputStream out = new BufferedOutputStream(s.getOutputStream(), 1 << 16);
            StringBuilder head = new StringBuilder()
                    .append(command.name()).append(" SPAMC/1.5\r\n")
                    .append("Content-length: ").append(length).append("\r\n");
            user.ifPresent(u -> head.append("User: ").append(u).append("\r\n"));
            head.append("\r\n");
            out.write(head.toString().getBytes(StandardCharsets.US_ASCII));
            long sent;
            try (InputStream in = message.open()) {
                sent = in.transferTo(out);
            }
            if (sent != length) throw new IOException("message changed while it was sent: size " + length + ", read " + sent);
            out.flush();
            s.shutdownOutput(); // as spamc does: spamd may read to the end
            return parse(command, new BufferedInputStream(s.getInputStream()));
        }
    }

    /** Sends {@code PING SPAMC/1.5}; true when spamd answers {@code PONG}. */
    public boolean ping() {
        try (Socket s = new Socket()) {
            int ms = (int) Math.max(1, timeout.toMillis());
            s.connect(new InetSocketAddress(host, port), ms);
            s.setSoTimeout(ms);
            s.getOutputStream().write("PING SPAMC/1.5\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String line = readLine(new BufferedInputStream(s.getInputStream()));
            return line != null && line.startsWith("SPAMD/") && line.endsWith("PONG");
        } catch (IOException e) {
            return false;
        }
    }

    /** Parses spamd's reply to {@code command}. */
    static Result parse(Command command, InputStream in) throws IOException {
        String statusLine = readLine(in);
        if (statusLine == null) throw new IOException("spamd closed the connection without a reply");
        Matcher st = STATUS.matcher(statusLine);
        if (!st.matches()) throw new IOException("not a spamd status line: " + printable(statusLine));
        int code = Integer.parseInt(st.group(2));
        if (code != EX_OK) throw new IOException("spamd refused the check: " + code + " " + printable(st.group(3)));

        Boolean spam = null;
        double score = 0, threshold = 0;
        long contentLength = -1;
        String line;
        while ((line = readLine(in)) != null && !line.isEmpty()) {
            int colon = line.indexOf(':');
            if (colon <= 0) throw new IOException("not a spamd header line: " + printable(line));
            String name = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (name) {
                case "spam" -> {
                    Matcher m = SPAM.matcher(value);
                    if (!m.matches()) throw new IOException("not a spamd Spam header: " + printable(value));
                    String v = m.group(1).toLowerCase(Locale.ROOT);
                    spam = v.equals("true") || v.equals("yes");
                    score = Double.parseDouble(m.group(2));
                    threshold = Double.parseDouble(m.group(3));
                }
                case "content-length" -> {
                    try {
                        contentLength = Long.parseLong(value);
                    } catch (NumberFormatException e) {
                        throw new IOException("not a Content-length: " + printable(value));
                    }
                    if (contentLength < 0 || contentLength > MAX_REPLY) throw new IOException("spamd reply body too large: " + contentLength);
                }
                default -> { } // other headers (e.g. DidSet, DidRemove from TELL) are not needed here
            }
        }
        if (spam == null) throw new IOException("spamd reply without a Spam header");
        byte[] body = contentLength >= 0 ? in.readNBytes((int) contentLength) : readAtMost(in, MAX_REPLY);
        if (contentLength >= 0 && body.length != contentLength)
            throw new IOException("spamd reply body cut short: " + body.length + " of " + contentLength + " bytes");
        String text = new String(body, StandardCharsets.UTF_8);
        List<Rule> rules = command == Command.SYMBOLS ? symbols(text) : report(text);
        return new Result(spam, score, threshold, rules);
    }

    /** {@code SYMBOLS}: {@code RULE_A,RULE_B,...} (possibly followed by a line end). */
    static List<Rule> symbols(String body) {
        List<Rule> out = new ArrayList<>();
        for (String s : body.strip().split(",")) {
            String n = s.strip();
            if (!n.isEmpty()) out.add(new Rule(n, Double.NaN, ""));
        }
        return out;
    }

    /**
     * {@code REPORT}: the rows of the table after the {@code ---- -----} rule line; a row's description may go on
     * on the following, more deeply indented lines.
     */
    static List<Rule> report(String body) {
        List<Rule> out = new ArrayList<>();
        boolean inTable = false;
        String name = null;
        double pts = 0;
        StringBuilder desc = new StringBuilder();
        for (String line : body.split("\r?\n", -1)) {
            if (!inTable) {
                if (line.startsWith("----")) inTable = true;
                continue;
            }
            if (line.isBlank()) break;
            Matcher m = ROW.matcher(line);
            if (m.matches() && !line.startsWith("    ")) {
                if (name != null) out.add(new Rule(name, pts, desc.toString().strip()));
                pts = Double.parseDouble(m.group(1));
                name = m.group(2);
                desc.setLength(0);
                desc.append(m.group(3));
            } else if (name != null) {
                desc.append(' ').append(line.strip());
            }
        }
        if (name != null) out.add(new Rule(name, pts, desc.toString().strip()));
        return out;
    }

    private static byte[] readAtMost(InputStream in, int max) throws IOException {
        byte[] b = in.readNBytes(max + 1);
        if (b.length > max) throw new IOException("spamd reply body too large");
        return b;
    }

    /** A header line without CRLF; null at the end of the stream. Lines longer than 8 KB are an error. */
    static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(64);
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (b.size() > 8192) throw new IOException("spamd header line too long");
            b.write(c);
        }
        if (c == -1 && b.size() == 0) return null;
        String s = b.toString(StandardCharsets.ISO_8859_1);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
    }

    private static String printable(String s) {
        String t = s.length() > 200 ? s.substring(0, 200) + "..." : s;
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}

package io.herald.smtp;

import io.herald.api.mail.MailAddress;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Parses the argument of {@code MAIL FROM:} and {@code RCPT TO:} after the colon: a path and its ESMTP parameters,
 * following the grammar of RFC 5321 §4.1.2 (with RFC 6531's UTF-8 extension, checked by the caller):
 *
 * <pre>
 * Reverse-path = Path / "&lt;&gt;"          Forward-path = Path / "&lt;Postmaster&gt;" (§4.1.1.3)
 * Path         = "&lt;" [ A-d-l ":" ] Mailbox "&gt;"   ; the source route A-d-l is accepted and ignored (§4.1.1.3, §C)
 * Mailbox      = Local-part "@" ( Domain / address-literal )
 * Local-part   = Dot-string / Quoted-string
 * Mail-parameters = esmtp-param *(SP esmtp-param);  esmtp-param = esmtp-keyword ["=" esmtp-value]
 * </pre>
 *
 * Lengths are checked against §4.5.3.1: local part 64 octets, domain 255 octets, path 256 octets. One space
 * before the {@code <} is tolerated (many clients send {@code MAIL FROM: <a@b>}).
 *
 * <p>Each refusal names what is wrong at the place it was found (a control character, a space, a dot at the start of
 * the local part, a missing {@code @}), not what the grammar expected next: {@code <a\0b@example.com>} is "control
 * character U+0000 in the local part", never "address must have a domain".
 */
public final class PathParser {

    /** Which part of the argument is wrong; the SMTP core chooses the enhanced status code by it. */
    public enum Part { PATH, ADDRESS, PARAMETER }

    /** The argument does not follow the grammar. */
    public static final class SyntaxException extends Exception {
        private final Part part;

        SyntaxException(Part part, String message) {
            super(message, null, false, false);
            this.part = part;
        }

        public Part part() { return part; }
    }

    /**
     * A parsed argument.
     *
     * @param address    the mailbox; empty for the null reverse-path {@code <>} and for {@code <Postmaster>}
     * @param postmaster true for the domain-less {@code <Postmaster>} of RCPT TO (RFC 5321 §4.1.1.3)
     * @param parameters the ESMTP parameters, keys upper-case, in order; a parameter without value maps to ""
     * @param nonAscii   true when the path contains non-ASCII characters (needs SMTPUTF8, RFC 6531)
     */
    public record Parsed(Optional<MailAddress> address, boolean postmaster, Map<String, String> parameters, boolean nonAscii) { }

    private static final int MAX_LOCAL_PART = 64;
    private static final int MAX_DOMAIN = 255;
    private static final int MAX_PATH = 256;

    private final String s;
    private int i;

    private PathParser(String s) {
        this.s = s;
    }

    /** Parses a reverse-path ({@code <>} allowed) and its parameters. */
    public static Parsed reversePath(String argument) throws SyntaxException {
        return new PathParser(argument).parse(true);
    }

    /** Parses a forward-path ({@code <Postmaster>} allowed) and its parameters. */
    public static Parsed forwardPath(String argument) throws SyntaxException {
        return new PathParser(argument).parse(false);
    }

    private Parsed parse(boolean reverse) throws SyntaxException {
        if (i < s.length() && s.charAt(i) == ' ') i++;
        if (i < s.length() && isControl(s.charAt(i))) throw control(s.charAt(i), "path", Part.PATH);
        if (i >= s.length() || s.charAt(i) != '<') throw new SyntaxException(Part.PATH, "Path must be enclosed in <>");
        int start = i;
        Optional<MailAddress> address = Optional.empty();
        boolean postmaster = false;
        if (s.startsWith("<>", i)) {
            if (!reverse) throw new SyntaxException(Part.ADDRESS, "The null path <> is not a recipient");
            i += 2;
        } else if (!reverse && s.regionMatches(true, i, "<postmaster>", 0, 12)) {
            postmaster = true;
            i += 12;
        } else {
            i++;
            if (peek() == '@') sourceRoute();
            address = Optional.of(mailbox());
            if (peek() != '>') {
                if (isControl(peek()) && i < s.length()) throw control(peek(), "address");
                throw new SyntaxException(Part.ADDRESS, i < s.length() ? "Unexpected " + describe(peek()) + " after the domain" : "Path must end with >");
            }
            i++;
        }
        if (utf8Length(s.substring(start, i)) > MAX_PATH) throw new SyntaxException(Part.ADDRESS, "Path longer than " + MAX_PATH + " octets");
        boolean nonAscii = !s.substring(start, i).chars().allMatch(c -> c < 0x80);
        return new Parsed(address, postmaster, parameters(), nonAscii);
    }

    /** A-d-l = At-domain *( "," At-domain ) ":" -- accepted and ignored (RFC 5321 §4.1.1.3). */
    private void sourceRoute() throws SyntaxException {
        // <@example.com>: no ':' before the '>', so no source route but a mailbox without its local part
        int colon = s.indexOf(':', i);
        int close = s.indexOf('>', i);
        if (colon < 0 || close >= 0 && close < colon) throw new SyntaxException(Part.ADDRESS, "Empty local part");
        do {
            expect('@', Part.ADDRESS, "Bad source route");
            int start = i;
            while (i < s.length() && ",:>".indexOf(s.charAt(i)) < 0) i++;
            String domain = s.substring(start, i);
            checkControl(domain, "source route");
            if (!isDomain(domain) && !isAddressLiteral(domain)) throw new SyntaxException(Part.ADDRESS, "Bad domain in source route");
        } while (peek() == ',' && i++ >= 0);
        expect(':', Part.ADDRESS, "Bad source route");
    }

    private MailAddress mailbox() throws SyntaxException {
        boolean quoted = peek() == '"';
        String local = quoted ? quotedString() : dotString();
        if (local.isEmpty()) throw new SyntaxException(Part.ADDRESS, "Empty local part");
        // RFC 5321 §4.5.3.1.1; §4.5.3.1.9 allows 501 for a path over a limit, and RFC 3463 X.1.7/X.1.3 name it
        int octets = utf8Length(local);
        if (octets > MAX_LOCAL_PART) throw new SyntaxException(Part.ADDRESS, "Local part longer than " + MAX_LOCAL_PART + " octets (" + octets + ")");
        if (peek() != '@') {
            if (i >= s.length() || peek() == '>') throw new SyntaxException(Part.ADDRESS, "Address must have a domain (no @)");
            if (quoted) throw new SyntaxException(Part.ADDRESS, "Unexpected " + describe(peek()) + " after the quoted local part");
            throw new SyntaxException(Part.ADDRESS, "Unexpected " + describe(peek()) + " in the local part");
        }
        i++;
        int start = i;
        if (peek() == '[') {
            int close = s.indexOf(']', i);
            if (close < 0) {
                checkControl(s.substring(start), "address literal");
                throw new SyntaxException(Part.ADDRESS, "Unterminated address literal");
            }
            i = close + 1;
            checkControl(s.substring(start, i), "address literal");
            if (!isAddressLiteral(s.substring(start, i))) throw new SyntaxException(Part.ADDRESS, "Bad address literal");
        } else {
            while (i < s.length() && s.charAt(i) != '>') i++;
            String domain = s.substring(start, i);
            checkControl(domain, "domain");
            String problem = domainProblem(domain);
            if (problem != null) throw new SyntaxException(Part.ADDRESS, problem);
        }
        String domain = s.substring(start, i);
        if (utf8Length(domain) > MAX_DOMAIN) throw new SyntaxException(Part.ADDRESS, "Domain longer than " + MAX_DOMAIN + " octets");
        return new MailAddress(local, domain);
    }

    /** Dot-string = Atom *("." Atom). */
    private String dotString() throws SyntaxException {
        int start = i;
        while (i < s.length() && (MailAddress.isAtext(s.charAt(i)) && !isControl(s.charAt(i)) || s.charAt(i) == '.')) i++;
        String local = s.substring(start, i);
        if (i < s.length() && isControl(s.charAt(i))) throw control(s.charAt(i), "local part");
        if (local.startsWith(".")) throw new SyntaxException(Part.ADDRESS, "Local part starts with a dot (quote it)");
        if (local.endsWith(".")) throw new SyntaxException(Part.ADDRESS, "Local part ends with a dot (quote it)");
        if (local.contains("..")) throw new SyntaxException(Part.ADDRESS, "Two dots in a row in the local part (quote it)");
        if (i < s.length() && s.charAt(i) == '"') throw new SyntaxException(Part.ADDRESS, "Quote inside an unquoted local part");
        if (!local.isEmpty() && !MailAddress.isDotString(local)) throw new SyntaxException(Part.ADDRESS, "Bad local part");
        return local;
    }

    /** Quoted-string = DQUOTE *QcontentSMTP DQUOTE; returns the content without quotes and escapes. */
    private String quotedString() throws SyntaxException {
        StringBuilder b = new StringBuilder();
        i++;
        while (true) {
            if (i >= s.length()) throw new SyntaxException(Part.ADDRESS, "Unterminated quoted string");
            char c = s.charAt(i++);
            if (c == '"') return b.toString();
            if (c == '\\') {
                // quoted-pairSMTP = %d92 %d32-126
                if (i < s.length() && isControl(s.charAt(i))) throw control(s.charAt(i), "quoted local part");
                if (i >= s.length() || !(isPrintable(s.charAt(i)) || s.charAt(i) >= 0x80))
                    throw new SyntaxException(Part.ADDRESS, "Bad quoted pair");
                b.append(s.charAt(i++));
            } else if (isControl(c)) {
                throw control(c, "quoted local part");
            } else if (isPrintable(c) && c != '"' && c != '\\' || c >= 0x80) {
                b.append(c); // qtextSMTP = %d32-33 / %d35-91 / %d93-126, plus UTF-8 (RFC 6531)
            } else {
                throw new SyntaxException(Part.ADDRESS, "Bad character in quoted string");
            }
        }
    }

    /** Mail-parameters: SP-separated esmtp-keyword ["=" esmtp-value]. */
    private Map<String, String> parameters() throws SyntaxException {
        Map<String, String> params = new LinkedHashMap<>();
        if (i == s.length()) return params;
        if (isControl(s.charAt(i))) throw control(s.charAt(i), "text after the path", Part.PATH);
        if (s.charAt(i) != ' ') throw new SyntaxException(Part.PATH, "Unexpected text after path");
        for (String item : s.substring(i).split(" ")) {
            if (item.isEmpty()) continue;
            int eq = item.indexOf('=');
            String keyword = (eq < 0 ? item : item.substring(0, eq)).toUpperCase(Locale.ROOT);
            String value = eq < 0 ? "" : item.substring(eq + 1);
            checkControl(item, "parameter", Part.PARAMETER);
            if (!keyword.matches("[A-Z0-9][A-Z0-9-]*")) throw new SyntaxException(Part.PARAMETER, "Bad parameter keyword");
            // esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 (RFC 6531)
            if (eq >= 0 && (value.isEmpty() || !value.chars().allMatch(c -> c >= 33 && c <= 126 && c != '=' || c >= 0x80)))
                throw new SyntaxException(Part.PARAMETER, "Bad value of parameter " + keyword);
            if (params.putIfAbsent(keyword, value) != null) throw new SyntaxException(Part.PARAMETER, "Parameter " + keyword + " given twice");
        }
        return params;
    }

    /**
     * Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]. Non-ASCII letters and digits count as
     * letters (U-labels, RFC 6531), and so do combining marks after a label's first character: many scripts need
     * them (Devanagari vowel signs in {@code भारत}), and lower-casing can produce one ({@code İ} becomes
     * {@code i} + U+0307), so refusing them would refuse addresses this parser accepted a moment before.
     * Whether non-ASCII is allowed at all is the caller's decision.
     */
    public static boolean isDomain(String d) {
        return domainProblem(d) == null;
    }

    /** What makes {@code d} no Domain (see {@link #isDomain}), said for a reply; null when it is one. */
    static String domainProblem(String d) {
        if (d.isEmpty()) return "Empty domain after @";
        int octets = utf8Length(d);
        if (octets > MAX_DOMAIN) return "Domain longer than " + MAX_DOMAIN + " octets (" + octets + ")";
        for (String label : d.split("\\.", -1)) {
            if (label.isEmpty()) return "Empty label in the domain (a dot at its start or end, or two in a row)";
            if (label.length() > 63) return "Label of the domain longer than 63 characters";
            if (label.charAt(0) == '-' || label.charAt(label.length() - 1) == '-') return "Label of the domain starts or ends with a hyphen";
            for (int k = 0; k < label.length(); k++) {
                char c = label.charAt(k);
                boolean ok = c < 0x80 ? isAsciiLetDig(c) || c == '-' : Character.isLetterOrDigit(c) || k > 0 && isMark(c);
                if (!ok) return "Unexpected " + describe(c) + " in the domain";
            }
        }
        return null;
    }

    /**
     * address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]" (RFC 5321 §4.1.3). General address
     * literals ({@code [tag:content]}) are refused: no standardized tag other than {@code IPv6} is registered.
     */
    public static boolean isAddressLiteral(String lit) {
        if (lit.length() < 3 || lit.charAt(0) != '[' || lit.charAt(lit.length() - 1) != ']') return false;
        String body = lit.substring(1, lit.length() - 1);
        if (body.regionMatches(true, 0, "IPv6:", 0, 5)) return isIpv6(body.substring(5));
        return isIpv4(body);
    }

    /** IPv4-address-literal = Snum 3("." Snum); Snum = 1*3DIGIT representing 0-255. */
    static boolean isIpv4(String a) {
        String[] parts = a.split("\\.", -1);
        if (parts.length != 4) return false;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9') || Integer.parseInt(p) > 255) return false;
        }
        return true;
    }

    /** IPv6-addr (RFC 5321 §4.1.3: full, compressed, and with an embedded IPv4 address). */
    static boolean isIpv6(String a) {
        if (a.isEmpty() || a.length() > 45 || !a.contains(":")) return false;
        if (!a.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.')) return false;
        // InetAddress parses a literal only when the text starts with a hex digit or ':'; anything else (".:1") it
        // would look up in the DNS, from the I/O thread, on a client's say-so
        if (!(Character.digit(a.charAt(0), 16) >= 0 || a.charAt(0) == ':')) return false;
        try {
            // starting so and containing ':', it is parsed as an IPv6 literal, never looked up in the DNS
            return InetAddress.getByName(a) instanceof Inet6Address || a.contains(".");
        } catch (UnknownHostException e) {
            return false;
        }
    }

    private static boolean isMark(char c) {
        int t = Character.getType(c);
        return t == Character.NON_SPACING_MARK || t == Character.COMBINING_SPACING_MARK || t == Character.ENCLOSING_MARK;
    }

    private static boolean isAsciiLetDig(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    /**
     * C0 controls, DEL and the C1 controls. RFC 5321 §4.1.2 has no C0 control or DEL in atext, qtextSMTP or
     * quoted-pairSMTP. The C1 controls (U+0080-U+009F) are valid UTF-8 and so would pass RFC 6531's extension; they are
     * refused by choice: RFC 5198 §2 keeps them out of text that is interchanged, and no address needs one.
     */
    static boolean isControl(char c) {
        return c < 0x20 || c == 0x7f || c >= 0x80 && c <= 0x9f;
    }

    private static SyntaxException control(char c, String where) {
        return control(c, where, Part.ADDRESS);
    }

    private static SyntaxException control(char c, String where, Part part) {
        return new SyntaxException(part, String.format("Control character U+%04X in the %s", (int) c, where));
    }

    private static void checkControl(String text, String where) throws SyntaxException {
        checkControl(text, where, Part.ADDRESS);
    }

    private static void checkControl(String text, String where, Part part) throws SyntaxException {
        for (int k = 0; k < text.length(); k++) if (isControl(text.charAt(k))) throw control(text.charAt(k), where, part);
    }

    /** A character named for a reply: a space is easy to miss in a quoted 'x'. */
    private static String describe(char c) {
        return c == ' ' ? "space" : c < 0x80 ? "character '" + c + "'" : String.format("character U+%04X", (int) c);
    }

    private static boolean isPrintable(char c) {
        return c >= 32 && c <= 126;
    }

    static int utf8Length(String x) {
        return x.getBytes(StandardCharsets.UTF_8).length;
    }

    private char peek() {
        return i < s.length() ? s.charAt(i) : '\0';
    }

    private void expect(char c, Part part, String message) throws SyntaxException {
        if (peek() != c) throw new SyntaxException(part, message);
        i++;
    }
}

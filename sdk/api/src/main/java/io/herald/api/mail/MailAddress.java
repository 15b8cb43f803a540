package io.herald.api.mail;

import java.util.Locale;
import java.util.Objects;

/**
 * A mailbox address as it appears in an SMTP path (RFC 5321 §4.1.2): a local part and a domain.
 *
 * <p>The local part is kept as the sender wrote it, without the surrounding quotes of a
 * quoted-string (escapes already removed); {@link #toString()} quotes it again when needed. The
 * domain is kept lower-case (domains are case-insensitive); an address literal such as
 * {@code [192.0.2.1]} is kept as written.
 */
public record MailAddress(String localPart, String domain) {

    public MailAddress {
        Objects.requireNonNull(localPart, "localPart");
        Objects.requireNonNull(domain, "domain");
        if (localPart.isEmpty()) throw new IllegalArgumentException("empty local part");
        if (domain.isEmpty()) throw new IllegalArgumentException("empty domain");
        domain = domain.toLowerCase(Locale.ROOT);
    }

    /** The address with a lower-cased local part: the form mailboxes are keyed by. */
    public String canonical() {
        return render(localPart.toLowerCase(Locale.ROOT)) + "@" + domain;
    }

    /** True for {@code postmaster} in any case, which RFC 5321 §4.5.1 requires every domain to accept. */
    public boolean isPostmaster() {
        return localPart.equalsIgnoreCase("postmaster");
    }

    @Override
    public String toString() {
        return render(localPart) + "@" + domain;
    }

    private static String render(String local) {
        return isDotString(local) ? local : quote(local);
    }

    /** RFC 5321 Dot-string: atoms separated by single dots. */
    public static boolean isDotString(String s) {
        if (s.isEmpty() || s.startsWith(".") || s.endsWith(".") || s.contains("..")) return false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '.' && !isAtext(c)) return false;
        }
        return true;
    }

    /** RFC 5322 atext, extended by RFC 6531 with any non-ASCII character. */
    public static boolean isAtext(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0 || c >= 0x80;
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\');
            b.append(c);
        }
        return b.append('"').toString();
    }
}

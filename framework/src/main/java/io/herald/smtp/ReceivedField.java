package io.herald.smtp;

import io.herald.api.mail.MailAddress;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * The {@code Received:} trace field the core writes first into every message (RFC 5321 §4.4):
 *
 * <pre>
 * Received: from &lt;helo&gt; ([&lt;ip&gt;])
 * 	by &lt;hostname&gt; with &lt;protocol&gt; id &lt;queue id&gt;
 * 	for &lt;rcpt&gt;; &lt;RFC 5322 date&gt;
 * </pre>
 *
 * The TCP-info is {@code address-literal}, or {@code Domain FWS address-literal} when a reverse name is known
 * (RFC 5321 §4.4 grammar); the core never makes a blocking DNS lookup on the network path, so today it is the
 * literal only. {@code for} is written only for a single recipient (listing several would disclose Bcc).
 */
final class ReceivedField {

    /** RFC 5322 §3.3 date-time, e.g. {@code Tue, 3 Jun 2025 11:05:30 +0200}. */
    static final DateTimeFormatter RFC5322_DATE = DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.ENGLISH);

    private ReceivedField() { }

    /**
     * The WITH protocol (RFC 3848, RFC 6531 §4.3): SMTP after HELO; ESMTP after EHLO, with S for TLS and A for
     * an authenticated client; UTF8SMTP instead of ESMTP for a transaction using SMTPUTF8.
     */
    static String protocol(boolean esmtp, boolean utf8, boolean tls, boolean authenticated) {
        if (!esmtp) return "SMTP";
        return (utf8 ? "UTF8SMTP" : "ESMTP") + (tls ? "S" : "") + (authenticated ? "A" : "");
    }

    static String render(String helo, InetSocketAddress remote, String hostname, String protocol, String id,
                         List<MailAddress> recipients, ZonedDateTime when) {
        StringBuilder b = new StringBuilder(200);
        b.append("Received: from ").append(helo).append(" (").append(addressLiteral(remote)).append(")\r\n");
        b.append("\tby ").append(hostname).append(" with ").append(protocol).append(" id ").append(id).append("\r\n\t");
        if (recipients.size() == 1) b.append("for <").append(recipients.get(0)).append(">; ");
        b.append(RFC5322_DATE.format(when)).append("\r\n");
        return b.toString();
    }

    static String addressLiteral(InetSocketAddress remote) {
        InetAddress a = remote.getAddress();
        if (a == null) return "[" + remote.getHostString() + "]";
        String ip = a.getHostAddress();
        int scope = ip.indexOf('%');
        if (scope >= 0) ip = ip.substring(0, scope);
        return a instanceof Inet6Address ? "[IPv6:" + ip + "]" : "[" + ip + "]";
    }
}

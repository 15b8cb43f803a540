package io.herald.api.routing;

import java.util.List;
import java.util.Optional;

/**
 * Where one recipient's copy of a message goes, as decided by a {@link Router}.
 */
public sealed interface Route {

    /** Not this router's decision: ask the next router in the chain. */
    record Pass() implements Route { }

    /**
     * Deliver into a local mailbox.
     *
     * @param mailbox the canonical mailbox address (see {@link io.herald.api.mail.MailAddress#canonical()})
     */
    record Local(String mailbox) implements Route { }

    /**
     * Relay to another server by SMTP (the core's outbound client, RFC 5321).
     *
     * <p>The core sends one transaction per distinct next hop: recipients of one message whose routes name the same
     * hosts (in any order), port, TLS policy and credentials travel together. It resolves each host with the
     * {@link io.herald.api.dns.DnsResolver} (A, then AAAA), tries the hosts in the order given and, within a host,
     * its addresses in order; a connection failure or a 4xx reply to the greeting or EHLO moves on to the next one.
     *
     * @param hosts       next hops to try in order: {@code host}, {@code host:port}, an IP literal, or
     *                    {@code [IPv6]:port}; a router that knows no host returns a {@link Refuse} instead (an empty
     *                    list is deferred with {@code 451 4.4.4})
     * @param port        the port for hosts that name none; 0: the core's outbound port ({@code conf/outbound.cfg},
     *                    default 25)
     * @param tls         whether STARTTLS is tried ({@link TlsPolicy#OPPORTUNISTIC}) or must succeed
     *                    ({@link TlsPolicy#REQUIRED}: without it the recipients are deferred)
     * @param credentials SMTP AUTH (RFC 4954) identity for a smarthost; only ever sent over TLS, so a route with
     *                    credentials requires TLS whatever {@code tls} says
     * @since 1.1
     */
    record Relay(List<String> hosts, int port, TlsPolicy tls, Optional<Credentials> credentials) implements Route {
        public Relay {
            hosts = List.copyOf(hosts);
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port out of range: " + port);
            java.util.Objects.requireNonNull(tls, "tls");
            java.util.Objects.requireNonNull(credentials, "credentials");
        }

        /** Hosts on the default port, opportunistic TLS, no AUTH (the 1.0 constructor). */
        public Relay(List<String> hosts) {
            this(hosts, 0, TlsPolicy.OPPORTUNISTIC, Optional.empty());
        }

        /** True when TLS must be negotiated: required by the route, or because credentials will be sent. */
        public boolean requiresTls() {
            return tls == TlsPolicy.REQUIRED || credentials.isPresent();
        }
    }

    /** How a {@link Relay} uses STARTTLS (RFC 3207). @since 1.1 */
    enum TlsPolicy {
        /**
         * Use STARTTLS when the next hop offers it, else send in the clear; the certificate is not verified
         * (opportunistic security, RFC 7435): this protects against passive listeners only.
         */
        OPPORTUNISTIC,
        /**
         * STARTTLS must succeed, or the recipients are deferred ({@code 451 4.7.5}). The certificate is not verified
         * either (Postfix's "encrypt" level); use it for a smarthost reached over a network you do not trust.
         */
        REQUIRED
    }

    /**
     * SMTP AUTH credentials for a smarthost. {@link #toString()} hides the password.
     *
     * @since 1.1
     */
    record Credentials(String username, String password) {
        public Credentials {
            java.util.Objects.requireNonNull(username, "username");
            java.util.Objects.requireNonNull(password, "password");
        }

        @Override
        public String toString() {
            return "Credentials[" + username + ", password hidden]";
        }
    }

    /** Refuse the recipient at RCPT time with a 5xx reply (or a 4xx one, to make the client retry). */
    record Refuse(int code, String enhancedCode, String text) implements Route {
        public Refuse {
            if (code < 400 || code > 599) throw new IllegalArgumentException("a refusal needs a 4xx or 5xx code: " + code);
        }
    }

    Pass PASS = new Pass();

    static Route pass() { return PASS; }

    static Route local(String mailbox) { return new Local(mailbox); }

    static Route refuse(int code, String enhancedCode, String text) { return new Refuse(code, enhancedCode, text); }

    /** Relay to these hosts, in order, on the default port with opportunistic TLS. @since 1.1 */
    static Route relay(List<String> hosts) { return new Relay(hosts); }
}

package io.herald.api.routing;

import java.util.List;

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
     * Relay to another server.
     *
     * @param hosts next hops to try in order, as {@code host} or {@code host:port}; empty means "look up MX"
     */
    record Relay(List<String> hosts) implements Route {
        public Relay { hosts = List.copyOf(hosts); }
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
}

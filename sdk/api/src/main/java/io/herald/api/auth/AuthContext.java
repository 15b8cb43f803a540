package io.herald.api.auth;

import java.net.InetSocketAddress;

/**
 * Facts about the connection an authentication attempt comes from.
 *
 * @param mechanism the SASL mechanism name, upper-case (e.g. {@code PLAIN}, {@code SCRAM-SHA-256})
 * @param listener  the listener that accepted the connection (e.g. {@code submission}, {@code imap}); may be empty
 * @param remote    the client's address; may be null in tools and tests
 * @param tls       true when the connection is encrypted
 */
public record AuthContext(String mechanism, String listener, InetSocketAddress remote, boolean tls) {
}

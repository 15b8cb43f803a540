package io.herald.api.smtp;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * What is known about an SMTP session when a hook is called.
 *
 * @param sessionId     a short id unique within this server run, also used in logs
 * @param listener      the name of the listener that accepted the connection (e.g. {@code smtp}, {@code submission})
 * @param remote        the client's address
 * @param local         the server address the client connected to
 * @param helo          the EHLO/HELO argument, once given
 * @param esmtp         true when the client greeted with EHLO
 * @param tls           true when the session is encrypted
 * @param authenticatedUser the SMTP AUTH identity, once authenticated
 */
public record SessionInfo(String sessionId, String listener, InetSocketAddress remote, InetSocketAddress local,
                          Optional<String> helo, boolean esmtp, boolean tls, Optional<String> authenticatedUser) {
}

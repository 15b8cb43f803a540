package io.herald.api.auth;

import io.herald.api.mail.MailAddress;

import java.util.Optional;

/**
 * Which envelope senders an authenticated principal may use on submission (RFC 6409 §6.1). The submission
 * listener asks at MAIL FROM; {@link Decision#DENY} is answered {@code 553 5.7.1}, {@link Decision#TEMPORARY_FAILURE}
 * {@code 451 4.7.0}.
 *
 * <p>The core's implementation allows the principal's own address and every address an {@link Authenticator}
 * lists in {@link Authenticator#addressesOf}. Threading: called off the network threads; must be thread-safe.
 */
@FunctionalInterface
public interface SenderPolicy {

    enum Decision { ALLOW, DENY, TEMPORARY_FAILURE }

    /**
     * @param principal the authenticated principal (canonical address)
     * @param sender    the MAIL FROM address; empty for the null reverse-path {@code <>}
     */
    Decision check(String principal, Optional<MailAddress> sender);
}

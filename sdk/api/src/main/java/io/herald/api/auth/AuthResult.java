package io.herald.api.auth;

import java.util.Objects;

/**
 * What an {@link Authenticator} answers about a password.
 *
 * <ul>
 *   <li>{@link Authenticated}: the secret is right; the session acts as {@code principal} from now on.</li>
 *   <li>{@link Failed}: this authenticator knows the user and the secret is wrong (or the account is disabled):
 *       the chain stops, the client gets {@code 535 5.7.8}.</li>
 *   <li>{@link UnknownUser}: not one of this authenticator's users; the next one is asked. When no one knows the
 *       user the client gets the same {@code 535 5.7.8} as for a wrong password.</li>
 *   <li>{@link TemporaryFailure}: the answer cannot be given now (back end down): {@code 454 4.7.0}.</li>
 * </ul>
 */
public sealed interface AuthResult {

    /** @param principal the canonical mailbox address of the user, e.g. {@code elsa@herald.test} */
    record Authenticated(String principal) implements AuthResult {
        public Authenticated {
            Objects.requireNonNull(principal, "principal");
            if (principal.isBlank()) throw new IllegalArgumentException("empty principal");
        }
    }

    /** @param reason for the server's log only, never sent to the client */
    record Failed(String reason) implements AuthResult { }

    record UnknownUser() implements AuthResult { }

    /** @param reason for the server's log only, never sent to the client */
    record TemporaryFailure(String reason) implements AuthResult { }

    static AuthResult authenticated(String principal) { return new Authenticated(principal); }

    static AuthResult failed(String reason) { return new Failed(reason); }

    static AuthResult unknownUser() { return UNKNOWN; }

    static AuthResult temporaryFailure(String reason) { return new TemporaryFailure(reason); }

    UnknownUser UNKNOWN = new UnknownUser();
}

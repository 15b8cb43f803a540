package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.ScramCredential;

/**
 * What the SASL mechanisms need from the authenticators: {@link AuthenticatorChain} asks the
 * {@link io.herald.api.auth.Authenticator} chain; {@link SaslExchange} puts the {@link AuthThrottle} in front.
 * Implementations never throw: failures are {@link AuthResult.TemporaryFailure}.
 */
public interface CredentialVerifier {

    AuthResult verifyPassword(String identity, char[] password, AuthContext context);

    ScramLookup scramCredential(String identity, AuthContext context);

    /** The answer to a SCRAM credential lookup. */
    sealed interface ScramLookup {
        record Found(ScramCredential credential) implements ScramLookup { }

        record Unknown() implements ScramLookup { }

        /** @param reason for the log; {@code lockedOut} when the throttle refused before any lookup */
        record Unavailable(String reason, boolean lockedOut) implements ScramLookup { }
    }
}

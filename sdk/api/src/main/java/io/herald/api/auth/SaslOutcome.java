package io.herald.api.auth;

import java.util.Objects;

/** What to answer the client after one step of a {@link SaslServer} exchange. */
public sealed interface SaslOutcome {

    /** Send this challenge (IMAP {@code + base64}) and read the client's next response. */
    record Challenge(byte[] data) implements SaslOutcome {
        public Challenge { data = data.clone(); }
        @Override public byte[] data() { return data.clone(); }
    }

    /** Authenticated: the session acts as {@code principal} (the canonical mailbox address) from now on. */
    record Success(String principal) implements SaslOutcome {
        public Success { Objects.requireNonNull(principal, "principal"); }
    }

    /** The exchange failed; the connection stays usable (the client may try again, within the throttle's limits). */
    record Failure(Kind kind) implements SaslOutcome { }

    /**
     * Why an exchange failed, with the IMAP response code (RFC 5530) a protocol plugin answers it with. Details go to
     * the server's log only: a client is never told whether the user exists.
     */
    enum Kind {
        /** Not base64, or not the mechanism's syntax: IMAP {@code BAD}. */
        MALFORMED(false, null),
        /** The client cancelled: IMAP {@code BAD}. */
        CANCELLED(false, null),
        /** Wrong password or unknown user: IMAP {@code NO [AUTHENTICATIONFAILED]}. */
        INVALID_CREDENTIALS(false, "AUTHENTICATIONFAILED"),
        /** An authenticator failed or timed out: IMAP {@code NO [UNAVAILABLE]}. */
        TEMPORARY(true, "UNAVAILABLE"),
        /** Too many failed attempts from this address or for this account: IMAP {@code NO [UNAVAILABLE]}. */
        LOCKED_OUT(true, "UNAVAILABLE"),
        /** A mechanism the server does not offer: IMAP {@code NO [CANNOT]}. */
        UNSUPPORTED_MECHANISM(false, "CANNOT"),
        /** A plaintext mechanism on an unencrypted connection: IMAP {@code NO [PRIVACYREQUIRED]}. */
        ENCRYPTION_REQUIRED(false, "PRIVACYREQUIRED");

        private final boolean temporary;
        private final String imapCode;

        Kind(boolean temporary, String imapCode) {
            this.temporary = temporary;
            this.imapCode = imapCode;
        }

        /** Whether trying again later with the same credentials may succeed. */
        public boolean temporary() { return temporary; }

        /** The RFC 5530 response code for a tagged {@code NO}, or null where IMAP answers {@code BAD}. */
        public String imapCode() { return imapCode; }
    }
}

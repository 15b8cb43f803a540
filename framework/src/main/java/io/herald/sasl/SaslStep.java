package io.herald.sasl;

import java.util.Optional;

/** What a {@link SaslMechanism} answers to one client response. */
public sealed interface SaslStep {

    /** Send this challenge (SMTP {@code 334}, base64-encoded) and wait for the client's next response. */
    record Challenge(byte[] data) implements SaslStep {
        public Challenge { data = data.clone(); }
        @Override public byte[] data() { return data.clone(); }
    }

    /**
     * The client is authenticated as {@code principal}. {@code additionalData} is the mechanism's final server
     * message (SCRAM's {@code v=} server signature): SMTP (RFC 4954 §4) sends it as a {@code 334} challenge and
     * waits for an empty response before {@code 235}; IMAP may send it in the tagged OK's response code.
     */
    record Success(String principal, Optional<byte[]> additionalData) implements SaslStep { }

    /** The exchange failed; {@code logDetail} is for the server's log only, never sent to the client. */
    record Failure(SaslFailure kind, String logDetail) implements SaslStep { }
}

package io.herald.sasl;

import java.util.Optional;

/**
 * The server side of one SASL authentication exchange (RFC 4422), independent of the protocol framing: it takes
 * the client's responses already base64-decoded and answers with a {@link SaslStep}. SMTP (RFC 4954), IMAP and
 * POP3 wrap it in their own syntax ({@link SaslExchange} does it for the line-based ones).
 *
 * <p>One instance serves one exchange and is not thread-safe; the caller serialises the calls (one at a time per
 * session). The calls may block while the {@link CredentialVerifier} asks the authenticators: call them off the
 * network threads.
 */
public interface SaslMechanism {

    /** The registered mechanism name, upper-case (e.g. {@code SCRAM-SHA-256}). */
    String name();

    /**
     * Starts the exchange.
     *
     * @param initialResponse the client's initial response (RFC 4422 §3.3), empty when it sent none; an empty
     *                        array is an empty initial response ({@code =} in SMTP)
     * @throws MalformedSaslResponseException when the response does not follow the mechanism's syntax
     */
    SaslStep start(Optional<byte[]> initialResponse) throws MalformedSaslResponseException;

    /**
     * The client's next response.
     *
     * @throws MalformedSaslResponseException when the response does not follow the mechanism's syntax
     * @throws IllegalStateException when the exchange is already complete
     */
    SaslStep respond(byte[] response) throws MalformedSaslResponseException;
}

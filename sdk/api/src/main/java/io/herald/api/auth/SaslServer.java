package io.herald.api.auth;

import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The server side of one SASL exchange (RFC 4422) from {@link Logins#begin}, in octets: the protocol plugin does the
 * framing (IMAP {@code +} continuations and base64 lines, POP3 the same) and hands over decoded responses.
 *
 * <p>Call {@link #start} once, then {@link #respond} once per {@link SaslOutcome.Challenge}, until a
 * {@link SaslOutcome.Success} or {@link SaslOutcome.Failure} ends the exchange. One call at a time (wait for the
 * previous stage); not thread-safe otherwise. A protocol that lets the client cancel ({@code *}) calls
 * {@link #cancel}.
 *
 * <p>A final server message (SCRAM's server signature) comes as a last {@link SaslOutcome.Challenge}: send it and
 * answer with the client's (empty) response, as RFC 3501 §6.2.2 and RFC 5034 allow.
 */
public interface SaslServer {

    /** The mechanism name, upper-case. */
    String mechanism();

    /**
     * @param initialResponse the client's initial response (IMAP SASL-IR, POP3 AUTH with a response), decoded;
     *                        an empty array is an empty initial response ({@code =}); empty when none was sent
     */
    CompletionStage<SaslOutcome> start(Optional<byte[]> initialResponse);

    /** The client's next response, decoded from base64 (an empty line is an empty array). */
    CompletionStage<SaslOutcome> respond(byte[] response);

    /** The client cancelled ({@code *}): completes with {@link SaslOutcome.Kind#CANCELLED}. */
    CompletionStage<SaslOutcome> cancel();
}

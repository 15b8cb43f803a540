package io.herald.sasl;

/**
 * A client response that is not valid for the mechanism: bad base64, missing NUL separators, invalid UTF-8, a
 * malformed SCRAM message. The protocol layer answers {@link SaslFailure#MALFORMED} ({@code 501 5.5.2}) and ends
 * the exchange; the session stays usable.
 */
public class MalformedSaslResponseException extends Exception {
    public MalformedSaslResponseException(String message) {
        super(message);
    }
}

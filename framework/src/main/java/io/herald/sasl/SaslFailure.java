package io.herald.sasl;

/**
 * Why an authentication exchange failed, with the SMTP reply it is answered with (RFC 4954 §6, RFC 3463/5248).
 * IMAP and POP3 map the same kinds onto {@code NO}/{@code BAD} and {@code -ERR} with the matching response codes
 * ({@code [AUTHENTICATIONFAILED]}, {@code [UNAVAILABLE]}, {@code [PRIVACYREQUIRED]}).
 */
public enum SaslFailure {
    /** Not base64, or not the mechanism's syntax (missing NULs, bad SCRAM attribute): {@code 501 5.5.2}. */
    MALFORMED(501, "5.5.2", "Cannot decode the response"),
    /** The client sent {@code *}: {@code 501 5.7.0} (RFC 4954 §4). */
    CANCELLED(501, "5.7.0", "Authentication cancelled"),
    /** Wrong password, unknown user, or an authorization identity it may not use: {@code 535 5.7.8}. */
    INVALID_CREDENTIALS(535, "5.7.8", "Authentication credentials invalid"),
    /** An authenticator failed or timed out (fail closed): {@code 454 4.7.0}. */
    TEMPORARY(454, "4.7.0", "Temporary authentication failure"),
    /** Too many failed attempts from this address or for this account: {@code 454 4.7.0}. */
    LOCKED_OUT(454, "4.7.0", "Too many failed authentication attempts, try again later"),
    /** A mechanism this server does not offer: {@code 504 5.5.4}. */
    UNSUPPORTED_MECHANISM(504, "5.5.4", "Unrecognized authentication type"),
    /** A plain-text mechanism on an unencrypted connection: {@code 538 5.7.11}. */
    ENCRYPTION_REQUIRED(538, "5.7.11", "Encryption required for requested authentication mechanism");

    private final int smtpCode;
    private final String enhancedCode;
    private final String text;

    SaslFailure(int smtpCode, String enhancedCode, String text) {
        this.smtpCode = smtpCode;
        this.enhancedCode = enhancedCode;
        this.text = text;
    }

    public int smtpCode() { return smtpCode; }

    public String enhancedCode() { return enhancedCode; }

    public String text() { return text; }

    /** The whole SMTP reply line without CRLF, e.g. {@code 535 5.7.8 Authentication credentials invalid}. */
    public String smtpReply() {
        return smtpCode + " " + enhancedCode + " " + text;
    }
}

package io.herald.api.auth;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The core's authentication, offered to protocol plugins (IMAP {@code AUTHENTICATE}/{@code LOGIN}, POP3
 * {@code AUTH}/{@code USER}+{@code PASS}): the same SASL mechanisms, {@link Authenticator} chain and brute-force
 * throttle as SMTP AUTH, so a failed IMAP login slows down and locks out the next SMTP attempt of the same address
 * or account, and the other way round. Inject it ({@code @Inject Logins logins}) in a plugin.
 *
 * <p>The configuration is the core's {@code conf/auth.cfg}: {@code mechanisms}, {@code plaintext.requires.tls}
 * (PLAIN, LOGIN and password logins only under TLS, RFC 8314), {@code plaintext.loopback} (allowed without TLS to
 * loopback clients), {@code timeout} and the throttle's keys.
 *
 * <p><b>Threading.</b> Thread-safe. No method blocks: exchanges complete their stages on core threads (an
 * authenticator call may take up to the configured {@code timeout}; a failure after repeated failures is completed
 * only after the throttle's delay, by a scheduler, never by sleeping). Do not block in the stages' callbacks.
 *
 * <p><b>Failure policy: fail closed.</b> An authenticator that throws or times out gives
 * {@link SaslOutcome.Kind#TEMPORARY}, never success. Stages never complete exceptionally for a client's mistake;
 * a stage that does complete exceptionally (a bug in the core) must be treated as {@link SaslOutcome.Kind#TEMPORARY}.
 */
public interface Logins {

    /** The mechanism names to advertise on this connection (IMAP {@code AUTH=}, POP3 {@code SASL}), upper-case. */
    List<String> mechanisms(AuthContext connection);

    /**
     * Whether plaintext credentials (PLAIN, LOGIN, IMAP {@code LOGIN}, POP3 {@code USER}/{@code PASS}) are accepted on
     * this connection: under TLS always; without TLS only when {@code plaintext.requires.tls} is false, or the client
     * is on loopback and {@code plaintext.loopback} is true. IMAP advertises {@code LOGINDISABLED} when false.
     */
    boolean plaintextAllowed(AuthContext connection);

    /**
     * Starts one SASL exchange. An unknown or disabled mechanism gives an exchange whose first step fails with
     * {@link SaslOutcome.Kind#UNSUPPORTED_MECHANISM}; a plaintext mechanism where not allowed fails with
     * {@link SaslOutcome.Kind#ENCRYPTION_REQUIRED}.
     *
     * @param mechanism  the mechanism the client asked for, any case
     * @param connection facts about the connection; its {@code mechanism} field is ignored
     */
    SaslServer begin(String mechanism, AuthContext connection);

    /**
     * A plaintext login outside SASL (IMAP {@code LOGIN}, POP3 {@code USER}/{@code PASS}): the PLAIN mechanism with
     * this identity and password, with everything PLAIN implies (the chain, the throttle, the TLS rule, PLAIN being
     * enabled in {@code mechanisms}). The outcome is {@link SaslOutcome.Success} or {@link SaslOutcome.Failure}.
     *
     * @param password wiped by the caller after the returned stage completed; the core does not keep it
     */
    CompletionStage<SaslOutcome> password(String identity, char[] password, AuthContext connection);
}

package io.herald.api.auth;

import java.util.Optional;
import java.util.Set;

/**
 * Checks who a client is: the {@code auth} extension point (RFC 4954 SMTP AUTH, IMAP AUTHENTICATE, POP3 AUTH).
 *
 * <p><b>Contract.</b> Authenticators form a chain ordered by {@link #priority()} (lower first). For a password
 * mechanism (PLAIN, LOGIN) the core asks each one in turn with {@link #verifyPassword}: the first
 * {@link AuthResult.Authenticated} or {@link AuthResult.Failed} decides; {@link AuthResult.UnknownUser} means
 * "not one of mine", and the next authenticator is asked. For SCRAM-SHA-256 the core asks
 * {@link #scramCredential} in the same order; the first present credential is used, and the core computes and
 * checks the proofs itself (the authenticator never sees the password). A user no authenticator knows is told
 * exactly what a wrong password is told ({@code 535 5.7.8}): nobody can probe which accounts exist.
 *
 * <p><b>Threading.</b> Methods are called off the network threads, on a bounded executor, possibly concurrently
 * for different sessions, with a time limit (the {@code auth} configuration, key {@code timeout}). They may block
 * on I/O (a directory server, a database) but must be thread-safe.
 *
 * <p><b>Failure policy: fail closed.</b> An authenticator that throws, or that does not answer in time, is logged
 * and counts as {@link AuthResult.TemporaryFailure}: the client is told {@code 454 4.7.0} (try again later),
 * never that it succeeded. A later authenticator in the chain may still authenticate the user (it verified the
 * secret itself); if none does, the outcome is the temporary failure, not "wrong password".
 *
 * <p><b>Configuration.</b> Inject {@link io.herald.api.config.Configuration} for the plugin's own
 * {@code conf/<pid>.cfg}; the mechanisms offered and the lockout of repeated failures are the core's
 * ({@code conf/auth.cfg}), not the authenticator's.
 *
 * <p>Identities are handed over as the client sent them after SASLprep ({@link SaslPrep}); canonicalising them
 * (e.g. lower-casing an address) is the authenticator's business. The principal it returns is the canonical
 * mailbox address the session acts as from then on.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface Authenticator {

    /** Position in the chain; lower runs first. */
    default int priority() {
        return 100;
    }

    /**
     * Verifies a plain-text password (PLAIN, LOGIN). Compare in constant time; keep only salted slow hashes.
     *
     * @param identity the authentication identity (authcid) the client gave
     * @param password the password; the caller wipes the array after the call, do not keep it
     * @param context  facts about the connection, for logging and policy (e.g. refuse some users without TLS)
     */
    AuthResult verifyPassword(String identity, char[] password, AuthContext context) throws Exception;

    /**
     * The SCRAM-SHA-256 credential (RFC 5802 §3, RFC 7677) of a user, for the core to run the SCRAM exchange with.
     *
     * @return empty when this authenticator does not know the user (the next one is asked), or cannot offer SCRAM
     */
    default Optional<ScramCredential> scramCredential(String identity, AuthContext context) throws Exception {
        return Optional.empty();
    }

    /**
     * The addresses an authenticated principal may use as the envelope sender (MAIL FROM) on submission, besides
     * its own address: typically the aliases that lead to its mailbox. Empty when this authenticator knows
     * nothing about the principal. See {@link SenderPolicy}.
     */
    default Set<String> addressesOf(String principal) throws Exception {
        return Set.of();
    }
}

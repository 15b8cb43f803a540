package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.SaslPrep;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * PLAIN (RFC 4616): one message {@code [authzid] NUL authcid NUL passwd}, UTF-8.
 *
 * <p>Herald does not let one user act for another: a non-empty authzid must name the same user as the authcid
 * (equal to it, or to the principal the authenticator returns, ignoring case); otherwise the exchange fails with
 * {@link SaslFailure#INVALID_CREDENTIALS} (RFC 4616 §2: the server must verify the authcid may act as authzid).
 * Without an initial response the server sends an empty challenge (RFC 4422 §5 item 2a).
 */
public final class PlainMechanism implements SaslMechanism {

    public static final String NAME = "PLAIN";

    private final CredentialVerifier verifier;
    private final AuthContext context;
    private boolean started;
    private boolean done;

    public PlainMechanism(CredentialVerifier verifier, AuthContext context) {
        this.verifier = verifier;
        this.context = context;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SaslStep start(Optional<byte[]> initialResponse) throws MalformedSaslResponseException {
        if (started) throw new IllegalStateException("already started");
        started = true;
        if (initialResponse.isEmpty()) return new SaslStep.Challenge(new byte[0]);
        return respond(initialResponse.get());
    }

    @Override
    public SaslStep respond(byte[] message) throws MalformedSaslResponseException {
        if (!started || done) throw new IllegalStateException("PLAIN exchange is " + (done ? "complete" : "not started"));
        done = true;
        int nul1 = indexOf(message, 0);
        int nul2 = nul1 < 0 ? -1 : indexOf(message, nul1 + 1);
        if (nul1 < 0 || nul2 < 0) throw new MalformedSaslResponseException("PLAIN message needs two NUL separators");
        if (indexOf(message, nul2 + 1) >= 0) throw new MalformedSaslResponseException("PLAIN message has more than two NUL separators");
        String authzid = new String(SaslText.utf8(message, 0, nul1, "PLAIN authzid"));
        String authcid = new String(SaslText.utf8(message, nul1 + 1, nul2, "PLAIN authcid"));
        char[] password = SaslText.utf8(message, nul2 + 1, message.length, "PLAIN password");
        try {
            if (authcid.isEmpty()) throw new MalformedSaslResponseException("PLAIN authcid is empty");
            if (password.length == 0) throw new MalformedSaslResponseException("PLAIN password is empty");
            String identity;
            try {
                identity = SaslPrep.prepare(authcid, true);
            } catch (IllegalArgumentException e) {
                throw new MalformedSaslResponseException("PLAIN authcid: " + e.getMessage());
            }
            AuthResult result = verifier.verifyPassword(identity, password, context);
            return PasswordOutcome.step(result, identity, authzid);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static int indexOf(byte[] b, int from) {
        for (int i = from; i < b.length; i++) if (b[i] == 0) return i;
        return -1;
    }

    /** Maps a password verification to a step; shared with LOGIN. */
    static final class PasswordOutcome {
        private PasswordOutcome() { }

        static SaslStep step(AuthResult result, String identity, String authzid) {
            if (result instanceof AuthResult.Authenticated a) {
                if (!authzid.isEmpty() && !authzid.equalsIgnoreCase(identity)
                        && !authzid.toLowerCase(Locale.ROOT).equals(a.principal().toLowerCase(Locale.ROOT))) {
                    return new SaslStep.Failure(SaslFailure.INVALID_CREDENTIALS,
                            "authzid '" + authzid + "' differs from authcid '" + identity + "'");
                }
                return new SaslStep.Success(a.principal(), Optional.empty());
            }
            if (result instanceof AuthResult.Failed f) {
                return new SaslStep.Failure(SaslFailure.INVALID_CREDENTIALS, "wrong credentials for '" + identity + "': " + f.reason());
            }
            if (result instanceof AuthResult.TemporaryFailure t) {
                return new SaslStep.Failure(SaslFailure.TEMPORARY, "cannot verify '" + identity + "': " + t.reason());
            }
            return new SaslStep.Failure(SaslFailure.INVALID_CREDENTIALS, "unknown user '" + identity + "'");
        }
    }
}

package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.SaslPrep;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * LOGIN (draft-murchison-sasl-login, obsolete but still used by many clients): the server asks
 * {@code Username:} and {@code Password:}; each answer is UTF-8. An initial response is taken as the user name.
 */
public final class LoginMechanism implements SaslMechanism {

    public static final String NAME = "LOGIN";
    static final byte[] USERNAME = "Username:".getBytes(StandardCharsets.US_ASCII);
    static final byte[] PASSWORD = "Password:".getBytes(StandardCharsets.US_ASCII);

    private final CredentialVerifier verifier;
    private final AuthContext context;
    private int state; // 0 not started, 1 waiting for user name, 2 waiting for password, 3 done
    private String identity;

    public LoginMechanism(CredentialVerifier verifier, AuthContext context) {
        this.verifier = verifier;
        this.context = context;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SaslStep start(Optional<byte[]> initialResponse) throws MalformedSaslResponseException {
        if (state != 0) throw new IllegalStateException("already started");
        state = 1;
        if (initialResponse.isEmpty()) return new SaslStep.Challenge(USERNAME);
        return respond(initialResponse.get());
    }

    @Override
    public SaslStep respond(byte[] response) throws MalformedSaslResponseException {
        switch (state) {
            case 1 -> {
                String user = SaslText.utf8String(response, "LOGIN user name");
                if (user.isEmpty() || user.indexOf('\0') >= 0) {
                    state = 3;
                    throw new MalformedSaslResponseException("LOGIN user name is empty or contains NUL");
                }
                try {
                    identity = SaslPrep.prepare(user, true);
                } catch (IllegalArgumentException e) {
                    state = 3;
                    throw new MalformedSaslResponseException("LOGIN user name: " + e.getMessage());
                }
                state = 2;
                return new SaslStep.Challenge(PASSWORD);
            }
            case 2 -> {
                state = 3;
                char[] password = SaslText.utf8(response, 0, response.length, "LOGIN password");
                try {
                    if (password.length == 0) throw new MalformedSaslResponseException("LOGIN password is empty");
                    return PlainMechanism.PasswordOutcome.step(verifier.verifyPassword(identity, password, context), identity, "");
                } finally {
                    Arrays.fill(password, '\0');
                }
            }
            default -> throw new IllegalStateException("LOGIN exchange is " + (state == 0 ? "not started" : "complete"));
        }
    }
}

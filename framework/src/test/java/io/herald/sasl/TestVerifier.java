package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.ScramCredential;

import java.util.Base64;
import java.util.HashMap;
import java.util.Map;

/** An in-memory verifier: users with SCRAM credentials, optionally "down" (temporary failure). */
final class TestVerifier implements CredentialVerifier {
    final Map<String, ScramCredential> users = new HashMap<>();
    volatile boolean down;
    volatile int calls;

    static TestVerifier rfc7677() {
        TestVerifier v = new TestVerifier();
        v.users.put("user", ScramCredential.derive("user@herald.test", "pencil".toCharArray(),
                Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096));
        return v;
    }

    TestVerifier add(String name, String principal, String password) {
        users.put(name, ScramCredential.derive(principal, password.toCharArray(), "0123456789abcdef".getBytes(), 4096));
        return this;
    }

    @Override
    public AuthResult verifyPassword(String identity, char[] password, AuthContext context) {
        calls++;
        if (down) return AuthResult.temporaryFailure("down");
        ScramCredential c = users.get(identity);
        if (c == null) return AuthResult.unknownUser();
        return c.matches(password) ? AuthResult.authenticated(c.principal()) : AuthResult.failed("wrong password");
    }

    @Override
    public ScramLookup scramCredential(String identity, AuthContext context) {
        calls++;
        if (down) return new ScramLookup.Unavailable("down", false);
        ScramCredential c = users.get(identity);
        return c == null ? new ScramLookup.Unknown() : new ScramLookup.Found(c);
    }
}

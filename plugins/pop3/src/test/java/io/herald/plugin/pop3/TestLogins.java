package io.herald.plugin.pop3;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.Logins;
import io.herald.api.auth.SaslOutcome;
import io.herald.api.auth.SaslServer;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Logins} with a fixed user table and the core's TLS rule (plaintext only under TLS, or on loopback when
 * allowed), for the protocol tests. User {@code locked@herald.test} is always locked out, {@code down@herald.test}
 * always gets a temporary failure. The core's real implementation is exercised by the distribution's tests.
 */
final class TestLogins implements Logins {

    final Map<String, String> passwords = new ConcurrentHashMap<>();
    volatile boolean loopbackPlaintext;
    final List<String> attempts = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public List<String> mechanisms(AuthContext c) {
        return plaintextAllowed(c) ? List.of("PLAIN") : List.of();
    }

    @Override
    public boolean plaintextAllowed(AuthContext c) {
        boolean loopback = c.remote() != null && c.remote().getAddress().isLoopbackAddress();
        return c.tls() || (loopbackPlaintext && loopback);
    }

    @Override
    public SaslServer begin(String mechanism, AuthContext c) {
        String name = mechanism.toUpperCase(java.util.Locale.ROOT);
        return new SaslServer() {
            @Override public String mechanism() { return name; }

            @Override public CompletionStage<SaslOutcome> start(Optional<byte[]> ir) {
                if (!name.equals("PLAIN")) return done(new SaslOutcome.Failure(SaslOutcome.Kind.UNSUPPORTED_MECHANISM));
                if (!plaintextAllowed(c)) return done(new SaslOutcome.Failure(SaslOutcome.Kind.ENCRYPTION_REQUIRED));
                if (ir.isEmpty()) return done(new SaslOutcome.Challenge(new byte[0]));
                return respond(ir.get());
            }

            @Override public CompletionStage<SaslOutcome> respond(byte[] r) {
                String[] parts = new String(r, StandardCharsets.UTF_8).split("\0", -1);
                if (parts.length != 3) return done(new SaslOutcome.Failure(SaslOutcome.Kind.MALFORMED));
                return check(parts[1], parts[2]);
            }

            @Override public CompletionStage<SaslOutcome> cancel() {
                return done(new SaslOutcome.Failure(SaslOutcome.Kind.CANCELLED));
            }
        };
    }

    @Override
    public CompletionStage<SaslOutcome> password(String identity, char[] password, AuthContext c) {
        if (!plaintextAllowed(c)) return done(new SaslOutcome.Failure(SaslOutcome.Kind.ENCRYPTION_REQUIRED));
        return check(identity, new String(password));
    }

    private CompletionStage<SaslOutcome> check(String user, String password) {
        attempts.add(user);
        if (user.equals("locked@herald.test")) return done(new SaslOutcome.Failure(SaslOutcome.Kind.LOCKED_OUT));
        if (user.equals("down@herald.test")) return done(new SaslOutcome.Failure(SaslOutcome.Kind.TEMPORARY));
        String pw = passwords.get(user.toLowerCase(java.util.Locale.ROOT));
        if (pw != null && pw.equals(password)) return done(new SaslOutcome.Success(user.toLowerCase(java.util.Locale.ROOT)));
        return done(new SaslOutcome.Failure(SaslOutcome.Kind.INVALID_CREDENTIALS));
    }

    private static CompletionStage<SaslOutcome> done(SaslOutcome o) {
        return CompletableFuture.completedFuture(o);
    }
}

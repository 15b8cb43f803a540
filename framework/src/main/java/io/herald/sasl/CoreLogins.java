package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.Logins;
import io.herald.api.auth.SaslOutcome;
import io.herald.api.auth.SaslServer;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * {@link Logins} for protocol plugins, on the server's one {@link SaslService}: the same mechanisms, authenticator
 * chain and {@link AuthThrottle} as SMTP AUTH. Each {@link SaslServer} is a {@link SaslExchange} (which does the
 * throttling, the delays and the TLS rule); this class only translates octets to the exchange's base64 lines and its
 * outcomes to the API's.
 *
 * <p>The service is taken from a supplier on first use, so a server can create it lazily (a self-signed certificate
 * and executors only when something needs them).
 */
public final class CoreLogins implements Logins {

    private final Supplier<SaslService> service;

    public CoreLogins(Supplier<SaslService> service) {
        this.service = service;
    }

    @Override
    public List<String> mechanisms(AuthContext connection) {
        return service.get().mechanisms(connection.tls(), connection.remote());
    }

    @Override
    public boolean plaintextAllowed(AuthContext connection) {
        return connection.tls() || !service.get().requiresTls(PlainMechanism.NAME, connection.remote());
    }

    @Override
    public SaslServer begin(String mechanism, AuthContext connection) {
        return new Exchange(service.get().begin(mechanism, connection));
    }

    @Override
    public CompletionStage<SaslOutcome> password(String identity, char[] password, AuthContext connection) {
        // PLAIN's message: [authzid] NUL authcid NUL passwd (RFC 4616), in UTF-8
        ByteBuffer pw = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
        byte[] id = identity.getBytes(StandardCharsets.UTF_8);
        byte[] message = new byte[2 + id.length + pw.remaining()];
        System.arraycopy(id, 0, message, 1, id.length);
        pw.get(message, 2 + id.length, pw.remaining());
        Arrays.fill(pw.array(), (byte) 0);
        try {
            return begin(PlainMechanism.NAME, connection).start(Optional.of(message));
        } finally {
            Arrays.fill(message, (byte) 0);
        }
    }

    private static final class Exchange implements SaslServer {
        private final SaslExchange exchange;

        Exchange(SaslExchange exchange) {
            this.exchange = exchange;
        }

        @Override
        public String mechanism() {
            return exchange.mechanism();
        }

        @Override
        public CompletionStage<SaslOutcome> start(Optional<byte[]> initialResponse) {
            return map(exchange.start(initialResponse.map(b -> b.length == 0 ? "=" : Base64.getEncoder().encodeToString(b))));
        }

        @Override
        public CompletionStage<SaslOutcome> respond(byte[] response) {
            return map(exchange.respond(Base64.getEncoder().encodeToString(response)));
        }

        @Override
        public CompletionStage<SaslOutcome> cancel() {
            if (exchange.isDone()) return CompletableFuture.completedFuture(new SaslOutcome.Failure(SaslOutcome.Kind.CANCELLED));
            return map(exchange.respond("*"));
        }

        private static CompletionStage<SaslOutcome> map(CompletionStage<SaslExchange.Outcome> stage) {
            return stage.thenApply(Exchange::map);
        }

        static SaslOutcome map(SaslExchange.Outcome o) {
            if (o instanceof SaslExchange.Outcome.Continue c) return new SaslOutcome.Challenge(Base64.getDecoder().decode(c.challengeBase64()));
            if (o instanceof SaslExchange.Outcome.Success s) return new SaslOutcome.Success(s.principal());
            SaslFailure kind = ((SaslExchange.Outcome.Failure) o).kind();
            return new SaslOutcome.Failure(switch (kind) {
                case MALFORMED -> SaslOutcome.Kind.MALFORMED;
                case CANCELLED -> SaslOutcome.Kind.CANCELLED;
                case INVALID_CREDENTIALS -> SaslOutcome.Kind.INVALID_CREDENTIALS;
                case TEMPORARY -> SaslOutcome.Kind.TEMPORARY;
                case LOCKED_OUT -> SaslOutcome.Kind.LOCKED_OUT;
                case UNSUPPORTED_MECHANISM -> SaslOutcome.Kind.UNSUPPORTED_MECHANISM;
                case ENCRYPTION_REQUIRED -> SaslOutcome.Kind.ENCRYPTION_REQUIRED;
            });
        }
    }
}

package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.ScramCredential;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * One SASL exchange in a line-based protocol (SMTP {@code AUTH}, POP3 {@code AUTH}, IMAP {@code AUTHENTICATE}):
 * base64 framing, {@code *} to cancel, {@code =} for an empty initial response, the brute-force throttle, and the
 * final server message of SCRAM. Created by {@link SaslService#begin}.
 *
 * <p>Each call returns a stage that completes off the caller's thread: mechanisms run on a worker executor
 * (they may wait for authenticators), and a failure reply is completed only after the throttle's delay, by a
 * scheduler. A network layer writes the reply when the stage completes and reads the next line only then.
 * One call at a time; after an outcome other than {@link Outcome.Continue} the exchange is over.
 */
public final class SaslExchange {

    private static final Logger log = LoggerFactory.getLogger(SaslExchange.class);

    /** What to answer the client. */
    public sealed interface Outcome {
        /** The SMTP reply line, without CRLF. */
        String smtpReply();

        /** Send {@code 334 <challenge>} and read the client's next line. */
        record Continue(String challengeBase64) implements Outcome {
            @Override public String smtpReply() { return challengeBase64.isEmpty() ? "334 " : "334 " + challengeBase64; }
        }

        /** Authenticated: {@code 235 2.7.0}; the session acts as {@code principal} from now on. */
        record Success(String principal) implements Outcome {
            @Override public String smtpReply() { return "235 2.7.0 Authentication successful"; }
        }

        /** Failed; the session stays usable (the client may try again). */
        record Failure(SaslFailure kind, String logDetail) implements Outcome {
            @Override public String smtpReply() { return kind.smtpReply(); }
        }
    }

    private final SaslMechanism mechanism; // null: unsupported
    private final String requested;
    private final AuthContext context;
    private final SaslService service;
    private final ThrottledVerifier verifier;
    private String pendingPrincipal; // SCRAM: server-final sent, waiting for the client's empty response
    private boolean started;
    private boolean done;

    SaslExchange(String requested, AuthContext context, SaslService service, CredentialVerifier chain) {
        this.requested = requested;
        this.context = context;
        this.service = service;
        this.verifier = new ThrottledVerifier(chain);
        this.mechanism = service.mechanism(requested, verifier, context);
    }

    public boolean isDone() {
        return done;
    }

    /** The mechanism the client asked for, upper-case. */
    public String mechanism() {
        return requested;
    }

    /**
     * Starts the exchange: the rest of the AUTH command after the mechanism name.
     *
     * @param initialResponse the initial response as the client sent it (base64, or {@code =} for an empty one); empty when none
     */
    public CompletionStage<Outcome> start(Optional<String> initialResponse) {
        if (started) throw new IllegalStateException("already started");
        started = true;
        if (mechanism == null) return finish(SaslFailure.UNSUPPORTED_MECHANISM, "mechanism '" + requested + "' not offered");
        if (service.requiresTls(mechanism.name(), context.remote()) && !context.tls()) {
            return finish(SaslFailure.ENCRYPTION_REQUIRED, mechanism.name() + " without TLS");
        }
        AuthThrottle.Verdict v = service.throttle().check(address(), null);
        if (v instanceof AuthThrottle.Verdict.Locked l) {
            return finish(SaslFailure.LOCKED_OUT, l.key() + " locked out for " + l.remaining().toSeconds() + "s");
        }
        Optional<byte[]> ir = Optional.empty();
        if (initialResponse.isPresent()) {
            String s = initialResponse.get().trim();
            if (s.equals("*")) return finish(SaslFailure.CANCELLED, "cancelled in the initial response");
            if (s.equals("=")) {
                ir = Optional.of(new byte[0]);
            } else {
                Optional<byte[]> decoded = decode(s);
                if (decoded.isEmpty()) return finish(SaslFailure.MALFORMED, "initial response is not base64");
                ir = decoded;
            }
        }
        Optional<byte[]> initial = ir;
        return run(() -> mechanism.start(initial));
    }

    /** The client's next line (a base64 response, empty, or {@code *} to cancel). */
    public CompletionStage<Outcome> respond(String line) {
        if (!started || done) throw new IllegalStateException("the exchange is " + (done ? "over" : "not started"));
        String s = line.trim();
        if (s.equals("*")) return finish(SaslFailure.CANCELLED, "cancelled by the client");
        if (pendingPrincipal != null) {
            if (!s.isEmpty() && !s.equals("=")) return finish(SaslFailure.MALFORMED, "expected an empty response after the server's final message");
            done = true;
            return CompletableFuture.completedFuture(new Outcome.Success(pendingPrincipal));
        }
        Optional<byte[]> decoded = decode(s);
        if (decoded.isEmpty()) return finish(SaslFailure.MALFORMED, "response is not base64");
        return run(() -> mechanism.respond(decoded.get()));
    }

    private interface Step {
        SaslStep run() throws MalformedSaslResponseException;
    }

    private CompletionStage<Outcome> run(Step step) {
        CompletableFuture<Outcome> result = new CompletableFuture<>();
        Executor executor = service.workers();
        try {
            executor.execute(() -> {
                Outcome o;
                try {
                    o = map(step.run());
                } catch (MalformedSaslResponseException e) {
                    o = failure(SaslFailure.MALFORMED, e.getMessage());
                } catch (RuntimeException e) {
                    log.error("SASL {} failed unexpectedly", requested, e);
                    o = failure(SaslFailure.TEMPORARY, e.toString());
                }
                delayed(o).whenComplete((v, t) -> result.complete(v));
            });
        } catch (RejectedExecutionException e) {
            return finish(SaslFailure.TEMPORARY, "worker executor full");
        }
        return result;
    }

    private Outcome map(SaslStep step) {
        if (step instanceof SaslStep.Challenge c) {
            return new Outcome.Continue(Base64.getEncoder().encodeToString(c.data()));
        }
        if (step instanceof SaslStep.Success s) {
            service.throttle().succeeded(address(), verifier.account);
            log.info("authenticated {} with {} from {}", s.principal(), mechanism.name(), context.remote());
            if (s.additionalData().isPresent()) {
                pendingPrincipal = s.principal();
                return new Outcome.Continue(Base64.getEncoder().encodeToString(s.additionalData().get()));
            }
            done = true;
            return new Outcome.Success(s.principal());
        }
        SaslStep.Failure f = (SaslStep.Failure) step;
        SaslFailure kind = f.kind() == SaslFailure.TEMPORARY && verifier.locked ? SaslFailure.LOCKED_OUT : f.kind();
        return failure(kind, f.logDetail());
    }

    private Outcome.Failure failure(SaslFailure kind, String detail) {
        done = true;
        log.info("authentication with {} from {} failed ({}): {}", requested, context.remote(), kind, detail);
        return new Outcome.Failure(kind, detail);
    }

    private CompletionStage<Outcome> delayed(Outcome o) {
        if (o instanceof Outcome.Failure f && f.kind() == SaslFailure.INVALID_CREDENTIALS) {
            Duration delay = service.throttle().failed(address(), verifier.account);
            return service.throttle().after(delay, o);
        }
        return CompletableFuture.completedFuture(o);
    }

    private CompletionStage<Outcome> finish(SaslFailure kind, String detail) {
        return CompletableFuture.completedFuture(failure(kind, detail));
    }

    private InetAddress address() {
        return context.remote() == null ? null : context.remote().getAddress();
    }

    private static Optional<byte[]> decode(String s) {
        try {
            return Optional.of(Base64.getDecoder().decode(s.getBytes(StandardCharsets.US_ASCII)));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Puts the throttle's account check in front of the chain, and remembers the account for the outcome. */
    private final class ThrottledVerifier implements CredentialVerifier {
        private final CredentialVerifier chain;
        volatile String account;
        volatile boolean locked;

        ThrottledVerifier(CredentialVerifier chain) {
            this.chain = chain;
        }

        @Override
        public AuthResult verifyPassword(String identity, char[] password, AuthContext ctx) {
            account = identity;
            if (service.throttle().check(address(), identity) instanceof AuthThrottle.Verdict.Locked l) {
                locked = true;
                return AuthResult.temporaryFailure(l.key() + " locked out for " + l.remaining().toSeconds() + "s");
            }
            return chain.verifyPassword(identity, password, ctx);
        }

        @Override
        public ScramLookup scramCredential(String identity, AuthContext ctx) {
            account = identity;
            if (service.throttle().check(address(), identity) instanceof AuthThrottle.Verdict.Locked l) {
                locked = true;
                return new ScramLookup.Unavailable(l.key() + " locked out for " + l.remaining().toSeconds() + "s", true);
            }
            return chain.scramCredential(identity, ctx);
        }
    }

}

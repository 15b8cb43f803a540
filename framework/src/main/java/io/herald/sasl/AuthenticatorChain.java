package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.Authenticator;
import io.herald.api.auth.ScramCredential;
import io.herald.api.auth.SenderPolicy;
import io.herald.api.mail.MailAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The {@link Authenticator} chain of one moment (take a new one from each registry snapshot), with the failure
 * policy of the extension point: each call runs on {@code executor} with a time limit; an authenticator that
 * throws or times out is logged and counts as a temporary failure — never as success (fail closed).
 *
 * <p>Order: authenticators by priority. For a password the first {@code Authenticated} or {@code Failed} decides;
 * {@code UnknownUser} asks the next one; when no one decides, the answer is {@code TemporaryFailure} if any
 * authenticator failed to answer, otherwise {@code UnknownUser}.
 *
 * <p>Threading: thread-safe. The calls block the calling thread until the answer or the time limit: call from a
 * worker thread, never from a network I/O thread, and never from a thread of {@code executor} itself.
 */
public final class AuthenticatorChain implements CredentialVerifier, SenderPolicy {

    private static final Logger log = LoggerFactory.getLogger(AuthenticatorChain.class);

    private final List<Authenticator> authenticators;
    private final ExecutorService executor;
    private final Duration timeout;

    /**
     * @param authenticators the chain, in order (the registry's snapshot is already sorted by priority)
     * @param executor       a bounded executor for the calls into plugins
     * @param timeout        the time limit of one call
     */
    public AuthenticatorChain(List<Authenticator> authenticators, ExecutorService executor, Duration timeout) {
        this.authenticators = List.copyOf(authenticators);
        this.executor = executor;
        this.timeout = timeout;
    }

    public List<Authenticator> authenticators() {
        return authenticators;
    }

    @Override
    public AuthResult verifyPassword(String identity, char[] password, AuthContext context) {
        String temporary = null;
        for (Authenticator a : authenticators) {
            Outcome<AuthResult> o = call(a, "verifyPassword", () -> a.verifyPassword(identity, password, context));
            if (o.error != null) {
                temporary = o.error;
                continue;
            }
            AuthResult r = o.value;
            if (r == null) {
                log.warn("authenticator {} answered null for '{}'; treated as a temporary failure", name(a), identity);
                temporary = name(a) + " answered null";
            } else if (r instanceof AuthResult.TemporaryFailure t) {
                temporary = name(a) + ": " + t.reason();
            } else if (!(r instanceof AuthResult.UnknownUser)) {
                return r;
            }
        }
        return temporary != null ? AuthResult.temporaryFailure(temporary) : AuthResult.unknownUser();
    }

    @Override
    public ScramLookup scramCredential(String identity, AuthContext context) {
        String temporary = null;
        for (Authenticator a : authenticators) {
            Outcome<Optional<ScramCredential>> o = call(a, "scramCredential", () -> a.scramCredential(identity, context));
            if (o.error != null) {
                temporary = o.error;
            } else if (o.value != null && o.value.isPresent()) {
                return new ScramLookup.Found(o.value.get());
            }
        }
        return temporary != null ? new ScramLookup.Unavailable(temporary, false) : new ScramLookup.Unknown();
    }

    /**
     * Allows the principal's own address, any address an authenticator lists for it, and the null reverse-path
     * (RFC 6409 does not forbid a submitted message with {@code MAIL FROM:<>}, e.g. a read receipt).
     * Comparison ignores the case of the address.
     */
    @Override
    public Decision check(String principal, Optional<MailAddress> sender) {
        if (sender.isEmpty()) return Decision.ALLOW;
        String wanted = sender.get().canonical();
        if (wanted.equals(principal.toLowerCase(Locale.ROOT))) return Decision.ALLOW;
        boolean temporary = false;
        for (Authenticator a : authenticators) {
            Outcome<Set<String>> o = call(a, "addressesOf", () -> a.addressesOf(principal));
            if (o.error != null) {
                temporary = true;
            } else if (o.value != null) {
                for (String s : o.value) if (s.toLowerCase(Locale.ROOT).equals(wanted)) return Decision.ALLOW;
            }
        }
        return temporary ? Decision.TEMPORARY_FAILURE : Decision.DENY;
    }

    private <T> Outcome<T> call(Authenticator a, String what, Callable<T> task) {
        Future<T> f;
        try {
            f = executor.submit(task);
        } catch (RejectedExecutionException e) {
            log.warn("authenticator {}: {} refused, the executor is full", name(a), what);
            return new Outcome<>(null, "executor full");
        }
        try {
            return new Outcome<>(f.get(timeout.toMillis(), TimeUnit.MILLISECONDS), null);
        } catch (TimeoutException e) {
            f.cancel(true);
            log.warn("authenticator {}: {} did not answer within {} ms; treated as a temporary failure", name(a), what, timeout.toMillis());
            return new Outcome<>(null, name(a) + " timed out");
        } catch (ExecutionException e) {
            log.warn("authenticator {}: {} failed; treated as a temporary failure", name(a), what, e.getCause());
            return new Outcome<>(null, name(a) + " failed: " + e.getCause());
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            return new Outcome<>(null, "interrupted");
        }
    }

    private static String name(Authenticator a) {
        return a.getClass().getName();
    }

    private record Outcome<T>(T value, String error) { }
}

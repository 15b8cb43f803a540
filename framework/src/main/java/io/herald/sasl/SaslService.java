package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.Authenticator;
import io.herald.api.auth.SenderPolicy;
import io.herald.api.config.Configuration;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * Server-wide SASL: the mechanisms offered, the authenticator chain, the throttle and the executors. A protocol
 * layer keeps one and asks it for {@link #mechanisms(boolean)} (EHLO's AUTH keyword) and {@link #begin} (one
 * exchange per AUTH command).
 *
 * <p>Configuration (pid {@code auth}): {@code mechanisms} (default {@code SCRAM-SHA-256, PLAIN, LOGIN}),
 * {@code plaintext.requires.tls} (true: PLAIN and LOGIN are offered and accepted only under TLS, RFC 8314),
 * {@code plaintext.loopback} (false: true offers and accepts PLAIN and LOGIN without TLS to loopback clients only, for
 * local tools and tests), {@code timeout} (10s: the time limit of one authenticator call), and the throttle's keys
 * ({@link AuthThrottle}).
 */
public final class SaslService {

    public static final List<String> ALL = List.of(ScramSha256Mechanism.NAME, PlainMechanism.NAME, LoginMechanism.NAME);

    private final Supplier<List<Authenticator>> authenticators;
    private final AuthThrottle throttle;
    private final ExecutorService pluginCalls;
    private final ExecutorService workers;
    private final Duration timeout;
    private final List<String> offered;
    private final boolean plaintextRequiresTls;
    private boolean plaintextLoopback;

    /**
     * @param authenticators the current chain, e.g. {@code () -> registry.snapshot().authenticators()}
     * @param pluginCalls    bounded executor the calls into authenticators run on (with {@code timeout})
     * @param workers        executor the mechanisms run on; must not be {@code pluginCalls}
     */
    public SaslService(Supplier<List<Authenticator>> authenticators, AuthThrottle throttle, ExecutorService pluginCalls,
                       ExecutorService workers, Duration timeout, List<String> offered, boolean plaintextRequiresTls) {
        if (pluginCalls == workers) throw new IllegalArgumentException("the mechanisms wait for plugin calls: use two executors");
        this.authenticators = authenticators;
        this.throttle = throttle;
        this.pluginCalls = pluginCalls;
        this.workers = workers;
        this.timeout = timeout;
        this.offered = offered.stream().map(s -> s.toUpperCase(Locale.ROOT)).toList();
        this.plaintextRequiresTls = plaintextRequiresTls;
    }

    /** Reads {@code mechanisms}, {@code plaintext.requires.tls} and {@code timeout} from the {@code auth} configuration. */
    public static SaslService fromConfig(Configuration auth, Supplier<List<Authenticator>> authenticators, AuthThrottle throttle,
                                         ExecutorService pluginCalls, ExecutorService workers) {
        List<String> mechs = auth.getList("mechanisms", ALL);
        for (String m : mechs) {
            if (!ALL.contains(m.toUpperCase(Locale.ROOT))) throw auth.invalid("mechanisms", auth.get("mechanisms", ""), "a list of " + String.join(", ", ALL));
        }
        SaslService s = new SaslService(authenticators, throttle, pluginCalls, workers, auth.getDuration("timeout", Duration.ofSeconds(10)),
                mechs, auth.getBoolean("plaintext.requires.tls", true));
        s.plaintextLoopback = auth.getBoolean("plaintext.loopback", false);
        return s;
    }

    /** The mechanisms to advertise (EHLO {@code AUTH ...}) on a connection that is ({@code tls}) or is not encrypted. */
    public List<String> mechanisms(boolean tls) {
        return mechanisms(tls, null);
    }

    /** The mechanisms to advertise to {@code remote} (which matters with {@code plaintext.loopback}). */
    public List<String> mechanisms(boolean tls, InetSocketAddress remote) {
        return offered.stream().filter(m -> tls || !requiresTls(m, remote)).toList();
    }

    /** A new exchange for one AUTH command; an unknown mechanism gives an exchange that answers {@code 504 5.5.4}. */
    public SaslExchange begin(String mechanism, AuthContext context) {
        String name = mechanism.toUpperCase(Locale.ROOT);
        AuthContext ctx = new AuthContext(name, context.listener(), context.remote(), context.tls());
        return new SaslExchange(name, ctx, this, chain());
    }

    /** The sender policy of the current chain: ask at MAIL FROM on submission. */
    public SenderPolicy senderPolicy() {
        return chain();
    }

    /** The current authenticator chain, with its time limit. */
    public AuthenticatorChain chain() {
        return new AuthenticatorChain(authenticators.get(), pluginCalls, timeout);
    }

    public AuthThrottle throttle() {
        return throttle;
    }

    ExecutorService workers() {
        return workers;
    }

    boolean requiresTls(String mechanism, InetSocketAddress remote) {
        if (!plaintextRequiresTls || !(mechanism.equals(PlainMechanism.NAME) || mechanism.equals(LoginMechanism.NAME))) return false;
        boolean loopback = remote != null && remote.getAddress() != null && remote.getAddress().isLoopbackAddress();
        return !(plaintextLoopback && loopback);
    }

    SaslMechanism mechanism(String name, CredentialVerifier verifier, AuthContext context) {
        if (!offered.contains(name)) return null;
        return switch (name) {
            case PlainMechanism.NAME -> new PlainMechanism(verifier, context);
            case LoginMechanism.NAME -> new LoginMechanism(verifier, context);
            case ScramSha256Mechanism.NAME -> new ScramSha256Mechanism(verifier, context);
            default -> null;
        };
    }
}

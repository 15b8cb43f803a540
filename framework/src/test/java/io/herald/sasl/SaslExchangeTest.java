package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.Authenticator;
import io.herald.api.auth.ScramCredential;
import io.herald.api.auth.SenderPolicy;
import io.herald.api.mail.MailAddress;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SaslExchangeTest {

    final MutableClock clock = new MutableClock();
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    final ExecutorService plugins = Executors.newFixedThreadPool(2);
    final ExecutorService workers = Executors.newFixedThreadPool(2);
    final List<Authenticator> chain = new ArrayList<>();
    final AuthThrottle throttle = new AuthThrottle(new AuthThrottle.Limits(1, Duration.ofMinutes(10), Duration.ofMinutes(10), 4,
            Duration.ofMinutes(15), Duration.ofMinutes(15), 4, 20, Duration.ofDays(30), 10), clock, scheduler);
    // the time limit must hold the hanging authenticator, yet let a real one verify a password on a loaded machine
    final SaslService service = new SaslService(() -> chain, throttle, plugins, workers, Duration.ofSeconds(2), SaslService.ALL, true);
    final AuthContext tls = new AuthContext("", "submission", new InetSocketAddress("127.0.0.1", 40000), true);
    final AuthContext clear = new AuthContext("", "submission", new InetSocketAddress("127.0.0.1", 40000), false);

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
        plugins.shutdownNow();
        workers.shutdownNow();
    }

    static final class Users implements Authenticator {
        final ScramCredential elsa = ScramCredential.derive("elsa@herald.test", "let it go".toCharArray(), new byte[16], 4096);

        @Override
        public AuthResult verifyPassword(String identity, char[] password, AuthContext context) {
            if (!identity.equalsIgnoreCase("elsa@herald.test")) return AuthResult.unknownUser();
            return elsa.matches(password) ? AuthResult.authenticated("elsa@herald.test") : AuthResult.failed("wrong");
        }

        @Override
        public Optional<ScramCredential> scramCredential(String identity, AuthContext context) {
            return identity.equalsIgnoreCase("elsa@herald.test") ? Optional.of(elsa) : Optional.empty();
        }

        @Override
        public Set<String> addressesOf(String principal) {
            return principal.equals("elsa@herald.test") ? Set.of("postmaster@herald.test") : Set.of();
        }
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static SaslExchange.Outcome get(java.util.concurrent.CompletionStage<SaslExchange.Outcome> s) throws Exception {
        return s.toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    @Test
    void plainWithInitialResponse() throws Exception {
        chain.add(new Users());
        SaslExchange.Outcome o = get(service.begin("plain", tls).start(Optional.of(b64("\0elsa@herald.test\0let it go"))));
        assertThat(o).isEqualTo(new SaslExchange.Outcome.Success("elsa@herald.test"));
        assertThat(o.smtpReply()).isEqualTo("235 2.7.0 Authentication successful");
    }

    @Test
    void plainInTwoStepsAndEqualsForEmpty() throws Exception {
        chain.add(new Users());
        SaslExchange ex = service.begin("PLAIN", tls);
        assertThat(get(ex.start(Optional.empty())).smtpReply()).isEqualTo("334 ");
        assertThat(get(ex.respond(b64("\0elsa@herald.test\0let it go")))).isInstanceOf(SaslExchange.Outcome.Success.class);
        SaslExchange empty = service.begin("PLAIN", tls);
        assertThat(get(empty.start(Optional.of("="))).smtpReply()).isEqualTo("501 5.5.2 Cannot decode the response");
    }

    @Test
    void replyCodes() throws Exception {
        chain.add(new Users());
        assertThat(get(service.begin("CRAM-MD5", tls).start(Optional.empty())).smtpReply()).startsWith("504 5.5.4");
        assertThat(get(service.begin("PLAIN", clear).start(Optional.empty())).smtpReply()).startsWith("538 5.7.11");
        assertThat(get(service.begin("LOGIN", clear).start(Optional.empty())).smtpReply()).startsWith("538 5.7.11");
        assertThat(get(service.begin("PLAIN", tls).start(Optional.of("not base64!"))).smtpReply()).startsWith("501 5.5.2");
        assertThat(get(service.begin("PLAIN", tls).start(Optional.of(b64("no nuls")))).smtpReply()).startsWith("501 5.5.2");
        assertThat(get(service.begin("PLAIN", tls).start(Optional.of("*"))).smtpReply()).startsWith("501 5.7.0");
        SaslExchange login = service.begin("LOGIN", tls);
        assertThat(get(login.start(Optional.empty())).smtpReply()).isEqualTo("334 VXNlcm5hbWU6");
        assertThat(get(login.respond("*")).smtpReply()).startsWith("501 5.7.0");
        assertThat(login.isDone()).isTrue();
        assertThat(service.mechanisms(false)).containsExactly("SCRAM-SHA-256");
        assertThat(service.mechanisms(true)).containsExactly("SCRAM-SHA-256", "PLAIN", "LOGIN");
    }

    @Test
    void wrongPasswordsAreDelayedThenLockedOutAndSuccessIsNotDelayed() throws Exception {
        chain.add(new Users());
        String wrong = b64("\0elsa@herald.test\0wrong");
        assertThat(get(service.begin("PLAIN", tls).start(Optional.of(wrong))).smtpReply()).startsWith("535 5.7.8");
        // from the second failure on, the reply is held back (10 minutes here) by the scheduler; no thread waits
        var held = new ArrayList<java.util.concurrent.CompletableFuture<SaslExchange.Outcome>>();
        for (int i = 0; i < 3; i++) held.add(service.begin("PLAIN", tls).start(Optional.of(wrong)).toCompletableFuture());
        org.awaitility.Awaitility.await().until(() -> throttle.failures(null, "elsa@herald.test") == 4
                && throttle.check(tls.remote().getAddress(), "elsa@herald.test") instanceof AuthThrottle.Verdict.Locked);
        assertThat(held).allSatisfy(f -> assertThat(f).isNotDone());
        // 4 failures: locked out, even with the right password, before the authenticator is asked
        var locked = get(service.begin("PLAIN", tls).start(Optional.of(b64("\0elsa@herald.test\0let it go"))));
        assertThat(locked).isEqualTo(new SaslExchange.Outcome.Failure(SaslFailure.LOCKED_OUT, ((SaslExchange.Outcome.Failure) locked).logDetail()));
        assertThat(locked.smtpReply()).startsWith("454 4.7.0");
        clock.advance(Duration.ofMinutes(16));
        // success is never delayed (a delay here would be 10 minutes, far beyond get's 5 s)
        assertThat(get(service.begin("PLAIN", tls).start(Optional.of(b64("\0elsa@herald.test\0let it go")))))
                .isInstanceOf(SaslExchange.Outcome.Success.class);
    }

    @Test
    void anAuthenticatorThatThrowsOrHangsFailsClosed() throws Exception {
        chain.add(new Authenticator() {
            @Override
            public AuthResult verifyPassword(String identity, char[] password, AuthContext context) {
                throw new IllegalStateException("directory down");
            }
        });
        assertThat(get(service.begin("PLAIN", tls).start(Optional.of(b64("\0elsa@herald.test\0let it go")))).smtpReply())
                .startsWith("454 4.7.0");
        chain.clear();
        chain.add(new Authenticator() {
            @Override
            public AuthResult verifyPassword(String identity, char[] password, AuthContext context) throws Exception {
                Thread.sleep(10_000);
                return AuthResult.authenticated(identity);
            }
        });
        assertThat(get(service.begin("PLAIN", tls).start(Optional.of(b64("\0elsa@herald.test\0let it go")))).smtpReply())
                .startsWith("454 4.7.0");
        // a later authenticator that knows the user still decides
        chain.add(new Users());
        assertThat(get(service.begin("PLAIN", tls).start(Optional.of(b64("\0elsa@herald.test\0let it go")))))
                .isInstanceOf(SaslExchange.Outcome.Success.class);
        assertThat(get(service.begin("PLAIN", tls).start(Optional.of(b64("\0nobody@herald.test\0x")))).smtpReply())
                .startsWith("454 4.7.0");
    }

    @Test
    void scramThroughTheExchangeEndsWithTheServerSignatureThenAnEmptyLine() throws Exception {
        chain.add(new Users());
        SaslExchange ex = service.begin("SCRAM-SHA-256", clear); // SCRAM never shows the password: allowed without TLS
        String clientFirstBare = "n=elsa@herald.test,r=abcdefgh";
        SaslExchange.Outcome first = get(ex.start(Optional.of(b64("n,," + clientFirstBare))));
        String serverFirst = new String(Base64.getDecoder().decode(((SaslExchange.Outcome.Continue) first).challengeBase64()), StandardCharsets.UTF_8);
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
        byte[] salted = ScramCredential.saltedPassword("let it go".toCharArray(), new byte[16], 4096);
        byte[] clientKey = ScramCredential.hmac(salted, "Client Key");
        String withoutProof = "c=biws,r=" + nonce;
        byte[] sig = ScramCredential.hmac(ScramCredential.sha256(clientKey), (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8));
        byte[] proof = new byte[32];
        for (int i = 0; i < 32; i++) proof[i] = (byte) (clientKey[i] ^ sig[i]);
        SaslExchange.Outcome fin = get(ex.respond(b64(withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof))));
        assertThat(fin.smtpReply()).startsWith("334 ");
        assertThat(new String(Base64.getDecoder().decode(fin.smtpReply().substring(4)))).startsWith("v=");
        assertThat(get(ex.respond(""))).isEqualTo(new SaslExchange.Outcome.Success("elsa@herald.test"));
    }

    @Test
    void senderPolicy() {
        chain.add(new Users());
        SenderPolicy p = service.senderPolicy();
        assertThat(p.check("elsa@herald.test", Optional.of(new MailAddress("Elsa", "HERALD.test")))).isEqualTo(SenderPolicy.Decision.ALLOW);
        assertThat(p.check("elsa@herald.test", Optional.of(new MailAddress("postmaster", "herald.test")))).isEqualTo(SenderPolicy.Decision.ALLOW);
        assertThat(p.check("elsa@herald.test", Optional.of(new MailAddress("olaf", "herald.test")))).isEqualTo(SenderPolicy.Decision.DENY);
        assertThat(p.check("elsa@herald.test", Optional.empty())).isEqualTo(SenderPolicy.Decision.ALLOW);
        chain.add(0, new Authenticator() {
            @Override public AuthResult verifyPassword(String i, char[] pw, AuthContext c) { return AuthResult.unknownUser(); }
            @Override public Set<String> addressesOf(String principal) { throw new IllegalStateException("down"); }
        });
        assertThat(service.senderPolicy().check("elsa@herald.test", Optional.of(new MailAddress("olaf", "herald.test"))))
                .isEqualTo(SenderPolicy.Decision.TEMPORARY_FAILURE);
    }
}

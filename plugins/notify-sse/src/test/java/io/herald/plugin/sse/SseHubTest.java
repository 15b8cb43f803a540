package io.herald.plugin.sse;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.Logins;
import io.herald.api.auth.SaslOutcome;
import io.herald.api.auth.SaslServer;
import io.herald.api.config.Configuration;
import io.herald.api.http.HttpRequest;
import io.herald.api.http.HttpResponse;
import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.plugin.PluginContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The stream's authentication with a {@link Logins} that follows the core's contract (the TLS rule, the outcomes);
 * the core's real implementation, its throttle and a real HTTP client are in the distribution's
 * {@code NotifyEndToEndTest}.
 */
class SseHubTest {

    static final String OLAF = "olaf@herald.test";
    static final String PW = "Snowman:with a colon";
    static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 50000);
    static final InetSocketAddress REMOTE = new InetSocketAddress("192.0.2.7", 50000);

    @TempDir
    Path data;

    /** The core's contract: plaintext under TLS, or from loopback when allowed; locked/down users; a hanging one. */
    static final class FakeLogins implements Logins {
        volatile boolean loopbackPlaintext;
        volatile boolean plainEnabled = true;
        final List<AuthContext> asked = new CopyOnWriteArrayList<>();
        final List<String> identities = new CopyOnWriteArrayList<>();
        final CompletableFuture<SaslOutcome> hanging = new CompletableFuture<>();
        volatile char[] lastPassword;

        @Override public List<String> mechanisms(AuthContext c) {
            return plainEnabled && plaintextAllowed(c) ? List.of("SCRAM-SHA-256", "PLAIN") : List.of("SCRAM-SHA-256");
        }

        @Override public boolean plaintextAllowed(AuthContext c) {
            return c.tls() || (loopbackPlaintext && c.remote() != null && c.remote().getAddress().isLoopbackAddress());
        }

        @Override public SaslServer begin(String mechanism, AuthContext c) {
            throw new UnsupportedOperationException("the stream uses password()");
        }

        @Override public CompletionStage<SaslOutcome> password(String identity, char[] password, AuthContext c) {
            asked.add(c);
            identities.add(identity);
            lastPassword = password;
            if (!plainEnabled) return done(SaslOutcome.Kind.UNSUPPORTED_MECHANISM);
            if (!plaintextAllowed(c)) return done(SaslOutcome.Kind.ENCRYPTION_REQUIRED);
            return switch (identity) {
                case "locked@herald.test" -> done(SaslOutcome.Kind.LOCKED_OUT);
                case "down@herald.test" -> done(SaslOutcome.Kind.TEMPORARY);
                case "hangs@herald.test" -> hanging;
                default -> identity.equalsIgnoreCase(OLAF) && new String(password).equals(PW)
                        ? CompletableFuture.completedFuture(new SaslOutcome.Success(OLAF))
                        : done(SaslOutcome.Kind.INVALID_CREDENTIALS);
            };
        }

        private static CompletionStage<SaslOutcome> done(SaslOutcome.Kind kind) {
            return CompletableFuture.completedFuture(new SaslOutcome.Failure(kind));
        }
    }

    record Request(String method, String path, Map<String, String> headerMap, InetSocketAddress remote, boolean secure) implements HttpRequest {
        static Request get(String authorization, InetSocketAddress remote, boolean secure) {
            Map<String, String> h = new HashMap<>();
            if (authorization != null) h.put("authorization", authorization);
            return new Request("GET", "/events", h, remote, secure);
        }

        @Override public Optional<String> query(String name) { return Optional.empty(); }
        @Override public Optional<String> header(String name) { return Optional.ofNullable(headerMap.get(name.toLowerCase(Locale.ROOT))); }
        @Override public List<String> headers(String name) { return header(name).map(List::of).orElse(List.of()); }
        @Override public InputStream body() { return new ByteArrayInputStream(new byte[0]); }
    }

    static final class Response implements HttpResponse {
        final List<String[]> headers = new CopyOnWriteArrayList<>();
        volatile int status;
        volatile String body = "";
        final ByteArrayOutputStream streamed = new ByteArrayOutputStream();

        @Override public HttpResponse header(String name, String value) {
            headers.add(new String[] {name, value});
            return this;
        }

        @Override public void send(int status, String contentType, byte[] body) {
            this.status = status;
            this.body = new String(body, StandardCharsets.UTF_8);
        }

        @Override public OutputStream stream(int status, String contentType) {
            this.status = status;
            return new OutputStream() {
                @Override public void write(int b) { synchronized (streamed) { streamed.write(b); } }
                @Override public void write(byte[] b, int off, int len) { synchronized (streamed) { streamed.write(b, off, len); } }
            };
        }

        List<String> header(String name) {
            List<String> values = new ArrayList<>();
            for (String[] h : headers) if (h[0].equalsIgnoreCase(name)) values.add(h[1]);
            return values;
        }

        String streamed() {
            synchronized (streamed) { return streamed.toString(StandardCharsets.UTF_8); }
        }
    }

    final FakeLogins logins = new FakeLogins();

    SseHub hub(Map<String, String> values) {
        return new SseHub(new PluginContext("notify-sse", config(values), data, false), logins);
    }

    static Configuration config(Map<String, String> values) {
        return new Configuration() {
            @Override public String pid() { return "notify-sse"; }
            @Override public Optional<String> get(String key) { return Optional.ofNullable(values.get(key)); }
            @Override public Set<String> keys() { return values.keySet(); }
        };
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    Response get(SseHub hub, String authorization, InetSocketAddress remote, boolean secure) throws Exception {
        Response r = new Response();
        hub.handle(Request.get(authorization, remote, secure), r);
        return r;
    }

    static final Set<String> BOTH = Set.of("Basic realm=\"herald\", charset=\"UTF-8\"", "Bearer realm=\"herald\"");

    @Test
    void theRightPasswordOverTlsOpensTheUsersStreamThroughTheCoresLogins() throws Exception {
        SseHub hub = hub(Map.of());
        Response r = new Response();
        Thread handler = new Thread(() -> {
            try {
                hub.handle(Request.get(basic("Olaf@Herald.test", PW), REMOTE, true), r);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        handler.start();
        waitFor(() -> hub.openStreams() == 1);
        hub.onEvent(new MailboxEvent.MessageAdded(OLAF, "INBOX", 1, 1, "Elsa <elsa@herald.test>", "Snow", 10, false, Instant.now()));
        hub.onEvent(new MailboxEvent.MessageAdded("elsa@herald.test", "INBOX", 1, 1, "Olaf", "not for olaf", 10, false, Instant.now()));
        waitFor(() -> r.streamed().contains("\"subject\":\"Snow\""));
        hub.close();
        handler.join(10_000);
        assertThat(r.status).isEqualTo(200);
        assertThat(r.streamed()).contains(": herald events for olaf@herald.test", "event: message.added").doesNotContain("not for olaf");
        assertThat(logins.identities).as("the user-id as sent (the core canonicalises); the password kept its colon")
                .containsExactly("Olaf@Herald.test");
        AuthContext ctx = logins.asked.get(0);
        assertThat(ctx.tls()).isTrue();
        assertThat(ctx.remote()).isEqualTo(REMOTE);
        assertThat(ctx.listener()).isEqualTo("http");
    }

    @Test
    void aWrongPasswordAndAnUnknownUserGetTheSame401WithBothChallenges() throws Exception {
        SseHub hub = hub(Map.of());
        Response wrong = get(hub, basic(OLAF, "wrong"), REMOTE, true);
        Response unknown = get(hub, basic("nobody@herald.test", PW), REMOTE, true);
        for (Response r : List.of(wrong, unknown)) {
            assertThat(r.status).isEqualTo(401);
            assertThat(r.header("WWW-Authenticate")).containsExactlyInAnyOrderElementsOf(BOTH);
        }
        assertThat(wrong.body).isEqualTo(unknown.body);
        Response none = get(hub, null, REMOTE, true);
        assertThat(none.status).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).containsExactlyInAnyOrderElementsOf(BOTH);
        assertThat(hub.openStreams()).isZero();
    }

    @Test
    void basicOverPlainHttpIsRefusedWithoutCheckingThePasswordUnlessTheCoreAllowsPlaintextThere() throws Exception {
        SseHub hub = hub(Map.of());
        for (InetSocketAddress from : List.of(REMOTE, LOOPBACK)) {
            Response r = get(hub, basic(OLAF, PW), from, false);
            assertThat(r.status).isEqualTo(401);
            assertThat(r.body).contains("HTTPS");
            assertThat(r.header("WWW-Authenticate")).as("Basic is not offered where it cannot succeed").containsExactly("Bearer realm=\"herald\"");
        }
        assertThat(logins.asked).as("a password sent in the clear is never checked (nor counted)").isEmpty();

        logins.loopbackPlaintext = true;   // auth.cfg: plaintext.loopback = true
        assertThat(get(hub, basic(OLAF, PW), REMOTE, false).status).isEqualTo(401);
        assertThat(logins.asked).isEmpty();
        assertThat(get(hub, basic(OLAF, "wrong"), LOOPBACK, false).header("WWW-Authenticate")).containsExactlyInAnyOrderElementsOf(BOTH);
        assertThat(logins.asked).hasSize(1);
    }

    @Test
    void aLockoutIs429AndAnUnavailableAuthenticator503() throws Exception {
        SseHub hub = hub(Map.of());
        Response locked = get(hub, basic("locked@herald.test", PW), REMOTE, true);
        assertThat(locked.status).isEqualTo(429);
        assertThat(locked.header("WWW-Authenticate")).isEmpty();
        Response down = get(hub, basic("down@herald.test", PW), REMOTE, true);
        assertThat(down.status).isEqualTo(503);
        assertThat(down.header("Retry-After")).containsExactly("5");
    }

    @Test
    void malformedCredentialsAre401WithoutAskingTheCore() throws Exception {
        SseHub hub = hub(Map.of());
        for (String bad : List.of("Basic !!!", "Basic " + Base64.getEncoder().encodeToString("no-colon".getBytes(StandardCharsets.UTF_8)),
                "Basic " + Base64.getEncoder().encodeToString(":empty-user".getBytes(StandardCharsets.UTF_8)), "Basic ")) {
            Response r = get(hub, bad, REMOTE, true);
            assertThat(r.status).as(bad).isEqualTo(401);
            assertThat(r.body).contains("malformed");
        }
        assertThat(logins.asked).isEmpty();
    }

    @Test
    void passwordsOffOrPlainDisabledInTheCoreAre401WithOnlyBearer() throws Exception {
        SseHub off = hub(Map.of("password", "false"));
        Response r = get(off, basic(OLAF, PW), REMOTE, true);
        assertThat(r.status).isEqualTo(401);
        assertThat(r.header("WWW-Authenticate")).containsExactly("Bearer realm=\"herald\"");
        assertThat(logins.asked).isEmpty();

        logins.plainEnabled = false;   // auth.cfg: mechanisms without PLAIN
        Response noPlain = get(hub(Map.of()), basic(OLAF, PW), REMOTE, true);
        assertThat(noPlain.status).isEqualTo(401);
        assertThat(noPlain.header("WWW-Authenticate")).containsExactly("Bearer realm=\"herald\"");
    }

    @Test
    void passwordChecksWaitingAtTheSameTimeAreBoundedAndAHangingCheckEndsIn503() throws Exception {
        SseHub hub = hub(Map.of("passwordChecks", "1"));
        hub.loginWait = Duration.ofSeconds(30);
        Response first = new Response();
        Thread waiting = new Thread(() -> {
            try {
                hub.handle(Request.get(basic("hangs@herald.test", PW), REMOTE, true), first);
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        });
        waiting.start();
        waitFor(() -> logins.asked.size() == 1);
        Response second = get(hub, basic(OLAF, PW), REMOTE, true);
        assertThat(second.status).as("the only slot is taken").isEqualTo(503);
        assertThat(second.header("Retry-After")).containsExactly("5");
        logins.hanging.complete(new SaslOutcome.Failure(SaslOutcome.Kind.INVALID_CREDENTIALS));
        waiting.join(10_000);
        assertThat(first.status).isEqualTo(401);

        FakeLogins fresh = new FakeLogins();
        SseHub hangs = new SseHub(new PluginContext("notify-sse", config(Map.of()), data, false), fresh);
        hangs.loginWait = Duration.ofMillis(50);
        Response timedOut = get(hangs, basic("hangs@herald.test", PW), REMOTE, true);
        assertThat(timedOut.status).as("a check that does not complete fails closed").isEqualTo(503);
        assertThat(new String(fresh.lastPassword)).as("not wiped while the core may still read it").isEqualTo(PW);
        fresh.hanging.complete(new SaslOutcome.Failure(SaslOutcome.Kind.INVALID_CREDENTIALS));
        assertThat(new String(fresh.lastPassword)).as("wiped once the check completed").isEqualTo("\0".repeat(PW.length()));
        assertThat(get(hangs, basic(OLAF, "wrong"), REMOTE, true).status).as("its slot was given back").isEqualTo(401);
    }

    @Test
    void theTokenStillWorksAndAWrongTokenIs401() throws Exception {
        SseHub hub = hub(Map.of("token." + OLAF, "olaf-token-0123456789abcdef"));
        Response wrong = get(hub, "Bearer not-the-token-of-anyone", LOOPBACK, false);
        assertThat(wrong.status).isEqualTo(401);
        assertThat(wrong.header("WWW-Authenticate")).containsExactly("Bearer realm=\"herald\"");
        assertThat(logins.asked).isEmpty();
    }

    static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("not within 30 s");
            Thread.sleep(10);
        }
    }
}

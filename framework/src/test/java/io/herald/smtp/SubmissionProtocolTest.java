package io.herald.smtp;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.Authenticator;
import io.herald.api.auth.ScramCredential;
import io.herald.api.config.ServerIdentity;
import io.herald.api.routing.Router;
import io.herald.config.ConfigStore;
import io.herald.config.HeraldPaths;
import io.herald.host.ExtensionRegistry;
import io.herald.host.Plugin;
import io.herald.sasl.AuthThrottle;
import io.herald.sasl.SaslService;
import io.herald.tls.TlsContextProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.assertj.core.api.Assertions.assertThat;

/** STARTTLS (RFC 3207), implicit TLS (RFC 8314) and AUTH (RFC 4954) on the protocol level, with a raw client. */
class SubmissionProtocolTest {

    static final ServerIdentity IDENTITY = SmtpServerTest.IDENTITY;
    static final ScramCredential ELSA = ScramCredential.create("elsa@herald.test", "elsa-secret".toCharArray(), 4096);

    /** Knows elsa@herald.test, who may also send as info@herald.test. */
    static final Authenticator USERS = new Authenticator() {
        @Override public AuthResult verifyPassword(String identity, char[] password, AuthContext context) {
            if (!identity.equalsIgnoreCase(ELSA.principal())) return AuthResult.unknownUser();
            return ELSA.matches(password) ? AuthResult.authenticated(ELSA.principal()) : AuthResult.failed("wrong password");
        }
        @Override public Optional<ScramCredential> scramCredential(String identity, AuthContext context) {
            return identity.equalsIgnoreCase(ELSA.principal()) ? Optional.of(ELSA) : Optional.empty();
        }
        @Override public Set<String> addressesOf(String principal) {
            return principal.equals(ELSA.principal()) ? Set.of("info@herald.test") : Set.of();
        }
    };

    @TempDir static Path home;   // one self-signed certificate for the class
    @TempDir Path tmp;
    SmtpServer server;
    final ExecutorService calls = Executors.newFixedThreadPool(2);
    final ExecutorService workers = Executors.newFixedThreadPool(2);
    final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    TempDirQueue queue;

    @AfterEach
    void stop() {
        if (server != null) server.close();
        calls.shutdownNow();
        workers.shutdownNow();
        scheduler.shutdownNow();
    }

    int start(ListenerRole role, Map<String, String> config, Map<String, String> auth) throws Exception {
        Map<String, String> c = new HashMap<>(config);
        c.put("port", "0");
        queue = new TempDirQueue(tmp);
        ExtensionRegistry registry = new ExtensionRegistry();
        registry.add(new Plugin("test", "1", Map.of(Router.class, List.of(SmtpServerTest.TEST_ROUTER), Authenticator.class, List.of(USERS))));
        TlsContextProvider tls = TlsContextProvider.fromConfig(new ConfigStore.MapConfiguration("tls", Map.of()),
                new HeraldPaths(home), IDENTITY.hostname(), Clock.systemUTC());
        var authConfig = new ConfigStore.MapConfiguration("auth", auth);
        AuthThrottle throttle = new AuthThrottle(AuthThrottle.Limits.from(authConfig), Clock.systemUTC(), scheduler);
        SaslService sasl = SaslService.fromConfig(authConfig, () -> registry.snapshot().authenticators(), throttle, calls, workers);
        server = new SmtpServer(SmtpSettings.from(role, new ConfigStore.MapConfiguration(role.pid(), c)), IDENTITY, registry, queue, tls, sasl);
        server.start();
        return server.port();
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    // ------------------------------------------------------------------ STARTTLS

    @Test
    void starttlsIsAdvertisedBeforeTlsOnlyAndEhloIsNeededAgain() throws Exception {
        try (Client c = new Client(start(ListenerRole.SUBMISSION, Map.of(), Map.of()))) {
            c.expect(220);
            List<String> ehlo = c.command("EHLO client.test").lines;
            assertThat(ehlo).contains("250-STARTTLS").contains("250-AUTH SCRAM-SHA-256");
            assertThat(c.command("STARTTLS now").last()).startsWith("501 5.5.4");
            assertThat(c.command("MAIL FROM:<elsa@herald.test>").last()).startsWith("530 5.7.0");
            assertThat(c.command("AUTH PLAIN " + b64("\0elsa@herald.test\0elsa-secret")).last()).startsWith("538 5.7.11");
            assertThat(c.command("STARTTLS").last()).startsWith("220 2.0.0");
            c.startTls();
            assertThat(c.command("MAIL FROM:<elsa@herald.test>").last()).startsWith("503");
            ehlo = c.command("EHLO client.test").lines;
            assertThat(ehlo).doesNotContain("250-STARTTLS").contains("250-AUTH SCRAM-SHA-256 PLAIN LOGIN");
            assertThat(c.command("STARTTLS").last()).startsWith("503 5.5.1");
        }
    }

    @Test
    void plainTextPipelinedAfterStarttlsIsDiscardedNotExecuted() throws Exception {
        try (Client c = new Client(start(ListenerRole.SUBMISSION, Map.of(), Map.of()))) {
            c.expect(220);
            c.command("EHLO client.test");
            c.send("STARTTLS\r\nRSET\r\nMAIL FROM:<x@y>\r\n");
            Reply r = c.reply();
            assertThat(r.last()).startsWith("220 2.0.0");
            assertThat(c.nothingMoreWithin(300)).as("no plain-text reply to the injected commands").isTrue();
            c.startTls();
            // the injected RSET/MAIL were not executed, and EHLO is required again
            assertThat(c.command("MAIL FROM:<x@y>").last()).startsWith("503");
            assertThat(c.command("NOOP").last()).startsWith("250");   // no stray reply is queued before this one
            assertThat(c.nothingMoreWithin(200)).isTrue();
        }
    }

    @Test
    void implicitTlsListenerNeverOffersStarttls() throws Exception {
        try (Client c = new Client(start(ListenerRole.SUBMISSIONS, Map.of(), Map.of()))) {
            c.startTls();
            c.expect(220);
            List<String> ehlo = c.command("EHLO client.test").lines;
            assertThat(ehlo).doesNotContain("250-STARTTLS").contains("250-AUTH SCRAM-SHA-256 PLAIN LOGIN");
            assertThat(c.command("STARTTLS").last()).startsWith("503 5.5.1");
        }
    }

    // ------------------------------------------------------------------ AUTH

    @Test
    void authRepliesFollowRfc4954() throws Exception {
        try (Client c = new Client(start(ListenerRole.SUBMISSIONS, Map.of(), Map.of()))) {
            c.startTls();
            c.expect(220);
            assertThat(c.command("AUTH PLAIN").last()).startsWith("503 ");   // EHLO first (no enhanced codes before EHLO)
            c.command("EHLO client.test");
            assertThat(c.command("AUTH CRAM-MD5").last()).startsWith("504 5.5.4");
            assertThat(c.command("AUTH PLAIN !!!notbase64").last()).startsWith("501 5.5.2");
            assertThat(c.command("AUTH LOGIN").last()).isEqualTo("334 " + b64("Username:"));
            assertThat(c.command("*").last()).startsWith("501");
            assertThat(c.command("AUTH PLAIN " + b64("\0elsa@herald.test\0wrong")).last()).startsWith("535 5.7.8");
            assertThat(c.command("AUTH PLAIN").last()).isEqualTo("334 ");
            assertThat(c.command(b64("\0elsa@herald.test\0elsa-secret")).last()).startsWith("235 2.7.0");
            assertThat(c.command("AUTH PLAIN " + b64("\0elsa@herald.test\0elsa-secret")).last()).startsWith("503 5.5.1");
            assertThat(c.command("EHLO client.test").lines).noneMatch(l -> l.contains("AUTH"));
            // submission: MAIL FROM must be an address the user owns
            assertThat(c.command("MAIL FROM:<olaf@herald.test>").last()).startsWith("553 5.7.1");
            assertThat(c.command("MAIL FROM:<info@herald.test>").last()).startsWith("250");
            assertThat(c.command("RSET").last()).startsWith("250");
            assertThat(c.command("MAIL FROM:<elsa@herald.test>").last()).startsWith("250");
            // an authenticated user may relay
            assertThat(c.command("RCPT TO:<someone@relay.test>").last()).startsWith("250");
            assertThat(c.command("RCPT TO:<olaf@herald.test>").last()).startsWith("250");
            assertThat(c.command("DATA").code).isEqualTo(354);
            assertThat(c.command("Subject: hi\r\n\r\nhello\r\n.").last()).startsWith("250");
        }
        assertThat(queue.committed).hasSize(1);
        String message = new String(queue.committed.get(0).spooled(), StandardCharsets.UTF_8);
        assertThat(message).contains("with ESMTPSA id");
    }

    @Test
    void authDuringATransactionIsRefused() throws Exception {
        try (Client c = new Client(start(ListenerRole.MTA, Map.of("auth", "true"), Map.of("plaintext.loopback", "true")))) {
            c.expect(220);
            assertThat(c.command("EHLO client.test").lines).contains("250-STARTTLS", "250-AUTH SCRAM-SHA-256 PLAIN LOGIN");
            assertThat(c.command("MAIL FROM:<a@example.org>").last()).startsWith("250");
            assertThat(c.command("AUTH PLAIN " + b64("\0elsa@herald.test\0elsa-secret")).last()).startsWith("503 5.5.1");
            // unauthenticated on the MTA: local recipients only, a relay route is refused
            assertThat(c.command("RCPT TO:<someone@relay.test>").last()).startsWith("550 5.7.1");
            assertThat(c.command("RSET").last()).startsWith("250");
            assertThat(c.command("AUTH PLAIN " + b64("\0elsa@herald.test\0elsa-secret")).last()).startsWith("235 2.7.0");
            assertThat(c.command("MAIL FROM:<a@example.org>").last()).startsWith("250");   // no sender check on the MTA
            assertThat(c.command("RCPT TO:<someone@relay.test>").last()).startsWith("250");
        }
    }

    @Test
    void trustedNetworksMayRelayWithoutAuth() throws Exception {
        try (Client c = new Client(start(ListenerRole.MTA, Map.of("relayNetworks", "10.0.0.0/8, 127.0.0.0/8"), Map.of()))) {
            c.expect(220);
            c.command("EHLO client.test");
            assertThat(c.command("MAIL FROM:<a@example.org>").last()).startsWith("250");
            assertThat(c.command("RCPT TO:<someone@relay.test>").last()).startsWith("250");
        }
    }

    // ------------------------------------------------------------------ a raw client that can start TLS

    record Reply(int code, List<String> lines) {
        String last() { return lines.get(lines.size() - 1); }
    }

    static final class Client implements AutoCloseable {
        final Socket plain;
        Socket socket;
        InputStream in;
        OutputStream out;

        Client(int port) throws IOException {
            plain = new Socket("127.0.0.1", port);
            plain.setSoTimeout(10_000);
            socket = plain;
            in = plain.getInputStream();
            out = plain.getOutputStream();
        }

        void startTls() throws Exception {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new X509TrustManager() {
                public void checkClientTrusted(X509Certificate[] c, String a) { }
                public void checkServerTrusted(X509Certificate[] c, String a) { }
                public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
            }}, null);
            SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(plain, "127.0.0.1", plain.getPort(), true);
            s.setUseClientMode(true);
            s.startHandshake();
            assertThat(s.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            socket = s;
            in = s.getInputStream();
            out = s.getOutputStream();
        }

        void send(String s) throws IOException {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
        }

        Reply command(String line) throws IOException {
            send(line + "\r\n");
            return reply();
        }

        void expect(int code) throws IOException {
            Reply r = reply();
            assertThat(r.code).as(r.lines.toString()).isEqualTo(code);
        }

        Reply reply() throws IOException {
            List<String> lines = new ArrayList<>();
            while (true) {
                String l = line();
                if (l == null) throw new IOException("connection closed; lines so far: " + lines);
                lines.add(l);
                if (l.length() < 4 || l.charAt(3) != '-') return new Reply(Integer.parseInt(l.substring(0, 3)), lines);
            }
        }

        private String line() throws IOException {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    String s = b.toString(StandardCharsets.UTF_8);
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
                b.write(c);
            }
            return null;
        }

        /** True when no byte arrives within the time (read on the current layer). */
        boolean nothingMoreWithin(int millis) throws IOException {
            int old = socket.getSoTimeout();
            socket.setSoTimeout(millis);
            try {
                return in.read() < 0;
            } catch (SocketTimeoutException e) {
                return true;
            } finally {
                socket.setSoTimeout(old);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

package io.herald.host;

import com.google.inject.Singleton;
import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.Authenticator;
import io.herald.api.auth.Logins;
import io.herald.api.auth.SaslOutcome;
import io.herald.api.auth.SaslServer;
import io.herald.api.config.Configuration;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.protocol.ProtocolService;
import io.herald.api.protocol.ServerTls;
import io.herald.server.HeraldServer;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The protocol-service extension point on a real server: a plugin's listener is started after its contributions are
 * registered and stopped when it is withdrawn; a failing start fails the plugin; the injected {@link ServerTls} is
 * the SMTP listeners' certificate (TLS 1.2/1.3 only) and {@link Logins} shares the authenticator chain and the
 * throttle with SMTP AUTH.
 */
class ProtocolServiceTest {

    @TempDir Path home;

    /** Knows elsa / secret; says "unknown" for everybody else. */
    public static final class Users implements Authenticator {
        @Override public AuthResult verifyPassword(String identity, char[] password, AuthContext context) {
            if (!identity.equals("elsa")) return AuthResult.unknownUser();
            return new String(password).equals("secret") ? AuthResult.authenticated("elsa@herald.test") : AuthResult.failed("wrong");
        }
    }

    /** A TLS echo listener on the configured port: what an IMAP plugin does, reduced to the lifecycle. */
    @Singleton
    public static final class Echo implements ProtocolService {
        final ServerTls tls;
        final Logins logins;
        final Configuration config;
        ServerSocket socket;
        Thread thread;
        int starts;
        int stops;

        @Inject Echo(ServerTls tls, Logins logins, Configuration config) {
            this.tls = tls;
            this.logins = logins;
            this.config = config;
        }

        @Override public String name() { return "echo"; }

        @Override public void start() throws IOException {
            starts++;
            if (config.getBoolean("fail", false)) throw new IOException("refused to start");
            SSLServerSocket s = (SSLServerSocket) tls.context().getServerSocketFactory()
                    .createServerSocket(config.getInt("port", 0, 0, 65535), 5, InetAddress.getLoopbackAddress());
            socket = s;
            thread = new Thread(() -> {
                while (!s.isClosed()) {
                    try (Socket c = s.accept()) {
                        c.getOutputStream().write(c.getInputStream().read());
                    } catch (IOException e) {
                        // closed, or a client that went away
                    }
                }
            }, "echo");
            thread.start();
        }

        @Override public void stop() throws Exception {
            stops++;
            socket.close();
            thread.join(5000);
        }

        @Override public Map<String, InetSocketAddress> endpoints() {
            return socket == null || socket.isClosed() ? Map.of() : Map.of("echo", (InetSocketAddress) socket.getLocalSocketAddress());
        }
    }

    public static final class EchoPlugin extends HeraldPlugin {
        @Override public String configPid() { return "echo"; }
        @Override protected void configure() {
            authenticator().to(Users.class);
            bind(Echo.class).in(Singleton.class);
            protocolService().to(Echo.class);
        }
    }

    private HeraldServer server(String... kv) throws IOException {
        HeraldServer.Builder b = HeraldServer.builder().home(home).set("smtp", "port", "0").set("submission", "port", "0")
                .set("submissions", "port", "0").set("auth", "failures.before.delay", "100").set("auth", "lockout.after", "200")
                .plugins(List.of(new EchoPlugin()));
        for (int i = 0; i < kv.length; i += 2) b.set("echo", kv[i], kv[i + 1]);
        return b.start();
    }

    @Test
    void startedWithTheServersCertificateAndStoppedWhenWithdrawn() throws Exception {
        Echo echo;
        InetSocketAddress at;
        try (HeraldServer server = server()) {
            at = server.endpoint("echo");
            echo = (Echo) server.registry().snapshot().protocolServices().get(0);
            assertThat(echo.starts).isEqualTo(1);
            try (SSLSocket c = (SSLSocket) trustAll("TLSv1.3").getSocketFactory().createSocket(at.getAddress(), at.getPort())) {
                c.getOutputStream().write('x');
                assertThat(c.getInputStream().read()).isEqualTo('x');
                // the same certificate the SMTP listeners present
                assertThat(c.getSession().getPeerCertificates()[0]).isEqualTo(server.tls().certificate());
                assertThat(c.getSession().getProtocol()).isEqualTo("TLSv1.3");
            }
            // TLS 1.1 is refused
            try (SSLSocket c = (SSLSocket) trustAll("TLSv1.1").getSocketFactory().createSocket(at.getAddress(), at.getPort())) {
                c.setEnabledProtocols(new String[] {"TLSv1.1"});
                assertThatThrownBy(c::startHandshake).isInstanceOf(IOException.class);
            } catch (IllegalArgumentException | java.security.NoSuchAlgorithmException e) {
                // this JDK cannot even offer TLS 1.1: nothing to check
            }
        }
        assertThat(echo.stops).isEqualTo(1);
        assertThatThrownBy(() -> new Socket(at.getAddress(), at.getPort()).close()).isInstanceOf(IOException.class);
    }

    @Test
    void aServiceThatCannotStartFailsItsPluginAndNothingIsRegistered() throws Exception {
        try (HeraldServer server = server("fail", "true")) {
            assertThat(server.registry().plugins()).isEmpty();
            assertThat(server.registry().snapshot().protocolServices()).isEmpty();
            assertThat(server.registry().snapshot().authenticators()).isEmpty();
        }
    }

    @Test
    void loginsUseTheChainAndTheThrottleSharedWithSmtp() throws Exception {
        try (HeraldServer server = server()) {
            Logins logins = ((Echo) server.registry().snapshot().protocolServices().get(0)).logins;
            InetSocketAddress loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 40000);
            InetSocketAddress remote = new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 40000);
            AuthContext plain = new AuthContext("", "echo", remote, false);
            AuthContext tls = new AuthContext("", "echo", remote, true);
            assertThat(logins.plaintextAllowed(plain)).isFalse();
            assertThat(logins.plaintextAllowed(tls)).isTrue();
            assertThat(logins.mechanisms(plain)).containsExactly("SCRAM-SHA-256");
            assertThat(logins.mechanisms(tls)).containsExactly("SCRAM-SHA-256", "PLAIN", "LOGIN");

            assertThat(get(logins.password("elsa", "secret".toCharArray(), tls))).isEqualTo(new SaslOutcome.Success("elsa@herald.test"));
            assertThat(get(logins.password("elsa", "secret".toCharArray(), plain)))
                    .isEqualTo(new SaslOutcome.Failure(SaslOutcome.Kind.ENCRYPTION_REQUIRED));
            assertThat(get(logins.password("elsa", "wrong".toCharArray(), tls)))
                    .isEqualTo(new SaslOutcome.Failure(SaslOutcome.Kind.INVALID_CREDENTIALS));
            assertThat(get(logins.password("nobody", "x".toCharArray(), tls)))
                    .isEqualTo(new SaslOutcome.Failure(SaslOutcome.Kind.INVALID_CREDENTIALS));
            // the same throttle SMTP AUTH uses counted both failures of this address
            assertThat(server.sasl().throttle().failures(remote.getAddress(), null)).isEqualTo(2);

            // PLAIN through SASL, without an initial response: an empty challenge first
            SaslServer s = logins.begin("plain", tls);
            assertThat(s.mechanism()).isEqualTo("PLAIN");
            SaslOutcome first = get(s.start(Optional.empty()));
            assertThat(first).isInstanceOf(SaslOutcome.Challenge.class);
            assertThat(((SaslOutcome.Challenge) first).data()).isEmpty();
            assertThat(get(s.respond("\0elsa\0secret".getBytes(StandardCharsets.UTF_8)))).isEqualTo(new SaslOutcome.Success("elsa@herald.test"));

            SaslServer cancelled = logins.begin("PLAIN", tls);
            get(cancelled.start(Optional.empty()));
            assertThat(get(cancelled.cancel())).isEqualTo(new SaslOutcome.Failure(SaslOutcome.Kind.CANCELLED));
            assertThat(get(logins.begin("CRAM-MD5", tls).start(Optional.empty())))
                    .isEqualTo(new SaslOutcome.Failure(SaslOutcome.Kind.UNSUPPORTED_MECHANISM));
            assertThat(get(logins.begin("PLAIN", tls).start(Optional.of("no-nuls".getBytes(StandardCharsets.UTF_8)))))
                    .isEqualTo(new SaslOutcome.Failure(SaslOutcome.Kind.MALFORMED));
            assertThat(logins.plaintextAllowed(new AuthContext("", "echo", loopback, false))).isFalse();
        }
        // plaintext.loopback: allowed without TLS to loopback clients only
        try (HeraldServer server = HeraldServer.builder().home(home).set("smtp", "port", "-1").set("submission", "port", "-1")
                .set("submissions", "port", "-1").set("auth", "plaintext.loopback", "true").plugins(List.of(new EchoPlugin())).start()) {
            Logins logins = ((Echo) server.registry().snapshot().protocolServices().get(0)).logins;
            assertThat(logins.plaintextAllowed(new AuthContext("", "echo", new InetSocketAddress(InetAddress.getLoopbackAddress(), 1), false))).isTrue();
            assertThat(logins.plaintextAllowed(new AuthContext("", "echo", new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 1), false))).isFalse();
        }
    }

    private static SaslOutcome get(java.util.concurrent.CompletionStage<SaslOutcome> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    static SSLContext trustAll(String protocol) throws Exception {
        SSLContext ctx = SSLContext.getInstance(protocol);
        ctx.init(null, new TrustManager[] {new X509TrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] c, String a) { }
            @Override public void checkServerTrusted(X509Certificate[] c, String a) { }
            @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, null);
        return ctx;
    }
}

package io.herald.tls;

import io.herald.config.ConfigStore;
import io.herald.config.HeraldPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TlsContextProviderTest {

    @TempDir Path home;

    static final class MovableClock extends Clock {
        Instant now = Instant.parse("2026-12-01T10:00:00Z");
        @Override public ZoneId getZone() { return ZoneOffset.UTC; }
        @Override public Clock withZone(ZoneId z) { return this; }
        @Override public Instant instant() { return now; }
    }

    TlsContextProvider fromConfig(Map<String, String> tls, Clock clock) {
        return TlsContextProvider.fromConfig(new ConfigStore(null, Map.of("tls", tls)).get("tls"), new HeraldPaths(home), "mail.herald.test", clock);
    }

    @Test
    void generatesASelfSignedCertificateOnFirstStartAndLoadsItBack() throws Exception {
        TlsContextProvider p = fromConfig(Map.of(), Clock.systemUTC());
        Path cert = home.resolve("data/tls/cert.pem");
        Path key = home.resolve("data/tls/key.pem");
        assertThat(cert).exists();
        assertThat(key).exists();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(key))).isEqualTo("rw-------");
        X509Certificate c = p.certificate();
        assertThat(c.getSubjectX500Principal().getName()).contains("CN=mail.herald.test");
        assertThat(c.getSubjectAlternativeNames().stream().map(l -> String.valueOf(l.get(1))).toList())
                .containsExactlyInAnyOrder("mail.herald.test", "localhost", "127.0.0.1");
        assertThat(SelfSignedCertificate.fingerprint(c)).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
        // the second start uses the same certificate
        assertThat(fromConfig(Map.of(), Clock.systemUTC()).certificate()).isEqualTo(c);
    }

    @Test
    void loadsPkcs8AndPkcs1KeysFromConfiguredFiles() throws Exception {
        PemFiles.KeyMaterial ec = SelfSignedCertificate.generate("localhost", SelfSignedCertificate.KeyType.EC, Duration.ofDays(30));
        SelfSignedCertificate.write(ec, home.resolve("conf/tls/cert.pem"), home.resolve("conf/tls/key.pem"));
        assertThat(Files.readString(home.resolve("conf/tls/key.pem"))).contains("BEGIN PRIVATE KEY");
        assertThat(fromConfig(Map.of(), Clock.systemUTC()).certificate()).isEqualTo(ec.chain().get(0));

        PemFiles.KeyMaterial rsa = SelfSignedCertificate.generate("localhost", SelfSignedCertificate.KeyType.RSA, Duration.ofDays(30));
        Files.createDirectories(home.resolve("elsewhere"));
        Files.writeString(home.resolve("elsewhere/c.pem"), PemFiles.toPem(rsa.chain().get(0)));
        Files.writeString(home.resolve("elsewhere/k.pem"), PemFiles.toPem(rsa.key()));
        assertThat(Files.readString(home.resolve("elsewhere/k.pem"))).contains("BEGIN RSA PRIVATE KEY"); // PKCS#1
        TlsContextProvider p = fromConfig(Map.of("cert", "elsewhere/c.pem", "key", "elsewhere/k.pem"), Clock.systemUTC());
        assertThat(p.certificate()).isEqualTo(rsa.chain().get(0));
        handshake(p.current(), p.certificate(), "TLSv1.3");
    }

    @Test
    void badFilesAreRefusedWithTheirNames() throws Exception {
        Files.createDirectories(home.resolve("conf/tls"));
        Files.writeString(home.resolve("conf/tls/cert.pem"), "not a pem");
        Files.writeString(home.resolve("conf/tls/key.pem"), "not a pem");
        assertThatThrownBy(() -> fromConfig(Map.of(), Clock.systemUTC())).isInstanceOf(TlsConfigurationException.class)
                .hasMessageContaining("cert.pem");
        assertThatThrownBy(() -> fromConfig(Map.of("cert", "missing.pem"), Clock.systemUTC()))
                .hasMessageContaining("tls.cfg").hasMessageContaining("cert");
    }

    @Test
    void handshakesWithTls13AndTls12AndRefusesTls11() throws Exception {
        TlsContextProvider p = fromConfig(Map.of(), Clock.systemUTC());
        try (SSLServerSocket s = (SSLServerSocket) p.current().getServerSocketFactory().createServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            assertThat(s.getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
        }
        assertThat(p.current().createSSLEngine().getEnabledProtocols()).containsExactlyInAnyOrder("TLSv1.3", "TLSv1.2");
        assertThat(handshake(p.current(), p.certificate(), "TLSv1.3")).isEqualTo("TLSv1.3");
        assertThat(handshake(p.current(), p.certificate(), "TLSv1.2")).isEqualTo("TLSv1.2");
        assertThatThrownBy(() -> handshake(p.current(), p.certificate(), "TLSv1.1")).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void reloadsWhenTheFilesChange() throws Exception {
        MovableClock clock = new MovableClock();
        PemFiles.KeyMaterial first = SelfSignedCertificate.generate("localhost", SelfSignedCertificate.KeyType.EC, Duration.ofDays(30));
        Path cert = home.resolve("conf/tls/cert.pem");
        Path key = home.resolve("conf/tls/key.pem");
        SelfSignedCertificate.write(first, cert, key);
        TlsContextProvider p = fromConfig(Map.of(), clock);
        SSLContext before = p.current();
        PemFiles.KeyMaterial second = SelfSignedCertificate.generate("localhost", SelfSignedCertificate.KeyType.EC, Duration.ofDays(30));
        SelfSignedCertificate.write(second, cert, key);
        assertThat(p.current()).isSameAs(before); // checked at most once a second
        clock.now = clock.now.plusSeconds(2);
        SSLContext after = p.current();
        assertThat(after).isNotSameAs(before);
        assertThat(p.certificate()).isEqualTo(second.chain().get(0));
        handshake(after, second.chain().get(0), "TLSv1.3");
        // a broken file keeps the last good context
        Files.writeString(cert, "garbage");
        clock.now = clock.now.plusSeconds(2);
        assertThat(p.current()).isSameAs(after);
    }

    /** Handshakes over loopback with a client that trusts only {@code trusted}; returns the negotiated protocol. */
    static String handshake(SSLContext server, X509Certificate trusted, String clientProtocol) throws Exception {
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("server", trusted);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext client = SSLContext.getInstance("TLS");
        client.init(null, tmf.getTrustManagers(), null);
        try (SSLServerSocket ss = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            CompletableFuture<Void> accepted = CompletableFuture.runAsync(() -> {
                try (SSLSocket s = (SSLSocket) ss.accept()) {
                    s.setSoTimeout(5000);
                    s.startHandshake();
                    s.getOutputStream().write(s.getInputStream().read());
                    s.getOutputStream().flush();
                } catch (IOException ignored) {
                    // the refused handshake ends here too
                }
            });
            try (SSLSocket c = (SSLSocket) client.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(), ss.getLocalPort())) {
                c.setSoTimeout(5000);
                c.setEnabledProtocols(new String[] {clientProtocol});
                c.startHandshake();
                c.getOutputStream().write(42);
                c.getOutputStream().flush();
                assertThat(c.getInputStream().read()).isEqualTo(42);
                return c.getSession().getProtocol();
            } finally {
                accepted.get(10, TimeUnit.SECONDS);
            }
        }
    }
}

package io.herald.tls;

import io.herald.api.config.Configuration;
import io.herald.config.HeraldPaths;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The server's TLS identity, as an {@link SSLContext} that enables only TLSv1.3 and TLSv1.2 and follows its PEM
 * files: {@link #current()} notices when the certificate or key file changed (checked at most once per
 * {@code checkInterval}, by modification time, size and file identity) and loads them again; a file that cannot
 * be loaded is logged and the last good context stays in use. Listeners take {@code current()} for each new
 * connection (or STARTTLS), so a renewed certificate is used without a restart.
 *
 * <p>Configuration (pid {@code tls}): {@code cert} and {@code key} (PEM files, relative to the server's home;
 * default {@code conf/tls/cert.pem} and {@code conf/tls/key.pem}), {@code selfsigned.key.type} ({@code rsa} or
 * {@code ec}, default {@code rsa}). When neither file is configured nor present, a self-signed certificate is
 * generated once into {@code data/tls/} and its SHA-256 fingerprint logged. Threading: thread-safe.
 */
public final class TlsContextProvider {

    private static final Logger log = LoggerFactory.getLogger(TlsContextProvider.class);

    /** The protocol versions Herald speaks (RFC 8996 deprecates the older ones). */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    private final Path certFile;
    private final Path keyFile;
    private final Clock clock;
    private final Duration checkInterval;
    private volatile Loaded loaded;
    private Instant lastCheck;

    private record Loaded(SSLContext context, X509Certificate certificate, Object stamp) { }

    /**
     * Loads the files now.
     *
     * @throws TlsConfigurationException when they cannot be loaded
     */
    public TlsContextProvider(Path certFile, Path keyFile, Clock clock, Duration checkInterval) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.clock = clock;
        this.checkInterval = checkInterval;
        this.loaded = load();
        this.lastCheck = clock.instant();
    }

    /**
     * The provider for a server: the configured or {@code conf/tls/} files, or else {@code data/tls/} with a
     * self-signed certificate generated there on first start (not in read-only mode).
     */
    public static TlsContextProvider fromConfig(Configuration tls, HeraldPaths paths, String hostname, Clock clock) {
        Path cert = paths.home().resolve(tls.get("cert", "conf/tls/cert.pem"));
        Path key = paths.home().resolve(tls.get("key", "conf/tls/key.pem"));
        boolean configured = tls.get("cert").isPresent() || tls.get("key").isPresent();
        String type = tls.get("selfsigned.key.type", "rsa");   // read either way (a key of tls.cfg), used for a self-signed one
        if (configured || Files.exists(cert) || Files.exists(key)) {
            if (!Files.isRegularFile(cert)) throw tls.invalid("cert", cert.toString(), "a readable PEM certificate file");
            if (!Files.isRegularFile(key)) throw tls.invalid("key", key.toString(), "a readable PEM private key file");
            return new TlsContextProvider(cert, key, clock, Duration.ofSeconds(1));
        }
        SelfSignedCertificate.KeyType keyType = switch (type.toLowerCase(java.util.Locale.ROOT)) {
            case "rsa" -> SelfSignedCertificate.KeyType.RSA;
            case "ec" -> SelfSignedCertificate.KeyType.EC;
            default -> throw tls.invalid("selfsigned.key.type", type, "rsa or ec");
        };
        Path dir = paths.data().resolve("tls");
        Path genCert = dir.resolve("cert.pem");
        Path genKey = dir.resolve("key.pem");
        if (!Files.exists(genCert) || !Files.exists(genKey)) {
            PemFiles.KeyMaterial m = SelfSignedCertificate.generate(hostname, keyType, Duration.ofDays(365));
            try {
                SelfSignedCertificate.write(m, genCert, genKey);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the self-signed certificate to " + dir, e);
            }
            log.warn("No TLS certificate configured: generated a self-signed certificate for {} in {} (SHA-256 fingerprint {}). "
                    + "Clients will not trust it; configure tls.cfg cert/key or put PEM files in conf/tls/.",
                    hostname, dir, SelfSignedCertificate.fingerprint(m.chain().get(0)));
        }
        return new TlsContextProvider(genCert, genKey, clock, Duration.ofSeconds(1));
    }

    /** The latest context; reloads the files first when they changed. */
    public SSLContext current() {
        reloadIfChanged();
        return loaded.context();
    }

    /** The server certificate in use. */
    public X509Certificate certificate() {
        return loaded.certificate();
    }

    public Path certFile() { return certFile; }

    public Path keyFile() { return keyFile; }

    private synchronized void reloadIfChanged() {
        Instant now = clock.instant();
        if (now.isBefore(lastCheck.plus(checkInterval))) return;
        lastCheck = now;
        Object stamp;
        try {
            stamp = stamp();
        } catch (IOException e) {
            log.error("TLS files unreadable, keeping the certificate in use: {}", e.toString());
            return;
        }
        if (Objects.equals(stamp, loaded.stamp())) return;
        try {
            loaded = load();
            log.info("TLS certificate reloaded from {} (SHA-256 fingerprint {})", certFile, SelfSignedCertificate.fingerprint(loaded.certificate()));
        } catch (RuntimeException e) {
            log.error("TLS files changed but cannot be loaded, keeping the certificate in use: {}", e.getMessage());
            loaded = new Loaded(loaded.context(), loaded.certificate(), stamp); // do not retry until they change again
        }
    }

    private Object stamp() throws IOException {
        BasicFileAttributes c = Files.readAttributes(certFile, BasicFileAttributes.class);
        BasicFileAttributes k = Files.readAttributes(keyFile, BasicFileAttributes.class);
        return List.of(String.valueOf(c.lastModifiedTime()), c.size(), String.valueOf(c.fileKey()),
                String.valueOf(k.lastModifiedTime()), k.size(), String.valueOf(k.fileKey()));
    }

    private Loaded load() {
        Object stamp;
        try {
            stamp = stamp();
        } catch (IOException e) {
            throw new TlsConfigurationException("cannot read " + certFile + " / " + keyFile + ": " + e, e);
        }
        PemFiles.KeyMaterial m = PemFiles.load(certFile, keyFile);
        if (!m.chain().get(0).getPublicKey().getAlgorithm().equals(m.key().getAlgorithm())) {
            throw new TlsConfigurationException(keyFile + ": the key (" + m.key().getAlgorithm() + ") does not belong to the certificate in "
                    + certFile + " (" + m.chain().get(0).getPublicKey().getAlgorithm() + ")", null);
        }
        return new Loaded(context(m), m.chain().get(0), stamp);
    }

    /** An SSLContext for a key and chain, enabling only {@link #PROTOCOLS}. */
    public static SSLContext context(PemFiles.KeyMaterial m) {
        try {
            char[] pw = new char[0];
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("herald", m.key(), pw, m.chain().toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            return new RestrictedSslContext(ctx, PROTOCOLS.toArray(String[]::new));
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsConfigurationException("cannot build a TLS context: " + e.getMessage(), e);
        }
    }
}

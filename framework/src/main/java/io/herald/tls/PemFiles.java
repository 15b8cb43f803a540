package io.herald.tls;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

import java.io.IOException;
import java.io.Reader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes the PEM files of a TLS identity: a certificate chain (server certificate first) and its
 * private key in PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC 1
 * ({@code BEGIN EC PRIVATE KEY}) form. Encrypted keys are not supported: protect the file by its mode (600).
 */
public final class PemFiles {

    private PemFiles() { }

    /** A certificate chain and its private key. */
    public record KeyMaterial(List<X509Certificate> chain, PrivateKey key) {
        public KeyMaterial {
            chain = List.copyOf(chain);
            if (chain.isEmpty()) throw new IllegalArgumentException("no certificate");
        }
    }

    /** @throws TlsConfigurationException naming the file when it cannot be read or holds no usable certificate or key */
    public static KeyMaterial load(Path certFile, Path keyFile) {
        List<X509Certificate> chain = new ArrayList<>();
        JcaX509CertificateConverter certs = new JcaX509CertificateConverter();
        try (Reader r = Files.newBufferedReader(certFile, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            Object o;
            while ((o = p.readObject()) != null) {
                if (o instanceof X509CertificateHolder h) chain.add(certs.getCertificate(h));
            }
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            throw new TlsConfigurationException(certFile + ": cannot read the certificate chain: " + e.getMessage(), e);
        }
        if (chain.isEmpty()) throw new TlsConfigurationException(certFile + ": no CERTIFICATE block found", null);
        PrivateKey key = null;
        JcaPEMKeyConverter keys = new JcaPEMKeyConverter();
        try (Reader r = Files.newBufferedReader(keyFile, StandardCharsets.US_ASCII); PEMParser p = new PEMParser(r)) {
            Object o;
            while (key == null && (o = p.readObject()) != null) {
                if (o instanceof PrivateKeyInfo info) key = keys.getPrivateKey(info);            // PKCS#8
                else if (o instanceof PEMKeyPair pair) key = keys.getPrivateKey(pair.getPrivateKeyInfo()); // PKCS#1 RSA, SEC 1 EC
            }
        } catch (IOException | RuntimeException e) {
            throw new TlsConfigurationException(keyFile + ": cannot read the private key: " + e.getMessage(), e);
        }
        if (key == null) {
            throw new TlsConfigurationException(keyFile + ": no unencrypted PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block found", null);
        }
        return new KeyMaterial(chain, key);
    }

    /** PEM text of objects (certificates, keys). */
    public static String toPem(Object... objects) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            for (Object o : objects) w.writeObject(o);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toString();
    }
}

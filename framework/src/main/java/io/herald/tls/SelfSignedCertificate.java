package io.herald.tls;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Makes the self-signed certificate a server uses when no certificate is configured: subject {@code CN=<hostname>},
 * subject alternative names {@code <hostname>}, {@code localhost} and {@code 127.0.0.1}, valid for a year
 * (back-dated one day against clock skew), key usage for a TLS server. Built with BouncyCastle's
 * {@link X509v3CertificateBuilder}.
 */
public final class SelfSignedCertificate {

    /** The key algorithm of a generated certificate. */
    public enum KeyType { RSA, EC }

    private SelfSignedCertificate() { }

    public static PemFiles.KeyMaterial generate(String hostname, KeyType type, Duration validity) {
        try {
            KeyPair pair;
            String sigAlg;
            if (type == KeyType.EC) {
                KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
                g.initialize(new ECGenParameterSpec("secp256r1"));
                pair = g.generateKeyPair();
                sigAlg = "SHA256withECDSA";
            } else {
                KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
                g.initialize(2048);
                pair = g.generateKeyPair();
                sigAlg = "SHA256withRSA";
            }
            X500Name subject = new X500Name("CN=" + hostname.replaceAll("[,=+<>#;\"\\\\]", "") + ",O=Herald self-signed");
            Instant now = Instant.now();
            BigInteger serial = new BigInteger(64, new SecureRandom()).abs().add(BigInteger.ONE);
            X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial,
                    Date.from(now.minus(Duration.ofDays(1))), Date.from(now.plus(validity)), subject, pair.getPublic());
            Set<String> names = new LinkedHashSet<>(List.of(hostname.toLowerCase(Locale.ROOT), "localhost"));
            List<GeneralName> san = new ArrayList<>();
            for (String n : names) san.add(new GeneralName(GeneralName.dNSName, n));
            san.add(new GeneralName(GeneralName.iPAddress, "127.0.0.1"));
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(san.toArray(GeneralName[]::new)));
            b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            b.addExtension(Extension.keyUsage, true, new KeyUsage(type == KeyType.EC
                    ? KeyUsage.digitalSignature : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
            b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(b.build(new JcaContentSignerBuilder(sigAlg).build(pair.getPrivate())));
            return new PemFiles.KeyMaterial(List.of(cert), pair.getPrivate());
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot generate a self-signed certificate: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the certificate chain and the key (PKCS#8); the key file gets mode 600 (where the file
     * system has POSIX permissions) before any key byte is written. Each file is written to a temporary name,
     * synced, and renamed.
     */
    public static void write(PemFiles.KeyMaterial m, Path certFile, Path keyFile) throws IOException {
        Files.createDirectories(keyFile.toAbsolutePath().getParent());
        Files.createDirectories(certFile.toAbsolutePath().getParent());
        try {
            writeAtomically(keyFile, PemFiles.toPem(new JcaPKCS8Generator(m.key(), null)), true); // BEGIN PRIVATE KEY
        } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
            throw new IOException("cannot encode the private key", e);
        }
        writeAtomically(certFile, PemFiles.toPem(m.chain().toArray()), false);
    }

    /** The SHA-256 fingerprint of a certificate, as colon-separated upper-case hex (the form browsers show). */
    public static String fingerprint(X509Certificate cert) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(cert.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static void writeAtomically(Path target, String text, boolean secret) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        if (secret && Files.getFileStore(target.toAbsolutePath().getParent()).supportsFileAttributeView("posix")) {
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } else {
            Files.createFile(tmp);
        }
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
             OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
            out.write(text.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            ch.force(true);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}

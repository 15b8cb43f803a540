package io.herald.api.auth;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import java.util.Objects;

/**
 * The SCRAM-SHA-256 credential of one user (RFC 5802 §3, RFC 7677): what a server keeps instead of a password.
 * The same record verifies a plain password ({@link #matches}) by recomputing the keys, so one stored credential
 * serves PLAIN, LOGIN and SCRAM-SHA-256.
 *
 * <pre>
 * SaltedPassword = PBKDF2-HMAC-SHA-256(SASLprep(password), salt, iterations, 32 bytes)
 * ClientKey      = HMAC(SaltedPassword, "Client Key")
 * StoredKey      = SHA-256(ClientKey)
 * ServerKey      = HMAC(SaltedPassword, "Server Key")
 * </pre>
 *
 * <p>Only JDK algorithms are used ({@code PBKDF2WithHmacSHA256}, {@code HmacSHA256}, {@code SHA-256}).
 *
 * @param principal  the canonical address of the user this credential belongs to
 * @param salt       the salt (at least 16 random bytes for new credentials)
 * @param iterations the PBKDF2 iteration count, at least {@value #MIN_ITERATIONS} (RFC 7677 §4)
 * @param storedKey  SHA-256(ClientKey), 32 bytes
 * @param serverKey  HMAC(SaltedPassword, "Server Key"), 32 bytes
 */
public record ScramCredential(String principal, byte[] salt, int iterations, byte[] storedKey, byte[] serverKey) {

    public static final int MIN_ITERATIONS = 4096;
    public static final String MECHANISM = "SCRAM-SHA-256";

    public ScramCredential {
        Objects.requireNonNull(principal, "principal");
        if (salt.length == 0) throw new IllegalArgumentException("empty salt");
        if (iterations < MIN_ITERATIONS) throw new IllegalArgumentException("iteration count below " + MIN_ITERATIONS + ": " + iterations);
        if (storedKey.length != 32 || serverKey.length != 32) throw new IllegalArgumentException("SCRAM-SHA-256 keys are 32 bytes");
        salt = salt.clone();
        storedKey = storedKey.clone();
        serverKey = serverKey.clone();
    }

    @Override public byte[] salt() { return salt.clone(); }
    @Override public byte[] storedKey() { return storedKey.clone(); }
    @Override public byte[] serverKey() { return serverKey.clone(); }

    /** Derives the credential of a password with a fresh 16-byte random salt. */
    public static ScramCredential create(String principal, char[] password, int iterations) {
        byte[] salt = new byte[16];
        new SecureRandom().nextBytes(salt);
        return derive(principal, password, salt, iterations);
    }

    /** Derives the credential of a password with the given salt (SASLprep is applied to the password). */
    public static ScramCredential derive(String principal, char[] password, byte[] salt, int iterations) {
        byte[] salted = saltedPassword(password, salt, iterations);
        try {
            byte[] clientKey = hmac(salted, "Client Key");
            return new ScramCredential(principal, salt, iterations, sha256(clientKey), hmac(salted, "Server Key"));
        } finally {
            Arrays.fill(salted, (byte) 0);
        }
    }

    /** True when {@code password} is the one this credential was derived from; compares in constant time. */
    public boolean matches(char[] password) {
        ScramCredential other;
        try {
            other = derive(principal, password, salt, iterations);
        } catch (IllegalArgumentException e) { // the password is refused by SASLprep: it cannot be the right one
            return false;
        }
        return MessageDigest.isEqual(other.storedKey, storedKey) & MessageDigest.isEqual(other.serverKey, serverKey);
    }

    /** Hi(Normalize(password), salt, i) of RFC 5802 §2.2: PBKDF2 with HMAC-SHA-256. */
    public static byte[] saltedPassword(char[] password, byte[] salt, int iterations) {
        char[] prepared = SaslPrep.prepare(password, false);
        PBEKeySpec spec = new PBEKeySpec(prepared, salt, iterations, 256);
        try {
            return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(prepared, '\0');
        }
    }

    public static byte[] hmac(byte[] key, String data) {
        return hmac(key, data.getBytes(StandardCharsets.UTF_8));
    }

    public static byte[] hmac(byte[] key, byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    public static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Never prints the keys. */
    @Override
    public String toString() {
        return "ScramCredential[" + principal + ", i=" + iterations + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramCredential c && c.principal.equals(principal) && c.iterations == iterations
                && Arrays.equals(c.salt, salt) && MessageDigest.isEqual(c.storedKey, storedKey)
                && MessageDigest.isEqual(c.serverKey, serverKey);
    }

    @Override
    public int hashCode() {
        return Objects.hash(principal, iterations, Arrays.hashCode(salt));
    }

    /** Base64 (RFC 4648, with padding), the form SCRAM and stored credentials use. */
    public static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }
}

package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.SaslPrep;
import io.herald.api.auth.ScramCredential;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * SCRAM-SHA-256 (RFC 5802, RFC 7677), server side, without channel binding: the client's GS2 header must be
 * {@code n,,} or {@code y,,} (optionally with {@code a=} naming the same user); {@code p=} is refused because
 * this server does not offer SCRAM-SHA-256-PLUS.
 *
 * <pre>
 * C: n,,n=user,r=cnonce                      client-first-message
 * S: r=cnonce+snonce,s=salt,i=4096           server-first-message
 * C: c=biws,r=cnonce+snonce,p=proof          client-final-message
 * S: v=server-signature                      server-final-message ({@link SaslStep.Success#additionalData()})
 * </pre>
 *
 * <p>An unknown user gets a made-up salt and iteration count (stable for that name), so the exchange looks the
 * same as for a real user until the proof fails: SCRAM does not tell who has an account (RFC 5802 §5.1, "e=").
 */
public final class ScramSha256Mechanism implements SaslMechanism {

    public static final String NAME = ScramCredential.MECHANISM;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final byte[] FAKE_SALT_KEY = new byte[32];
    static { RANDOM.nextBytes(FAKE_SALT_KEY); }

    private final CredentialVerifier verifier;
    private final AuthContext context;
    private final Supplier<String> serverNonce;

    private int state; // 0 new, 1 sent server-first, 2 done
    private String gs2Header;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private String identity;
    private ScramCredential credential; // null: unknown user or lookup failed
    private SaslStep deferredFailure;   // a failure to report at the end (temporary failure of the lookup)

    public ScramSha256Mechanism(CredentialVerifier verifier, AuthContext context) {
        this(verifier, context, ScramSha256Mechanism::randomNonce);
    }

    /** @param serverNonce the server's part of the nonce (printable ASCII without {@code ,}); injectable for tests */
    public ScramSha256Mechanism(CredentialVerifier verifier, AuthContext context, Supplier<String> serverNonce) {
        this.verifier = verifier;
        this.context = context;
        this.serverNonce = serverNonce;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public SaslStep start(Optional<byte[]> initialResponse) throws MalformedSaslResponseException {
        if (state != 0 || gs2Header != null) throw new IllegalStateException("already started");
        if (initialResponse.isEmpty()) {
            gs2Header = ""; // marks "started, waiting for client-first"
            return new SaslStep.Challenge(new byte[0]);
        }
        return clientFirst(initialResponse.get());
    }

    @Override
    public SaslStep respond(byte[] response) throws MalformedSaslResponseException {
        if (state == 0 && gs2Header != null) return clientFirst(response);
        if (state == 1) return clientFinal(response);
        throw new IllegalStateException("SCRAM exchange is " + (state == 2 ? "complete" : "not started"));
    }

    private SaslStep clientFirst(byte[] bytes) throws MalformedSaslResponseException {
        state = 2; // until it succeeds
        String msg = SaslText.utf8String(bytes, "SCRAM client-first-message");
        // gs2-header = gs2-cbind-flag "," [ authzid ] ","
        int c1 = msg.indexOf(',');
        int c2 = c1 < 0 ? -1 : msg.indexOf(',', c1 + 1);
        if (c1 < 0 || c2 < 0) throw new MalformedSaslResponseException("SCRAM: no GS2 header");
        String flag = msg.substring(0, c1);
        if (flag.startsWith("p=")) throw new MalformedSaslResponseException("SCRAM: channel binding requested but SCRAM-SHA-256-PLUS is not offered");
        if (!flag.equals("n") && !flag.equals("y")) throw new MalformedSaslResponseException("SCRAM: bad channel binding flag '" + flag + "'");
        String authzPart = msg.substring(c1 + 1, c2);
        String authzid = null;
        if (!authzPart.isEmpty()) {
            if (!authzPart.startsWith("a=")) throw new MalformedSaslResponseException("SCRAM: bad authzid in GS2 header");
            authzid = decodeName(authzPart.substring(2));
        }
        gs2Header = msg.substring(0, c2 + 1);
        clientFirstBare = msg.substring(c2 + 1);
        String[] attrs = clientFirstBare.split(",", -1);
        if (attrs.length < 2) throw new MalformedSaslResponseException("SCRAM: client-first-message needs n= and r=");
        if (attrs[0].startsWith("m=")) throw new MalformedSaslResponseException("SCRAM: unsupported mandatory extension");
        if (!attrs[0].startsWith("n=")) throw new MalformedSaslResponseException("SCRAM: client-first-message must start with n=");
        if (!attrs[1].startsWith("r=") || attrs[1].length() == 2) throw new MalformedSaslResponseException("SCRAM: missing client nonce");
        String clientNonce = attrs[1].substring(2);
        checkPrintable(clientNonce);
        String user = decodeName(attrs[0].substring(2));
        if (user.isEmpty()) throw new MalformedSaslResponseException("SCRAM: empty user name");
        try {
            identity = SaslPrep.prepare(user, true);
        } catch (IllegalArgumentException e) {
            throw new MalformedSaslResponseException("SCRAM user name: " + e.getMessage());
        }
        String snonce = serverNonce.get();
        nonce = clientNonce + snonce;

        CredentialVerifier.ScramLookup lookup = verifier.scramCredential(identity, context);
        byte[] salt;
        int iterations;
        if (lookup instanceof CredentialVerifier.ScramLookup.Found f) {
            credential = f.credential();
            salt = credential.salt();
            iterations = credential.iterations();
            if (authzid != null && !authzid.equalsIgnoreCase(identity) && !authzid.equalsIgnoreCase(credential.principal())) {
                deferredFailure = new SaslStep.Failure(SaslFailure.INVALID_CREDENTIALS,
                        "authzid '" + authzid + "' differs from authcid '" + identity + "'");
            }
        } else {
            if (lookup instanceof CredentialVerifier.ScramLookup.Unavailable u) {
                // Fail closed: no credential, so the proof cannot verify; report a temporary failure then.
                deferredFailure = new SaslStep.Failure(u.lockedOut() ? SaslFailure.LOCKED_OUT : SaslFailure.TEMPORARY,
                        "cannot look up '" + identity + "': " + u.reason());
            }
            byte[] h = ScramCredential.hmac(FAKE_SALT_KEY, identity);
            salt = java.util.Arrays.copyOf(h, 16);
            iterations = 4096;
        }
        serverFirst = "r=" + nonce + ",s=" + Base64.getEncoder().encodeToString(salt) + ",i=" + iterations;
        state = 1;
        return new SaslStep.Challenge(serverFirst.getBytes(StandardCharsets.UTF_8));
    }

    private SaslStep clientFinal(byte[] bytes) throws MalformedSaslResponseException {
        state = 2;
        String msg = SaslText.utf8String(bytes, "SCRAM client-final-message");
        int p = msg.lastIndexOf(",p=");
        if (p < 0) throw new MalformedSaslResponseException("SCRAM: client-final-message has no proof");
        String withoutProof = msg.substring(0, p);
        String[] attrs = withoutProof.split(",", -1);
        if (attrs.length < 2 || !attrs[0].startsWith("c=") || !attrs[1].startsWith("r="))
            throw new MalformedSaslResponseException("SCRAM: client-final-message must start with c= and r=");
        byte[] cbind = b64(attrs[0].substring(2), "channel binding");
        byte[] proof = b64(msg.substring(p + 3), "proof");
        if (!MessageDigest.isEqual(cbind, gs2Header.getBytes(StandardCharsets.UTF_8)))
            throw new MalformedSaslResponseException("SCRAM: channel binding data does not match the GS2 header");
        if (!attrs[1].substring(2).equals(nonce))
            return new SaslStep.Failure(SaslFailure.INVALID_CREDENTIALS, "SCRAM nonce mismatch for '" + identity + "'");
        if (deferredFailure != null) return deferredFailure;
        if (credential == null) return new SaslStep.Failure(SaslFailure.INVALID_CREDENTIALS, "unknown user '" + identity + "'");
        if (proof.length != 32) return new SaslStep.Failure(SaslFailure.INVALID_CREDENTIALS, "SCRAM proof of wrong length");

        byte[] authMessage = (clientFirstBare + "," + serverFirst + "," + withoutProof).getBytes(StandardCharsets.UTF_8);
        byte[] clientSignature = ScramCredential.hmac(credential.storedKey(), authMessage);
        byte[] clientKey = new byte[32];
        for (int i = 0; i < 32; i++) clientKey[i] = (byte) (proof[i] ^ clientSignature[i]);
        if (!MessageDigest.isEqual(ScramCredential.sha256(clientKey), credential.storedKey()))
            return new SaslStep.Failure(SaslFailure.INVALID_CREDENTIALS, "wrong SCRAM proof for '" + identity + "'");
        byte[] serverSignature = ScramCredential.hmac(credential.serverKey(), authMessage);
        String serverFinal = "v=" + Base64.getEncoder().encodeToString(serverSignature);
        return new SaslStep.Success(credential.principal(), Optional.of(serverFinal.getBytes(StandardCharsets.UTF_8)));
    }

    /** saslname: '=2C' is ',', '=3D' is '='; any other '=' is an error (RFC 5802 §5.1). */
    static String decodeName(String s) throws MalformedSaslResponseException {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '=') {
                if (s.startsWith("=2C", i)) b.append(',');
                else if (s.startsWith("=3D", i)) b.append('=');
                else throw new MalformedSaslResponseException("SCRAM: bad '=' escape in a name");
                i += 2;
            } else if (c == ',') {
                throw new MalformedSaslResponseException("SCRAM: unescaped ',' in a name");
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static void checkPrintable(String nonce) throws MalformedSaslResponseException {
        for (int i = 0; i < nonce.length(); i++) {
            char c = nonce.charAt(i);
            if (c < 0x21 || c > 0x7e || c == ',') throw new MalformedSaslResponseException("SCRAM: nonce has a character outside printable ASCII");
        }
    }

    private static byte[] b64(String s, String what) throws MalformedSaslResponseException {
        try {
            return Base64.getDecoder().decode(s);
        } catch (IllegalArgumentException e) {
            throw new MalformedSaslResponseException("SCRAM: " + what + " is not base64");
        }
    }

    /** 18 random bytes, base64: 24 printable characters without ','. */
    static String randomNonce() {
        byte[] b = new byte[18];
        RANDOM.nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }
}

package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.ScramCredential;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ScramSha256MechanismTest {

    static final AuthContext CTX = new AuthContext("SCRAM-SHA-256", "submission", null, true);
    static final String SNONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }
    static String s(byte[] b) { return new String(b, StandardCharsets.UTF_8); }

    ScramSha256Mechanism rfcServer() {
        return new ScramSha256Mechanism(TestVerifier.rfc7677(), CTX, () -> SNONCE);
    }

    @Test
    void reproducesTheRfc7677Example() throws Exception {
        ScramSha256Mechanism m = rfcServer();
        SaslStep first = m.start(Optional.of(b("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")));
        assertThat(s(((SaslStep.Challenge) first).data()))
                .isEqualTo("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096");
        SaslStep last = m.respond(b("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        SaslStep.Success ok = (SaslStep.Success) last;
        assertThat(ok.principal()).isEqualTo("user@herald.test");
        assertThat(s(ok.additionalData().orElseThrow())).isEqualTo("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    }

    @Test
    void theStoredKeysOfTheExampleAreThoseOfPencil() {
        ScramCredential c = TestVerifier.rfc7677().users.get("user");
        assertThat(c.matches("pencil".toCharArray())).isTrue();
        assertThat(c.matches("pencil ".toCharArray())).isFalse();
    }

    @Test
    void withoutInitialResponseTheServerSendsAnEmptyChallengeFirst() throws Exception {
        ScramSha256Mechanism m = rfcServer();
        assertThat(((SaslStep.Challenge) m.start(Optional.empty())).data()).isEmpty();
        assertThat(m.respond(b("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"))).isInstanceOf(SaslStep.Challenge.class);
    }

    @Test
    void aWrongProofFails() throws Exception {
        ScramSha256Mechanism m = rfcServer();
        m.start(Optional.of(b("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")));
        byte[] wrong = new byte[32];
        SaslStep step = m.respond(b("c=biws,r=rOprNGfwEbeRWgbNEkqO" + SNONCE + ",p=" + Base64.getEncoder().encodeToString(wrong)));
        assertThat(((SaslStep.Failure) step).kind()).isEqualTo(SaslFailure.INVALID_CREDENTIALS);
    }

    @Test
    void aChangedNonceFails() throws Exception {
        ScramSha256Mechanism m = rfcServer();
        m.start(Optional.of(b("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")));
        SaslStep step = m.respond(b("c=biws,r=rOprNGfwEbeRWgbNEkqOother,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        assertThat(((SaslStep.Failure) step).kind()).isEqualTo(SaslFailure.INVALID_CREDENTIALS);
    }

    @Test
    void anUnknownUserGetsAStableMadeUpSaltAndFailsAtTheProof() throws Exception {
        ScramSha256Mechanism m1 = rfcServer();
        ScramSha256Mechanism m2 = rfcServer();
        String c1 = s(((SaslStep.Challenge) m1.start(Optional.of(b("n,,n=nobody,r=abc")))).data());
        String c2 = s(((SaslStep.Challenge) m2.start(Optional.of(b("n,,n=nobody,r=abc")))).data());
        assertThat(c1).isEqualTo(c2).contains(",s=").endsWith(",i=4096");
        SaslStep step = m1.respond(b("c=biws,r=abc" + SNONCE + ",p=" + Base64.getEncoder().encodeToString(new byte[32])));
        assertThat(((SaslStep.Failure) step).kind()).isEqualTo(SaslFailure.INVALID_CREDENTIALS);
    }

    @Test
    void aLookupThatFailsIsATemporaryFailureNeverSuccess() throws Exception {
        TestVerifier v = TestVerifier.rfc7677();
        v.down = true;
        ScramSha256Mechanism m = new ScramSha256Mechanism(v, CTX, () -> SNONCE);
        m.start(Optional.of(b("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")));
        SaslStep step = m.respond(b("c=biws,r=rOprNGfwEbeRWgbNEkqO" + SNONCE + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
        assertThat(((SaslStep.Failure) step).kind()).isEqualTo(SaslFailure.TEMPORARY);
    }

    @Test
    void namesAreUnescaped() throws Exception {
        assertThat(ScramSha256Mechanism.decodeName("a=2Cb=3Dc")).isEqualTo("a,b=c");
        assertThatThrownBy(() -> ScramSha256Mechanism.decodeName("a=2Db")).isInstanceOf(MalformedSaslResponseException.class);
        TestVerifier v = new TestVerifier().add("we,ird=name", "weird@herald.test", "secret");
        ScramSha256Mechanism m = new ScramSha256Mechanism(v, CTX, () -> SNONCE);
        String first = s(((SaslStep.Challenge) m.start(Optional.of(b("n,,n=we=2Cird=3Dname,r=xyz")))).data());
        assertThat(first).contains(",s=MDEyMzQ1Njc4OWFiY2RlZg==,");
    }

    @Test
    void aFullExchangeWithAClientComputedHere() throws Exception {
        TestVerifier v = new TestVerifier().add("elsa@herald.test", "elsa@herald.test", "let it go");
        ScramSha256Mechanism m = new ScramSha256Mechanism(v, CTX);
        String clientFirstBare = "n=elsa@herald.test,r=clientnonce";
        String serverFirst = s(((SaslStep.Challenge) m.start(Optional.of(b("n,," + clientFirstBare)))).data());
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
        assertThat(nonce).startsWith("clientnonce").hasSizeGreaterThan("clientnonce".length() + 16);
        byte[] salt = Base64.getDecoder().decode(serverFirst.substring(serverFirst.indexOf("s=") + 2, serverFirst.indexOf(",i=")));
        byte[] salted = ScramCredential.saltedPassword("let it go".toCharArray(), salt, 4096);
        byte[] clientKey = ScramCredential.hmac(salted, "Client Key");
        String withoutProof = "c=biws,r=" + nonce;
        byte[] authMessage = b(clientFirstBare + "," + serverFirst + "," + withoutProof);
        byte[] sig = ScramCredential.hmac(ScramCredential.sha256(clientKey), authMessage);
        byte[] proof = new byte[32];
        for (int i = 0; i < 32; i++) proof[i] = (byte) (clientKey[i] ^ sig[i]);
        SaslStep.Success ok = (SaslStep.Success) m.respond(b(withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof)));
        byte[] serverSig = ScramCredential.hmac(ScramCredential.hmac(salted, "Server Key"), authMessage);
        assertThat(s(ok.additionalData().orElseThrow())).isEqualTo("v=" + Base64.getEncoder().encodeToString(serverSig));
    }

    @Test
    void malformedMessagesAreRefusedPrecisely() {
        for (String bad : new String[] {"n=user,r=abc", "p=tls-unique,,n=user,r=abc", "x,,n=user,r=abc", "n,,m=ext,n=user,r=abc",
                "n,,n=user", "n,,r=abc,n=user", "n,,n=us=er,r=abc", "n,,n=,r=abc", "n,,n=user,r=a\u0001b"}) {
            assertThatThrownBy(() -> rfcServer().start(Optional.of(b(bad)))).as(bad).isInstanceOf(MalformedSaslResponseException.class);
        }
        assertThatThrownBy(() -> rfcServer().start(Optional.of(new byte[] {'n', ',', ',', (byte) 0xff})))
                .isInstanceOf(MalformedSaslResponseException.class);
    }

    @Test
    void theChannelBindingAttributeMustMatchTheGs2Header() throws Exception {
        ScramSha256Mechanism m = rfcServer();
        m.start(Optional.of(b("n,,n=user,r=rOprNGfwEbeRWgbNEkqO")));
        assertThatThrownBy(() -> m.respond(b("c=eSws,r=rOprNGfwEbeRWgbNEkqO" + SNONCE + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")))
                .isInstanceOf(MalformedSaslResponseException.class);
    }
}

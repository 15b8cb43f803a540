package io.herald.sasl;

import io.herald.api.auth.AuthContext;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PlainAndLoginMechanismTest {

    static final AuthContext CTX = new AuthContext("PLAIN", "submission", null, true);
    final TestVerifier users = new TestVerifier().add("tim", "tim@herald.test", "tanstaaftanstaaf")
            .add("ünïcödé", "u@herald.test", "pässwörd");

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    SaslStep plain(String message) throws Exception {
        return new PlainMechanism(users, CTX).start(Optional.of(b(message)));
    }

    @Test
    void rfc4616Examples() throws Exception {
        // RFC 4616 §4: "\0tim\0tanstaaftanstaaf" and "Ursel\0Kurt\0xipj3plmq" (authzid differs: refused here)
        assertThat(plain("\0tim\0tanstaaftanstaaf")).isEqualTo(new SaslStep.Success("tim@herald.test", Optional.empty()));
        assertThat(plain("tim\0tim\0tanstaaftanstaaf")).isInstanceOf(SaslStep.Success.class);
        assertThat(plain("tim@herald.test\0tim\0tanstaaftanstaaf")).isInstanceOf(SaslStep.Success.class);
        SaslStep other = plain("Ursel\0tim\0tanstaaftanstaaf");
        assertThat(((SaslStep.Failure) other).kind()).isEqualTo(SaslFailure.INVALID_CREDENTIALS);
        assertThat(((SaslStep.Failure) other).logDetail()).contains("authzid");
    }

    @Test
    void wrongPasswordAndUnknownUserFailAlike() throws Exception {
        assertThat(((SaslStep.Failure) plain("\0tim\0wrong")).kind()).isEqualTo(SaslFailure.INVALID_CREDENTIALS);
        assertThat(((SaslStep.Failure) plain("\0nobody\0wrong")).kind()).isEqualTo(SaslFailure.INVALID_CREDENTIALS);
    }

    @Test
    void utf8NamesAndPasswords() throws Exception {
        assertThat(plain("\0ünïcödé\0pässwörd")).isInstanceOf(SaslStep.Success.class);
    }

    @Test
    void aTemporaryFailureIsNeverSuccess() throws Exception {
        users.down = true;
        assertThat(((SaslStep.Failure) plain("\0tim\0tanstaaftanstaaf")).kind()).isEqualTo(SaslFailure.TEMPORARY);
    }

    @Test
    void malformedPlainMessages() {
        for (String bad : new String[] {"tim tanstaaftanstaaf", "\0timtanstaaftanstaaf", "\0\0password", "\0tim\0", "a\0tim\0pw\0x"}) {
            assertThatThrownBy(() -> plain(bad)).as(bad.replace('\0', '|')).isInstanceOf(MalformedSaslResponseException.class);
        }
        assertThatThrownBy(() -> new PlainMechanism(users, CTX).start(Optional.of(new byte[] {0, 't', 0, (byte) 0xc3})))
                .isInstanceOf(MalformedSaslResponseException.class);
    }

    @Test
    void plainWithoutInitialResponseSendsAnEmptyChallenge() throws Exception {
        PlainMechanism m = new PlainMechanism(users, CTX);
        assertThat(((SaslStep.Challenge) m.start(Optional.empty())).data()).isEmpty();
        assertThat(m.respond(b("\0tim\0tanstaaftanstaaf"))).isInstanceOf(SaslStep.Success.class);
        assertThatThrownBy(() -> m.respond(b("\0tim\0tanstaaftanstaaf"))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void loginAsksForUserNameAndPassword() throws Exception {
        LoginMechanism m = new LoginMechanism(users, CTX);
        assertThat(new String(((SaslStep.Challenge) m.start(Optional.empty())).data())).isEqualTo("Username:");
        assertThat(new String(((SaslStep.Challenge) m.respond(b("tim"))).data())).isEqualTo("Password:");
        assertThat(m.respond(b("tanstaaftanstaaf"))).isEqualTo(new SaslStep.Success("tim@herald.test", Optional.empty()));

        LoginMechanism withInitial = new LoginMechanism(users, CTX);
        assertThat(new String(((SaslStep.Challenge) withInitial.start(Optional.of(b("tim")))).data())).isEqualTo("Password:");
        assertThat(((SaslStep.Failure) withInitial.respond(b("nope"))).kind()).isEqualTo(SaslFailure.INVALID_CREDENTIALS);
    }
}

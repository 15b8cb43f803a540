package io.herald.spam;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Folders;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamVerdict;
import io.herald.api.spam.SpamVerdict.Reason;
import io.herald.config.ConfigStore;
import io.herald.api.config.ConfigurationException;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SpamChainTest {

    static final Envelope ENV = new Envelope(Optional.of(new MailAddress("a", "example.org")),
            List.of(new MailAddress("olaf", "herald.test")), Map.of());
    static final MessageContent MSG = msg("Subject: hi\r\nFrom: a@example.org\r\n\r\nhello\r\n");

    static MessageContent msg(String s) {
        return MessageContent.of(s.getBytes(StandardCharsets.UTF_8));
    }

    static SessionInfo session(String ip, Optional<String> user) throws Exception {
        return new SessionInfo("s1", user.isPresent() ? "submission" : "smtp",
                new InetSocketAddress(InetAddress.getByName(ip), 40000), new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 2525),
                Optional.of("client.example"), true, false, user);
    }

    static SpamFilter fixed(String name, double score) {
        return new SpamFilter() {
            @Override public String name() { return name; }
            @Override public SpamVerdict score(io.herald.api.spam.SpamCheck check) {
                return SpamVerdict.of(new Reason(name.toUpperCase(), score, "fixed"));
            }
        };
    }

    static SpamSettings settings(Map<String, String> m) {
        return SpamSettings.from(new ConfigStore.MapConfiguration("spam", m));
    }

    static String status(SpamDecision d) {
        return d.headers().stream().filter(h -> h.name().equals("X-Spam-Status")).findFirst().orElseThrow().value();
    }

    @Test
    void scoresAddUpAndThresholdsDecide() throws Exception {
        try (SpamChain c = new SpamChain(() -> List.of(fixed("a", 1.5), fixed("b", 2.0)), SpamSettings.defaults())) {
            SpamDecision d = c.evaluate(session("192.0.2.1", Optional.empty()), ENV, MSG);
            assertThat(d).isInstanceOf(SpamDecision.Deliver.class);
            assertThat(d.headers()).containsExactly(new HeaderField("X-Spam-Score", "3.5"),
                    new HeaderField("X-Spam-Status", "No, score=3.5 required=5.0 tests=A,B"));
        }
        try (SpamChain c = new SpamChain(() -> List.of(fixed("a", 4), fixed("b", 2.0)), SpamSettings.defaults())) {
            SpamDecision d = c.evaluate(session("192.0.2.1", Optional.empty()), ENV, MSG);
            assertThat(d).isInstanceOf(SpamDecision.Junk.class);
            assertThat(status(d)).isEqualTo("Yes, score=6.0 required=5.0 tests=A,B");
            assertThat(SpamStatus.folderFor(d.headers())).isEqualTo(Folders.JUNK);
        }
        try (SpamChain c = new SpamChain(() -> List.of(fixed("a", 16)), SpamSettings.defaults())) {
            SpamDecision d = c.evaluate(session("192.0.2.1", Optional.empty()), ENV, MSG);
            assertThat(d).isInstanceOf(SpamDecision.Reject.class);
            assertThat(((SpamDecision.Reject) d).text()).isEqualTo("Message refused as spam (score=16.0 required=15.0)");
        }
    }

    @Test
    void authenticatedSubmissionsHaveTheirOwnThresholds() throws Exception {
        SpamSettings s = settings(Map.of("submission.junk", "10", "submission.reject", "30"));
        try (SpamChain c = new SpamChain(() -> List.of(fixed("a", 16)), s)) {
            assertThat(c.evaluate(session("192.0.2.1", Optional.of("elsa@herald.test")), ENV, MSG)).isInstanceOf(SpamDecision.Junk.class);
            assertThat(c.evaluate(session("192.0.2.1", Optional.empty()), ENV, MSG)).isInstanceOf(SpamDecision.Reject.class);
        }
    }

    @Test
    void aFilterThatThrowsOrHangsIsSkippedAndNamed() throws Exception {
        SpamFilter boom = new SpamFilter() {
            @Override public String name() { return "boom"; }
            @Override public SpamVerdict score(io.herald.api.spam.SpamCheck check) { throw new IllegalStateException("broken"); }
        };
        SpamFilter hang = new SpamFilter() {
            @Override public String name() { return "slow"; }
            @Override public Optional<Duration> timeLimit() { return Optional.of(Duration.ofMillis(200)); }
            @Override public SpamVerdict score(io.herald.api.spam.SpamCheck check) throws Exception {
                Thread.sleep(60_000);
                return SpamVerdict.NONE;
            }
        };
        try (SpamChain c = new SpamChain(() -> List.of(boom, hang, fixed("ok", 1)), SpamSettings.defaults())) {
            SpamDecision d = c.evaluate(session("192.0.2.1", Optional.empty()), ENV, MSG);
            assertThat(d).isInstanceOf(SpamDecision.Deliver.class);
            assertThat(status(d)).isEqualTo("No, score=1.0 required=5.0 tests=OK skipped=boom(error),slow(timeout)");
        }
    }

    @Test
    void aFilterAddsItsHeaderFieldsBelowTheVerdictAndASkippedFilterAddsNone() throws Exception {
        SpamFilter auth = new SpamFilter() {
            @Override public String name() { return "auth"; }
            @Override public SpamVerdict score(io.herald.api.spam.SpamCheck check) {
                return SpamVerdict.of(new Reason("SPF_FAIL", 3.0, "SPF fail"))
                        .withHeaders(List.of(new HeaderField("Authentication-Results", "mx.herald.test; spf=fail smtp.mailfrom=a@example.org")));
            }
        };
        SpamFilter broken = new SpamFilter() {
            @Override public String name() { return "broken"; }
            @Override public SpamVerdict score(io.herald.api.spam.SpamCheck check) { throw new IllegalStateException("down"); }
        };
        try (SpamChain c = new SpamChain(() -> List.of(auth, broken), SpamSettings.defaults())) {
            SpamDecision d = c.evaluate(session("192.0.2.1", Optional.empty()), ENV, MSG);
            assertThat(d.headers()).extracting(HeaderField::name).containsExactly("X-Spam-Score", "X-Spam-Status", "Authentication-Results");
            assertThat(d.headers().get(2).value()).isEqualTo("mx.herald.test; spf=fail smtp.mailfrom=a@example.org");
            assertThat(status(d)).isEqualTo("No, score=3.0 required=5.0 tests=SPF_FAIL skipped=broken(error)");
        }
    }

    @Test
    void anUpstreamVerdictCountsOnlyFromATrustedRelay() throws Exception {
        MessageContent forged = msg("X-Spam-Status: Yes, score=9.9 required=5.0 tests=X\r\nX-Spam-Score: 9.9\r\nSubject: hi\r\n\r\nbody\r\n");
        SpamSettings s = settings(Map.of("trusted.relays", "10.0.0.0/8, 2001:db8::/32"));
        try (SpamChain c = new SpamChain(() -> List.of(fixed("a", 1)), s)) {
            SpamDecision untrusted = c.evaluate(session("192.0.2.1", Optional.empty()), ENV, forged);
            assertThat(untrusted).isInstanceOf(SpamDecision.Deliver.class);
            assertThat(status(untrusted)).startsWith("No, score=1.0");

            SpamDecision trusted = c.evaluate(session("10.1.2.3", Optional.empty()), ENV, forged);
            assertThat(trusted).isInstanceOf(SpamDecision.Junk.class);
            assertThat(status(trusted)).isEqualTo("Yes, score=9.9 required=5.0 tests=A,UPSTREAM_SPAM");

            assertThat(c.evaluate(session("2001:db8::7", Optional.empty()), ENV, forged)).isInstanceOf(SpamDecision.Junk.class);
        }
    }

    @Test
    void deliveryReadsOnlyTheFieldsAddedAtThisHop() {
        assertThat(SpamStatus.folderFor(List.of())).isEqualTo(Folders.INBOX);
        assertThat(SpamStatus.folderFor(List.of(new HeaderField("X-Spam-Status", "No, score=0.1 required=5.0 tests=none"))))
                .isEqualTo(Folders.INBOX);
        assertThat(SpamStatus.folderFor(List.of(new HeaderField("X-Spam-Status", "Yes, score=6.1 required=5.0 tests=BAYES_99"))))
                .isEqualTo(Folders.JUNK);
    }

    @Test
    void theHookRejectsWith550AndOtherwiseAddsTheHeaders() throws Exception {
        try (SpamChain c = new SpamChain(() -> List.of(fixed("a", 20)), SpamSettings.defaults())) {
            HookResult r = new SpamHook(c).onMessage(session("192.0.2.1", Optional.empty()), ENV, MSG);
            assertThat(r).isEqualTo(HookResult.reject(550, "5.7.1", "Message refused as spam (score=20.0 required=15.0)"));
        }
        try (SpamChain c = new SpamChain(() -> List.of(fixed("a", 6)), SpamSettings.defaults())) {
            HookResult r = new SpamHook(c).onMessage(session("192.0.2.1", Optional.empty()), ENV, MSG);
            assertThat(r).isInstanceOf(HookResult.Next.class);
            assertThat(SpamStatus.junk(((HookResult.Next) r).addHeaders())).isTrue();
        }
    }

    @Test
    void wrongSettingsAreRefusedWithTheKey() {
        assertThatThrownBy(() -> settings(Map.of("junk", "five"))).isInstanceOf(ConfigurationException.class).hasMessageContaining("junk");
        assertThatThrownBy(() -> settings(Map.of("trusted.relays", "relay.example.com"))).hasMessageContaining("trusted.relays");
        assertThatThrownBy(() -> settings(Map.of("junk", "10", "reject", "5"))).hasMessageContaining("reject");
    }

    @Test
    void ipRanges() throws Exception {
        IpRanges r = IpRanges.parse(List.of("192.0.2.0/24", "198.51.100.7", "2001:db8::/32"));
        assertThat(r.contains(InetAddress.getByName("192.0.2.200"))).isTrue();
        assertThat(r.contains(InetAddress.getByName("192.0.3.1"))).isFalse();
        assertThat(r.contains(InetAddress.getByName("198.51.100.7"))).isTrue();
        assertThat(r.contains(InetAddress.getByName("198.51.100.8"))).isFalse();
        assertThat(r.contains(InetAddress.getByName("2001:db8:1::1"))).isTrue();
        assertThat(r.contains(InetAddress.getByName("::ffff:192.0.2.9"))).isTrue();
    }
}

package io.herald.plugin.dnsbl;

import io.herald.api.dns.DnsResolver;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamVerdict;
import io.herald.dns.DnsSettings;
import io.herald.dns.DnsjavaResolver;
import io.herald.testkit.dns.DnsResponder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Rcode;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The filter with the core's resolver against block-list zones served by a real DNS server on loopback. */
class DnsblFilterTest {

    static DnsResponder dns;
    static DnsResolver resolver;

    @BeforeAll
    static void start() {
        dns = DnsResponder.start();
        resolver = new DnsjavaResolver(new DnsSettings(List.of(dns.address()), Duration.ofSeconds(2), 1, false));
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    @BeforeEach
    void zones() {
        dns.clear();
        dns.clearQueries();
        // 192.0.2.99 is listed in both zones; 192.0.2.7 only with a code the second zone does not count
        dns.a("99.2.0.192.bl.test", "127.0.0.2").txt("99.2.0.192.bl.test", "Listed: see https://bl.test/99");
        dns.a("99.2.0.192.policy.test", "127.0.0.10");
        dns.a("7.2.0.192.policy.test", "127.0.0.4");
        // 2001:db8::1 listed by nibbles (RFC 5782 §2.4)
        dns.a("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test", "127.0.0.3");
        // an error answer of a list that refused the query (127.255.255.254): never "listed"
        dns.a("50.2.0.192.bl.test", "127.255.255.254");
    }

    static DnsblFilter filter(Map<String, String> extra) {
        Map<String, String> c = new HashMap<>(Map.of("zones", "bl.test, policy.test",
                "zone.bl.test.weight", "4.0", "zone.policy.test.weight", "1.5", "zone.policy.test.codes", "127.0.0.10, 127.0.0.11",
                "zone.policy.test.reason", "POLICY_LISTED"));
        c.putAll(extra);
        return new DnsblFilter(new TestConfig(c), resolver);
    }

    static SpamCheck from(String ip, Optional<String> user) throws Exception {
        SessionInfo s = new SessionInfo("d1", "smtp", new InetSocketAddress(InetAddress.getByName(ip), 40000),
                new InetSocketAddress("127.0.0.1", 25), Optional.of("client.example"), true, false, user);
        return SpamCheck.of(s, new Envelope(Optional.of(new MailAddress("a", "example.org")), List.of(new MailAddress("olaf", "herald.test")), Map.of()),
                MessageContent.of("Subject: hi\r\n\r\nhello\r\n".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void listedInBothZonesAddsBothWeightsWithTheListsText() throws Exception {
        SpamVerdict v = filter(Map.of()).score(from("192.0.2.99", Optional.empty()));
        assertThat(v.score()).isEqualTo(5.5);
        assertThat(v.reasons()).extracting(SpamVerdict.Reason::name).containsExactly("DNSBL_BL_TEST", "POLICY_LISTED");
        assertThat(v.reasons().get(0).description()).isEqualTo("192.0.2.99 listed in bl.test (127.0.0.2): Listed: see https://bl.test/99");
        assertThat(dns.queries()).extracting(q -> q.name().toString()).contains("99.2.0.192.bl.test.", "99.2.0.192.policy.test.");
    }

    @Test
    void notListedScoresNothing() throws Exception {
        assertThat(filter(Map.of()).score(from("192.0.2.1", Optional.empty()))).isEqualTo(SpamVerdict.NONE);
    }

    @Test
    void returnCodesOutsideTheZonesCodesAndErrorAnswersDoNotCount() throws Exception {
        assertThat(filter(Map.of()).score(from("192.0.2.7", Optional.empty())).reasons()).isEmpty(); // 127.0.0.4 not in codes
        assertThat(filter(Map.of()).score(from("192.0.2.50", Optional.empty())).reasons()).isEmpty(); // 127.255.255.254
    }

    @Test
    void ipv6ClientsAreLookedUpByNibbles() throws Exception {
        SpamVerdict v = filter(Map.of()).score(from("2001:db8::1", Optional.empty()));
        assertThat(v.reasons()).extracting(SpamVerdict.Reason::name).containsExactly("DNSBL_BL_TEST");
        assertThat(Rfc5782.queryName(InetAddress.getByName("2001:db8::1"), "bl.test"))
                .isEqualTo("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.test");
    }

    @Test
    void authenticatedAndPrivateClientsAreNotLookedUp() throws Exception {
        assertThat(filter(Map.of()).score(from("192.0.2.99", Optional.of("elsa@herald.test")))).isEqualTo(SpamVerdict.NONE);
        assertThat(filter(Map.of()).score(from("10.1.2.3", Optional.empty()))).isEqualTo(SpamVerdict.NONE);
        assertThat(filter(Map.of()).score(from("127.0.0.1", Optional.empty()))).isEqualTo(SpamVerdict.NONE);
        assertThat(dns.queries()).isEmpty();
    }

    @Test
    void aFailingZoneMakesTheFilterFailOpenUnlessAnotherListed() throws Exception {
        dns.fail("1.2.0.192.bl.test", Rcode.SERVFAIL);
        assertThatThrownBy(() -> filter(Map.of()).score(from("192.0.2.1", Optional.empty())))
                .isInstanceOf(IOException.class).hasMessageContaining("bl.test");
        dns.fail("99.2.0.192.bl.test", Rcode.SERVFAIL);
        SpamVerdict v = filter(Map.of()).score(from("192.0.2.99", Optional.empty()));
        assertThat(v.reasons()).extracting(SpamVerdict.Reason::name).containsExactly("POLICY_LISTED");
    }

    @Test
    void wrongConfigurationIsRefusedWithTheKey() {
        assertThatThrownBy(() -> filter(Map.of("zones", "not a zone"))).hasMessageContaining("zones");
        assertThatThrownBy(() -> filter(Map.of("zone.bl.test.weight", "heavy"))).hasMessageContaining("zone.bl.test.weight");
        assertThatThrownBy(() -> filter(Map.of("zone.policy.test.codes", "10.0.0.2"))).hasMessageContaining("zone.policy.test.codes");
        assertThat(new DnsblFilter(new TestConfig(Map.of()), resolver).zones()).isEmpty();
    }

    /**
     * A misspelt key of the zone.&lt;zone&gt;.* family is refused with the key (the server's unknown-key warning knows
     * the family only by its prefix, so it would pass silently and leave the zone at its default weight); a key of a
     * zone not listed (yet) is allowed; a zone written in capitals finds its keys written the same way, and two keys for the same zone and setting are refused.
     */
    @Test
    void aMisspeltZoneKeyIsRefusedAndAZoneInCapitalsFindsItsKeys() throws Exception {
        assertThatThrownBy(() -> filter(Map.of("zone.bl.test.wieght", "2.0")))
                .hasMessageContaining("zone.bl.test.wieght = '2.0' is not allowed")
                .hasMessageContaining("zone.<zone>.weight, zone.<zone>.codes or zone.<zone>.reason");
        assertThatThrownBy(() -> filter(Map.of("zone.weight", "2.0"))).hasMessageContaining("zone.weight = '2.0'");
        assertThat(filter(Map.of("zone.later.test.weight", "2.0")).zones()).extracting(Zone::name)
                .containsExactly("bl.test", "policy.test");

        assertThatThrownBy(() -> filter(Map.of("zone.BL.test.weight", "2.0")))
                .hasMessageContaining("zone.bl.test.weight = '4.0' is not allowed; expected one key per zone and setting (zone.BL.test.weight is the same)");
        SpamVerdict v = new DnsblFilter(new TestConfig(Map.of("zones", "BL.Test.", "zone.BL.Test.weight", "2.5",
                "zone.BL.Test.reason", "CAPS")), resolver).score(from("192.0.2.99", Optional.empty()));
        assertThat(v.score()).isEqualTo(2.5);
        assertThat(v.reasons()).extracting(SpamVerdict.Reason::name).containsExactly("CAPS");
    }
}

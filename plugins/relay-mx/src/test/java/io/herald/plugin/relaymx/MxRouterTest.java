package io.herald.plugin.relaymx;

import io.herald.api.config.Configuration;
import io.herald.api.config.ConfigurationException;
import io.herald.api.config.ServerIdentity;
import io.herald.api.dns.DnsResolver;
import io.herald.api.dns.DnsResult;
import io.herald.api.dns.MxRecord;
import io.herald.api.dns.TxtRecord;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.routing.Route;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The RFC 5321 §5.1 and RFC 7505 rules of {@link MxRouter}, with DNS answers given as {@link DnsResult} values (the
 * wire side of DNS is tested in the framework and by the relay story over a real DNS responder).
 */
class MxRouterTest {

    static final Envelope ENV = new Envelope(Optional.of(new MailAddress("elsa", "arendelle.test")),
            List.of(new MailAddress("olaf", "northmountain.test")), Map.of());

    /** DNS answers by name; a name not listed does not exist. */
    record Zone(Map<String, DnsResult<MxRecord>> mx, Map<String, List<InetAddress>> a) implements DnsResolver {
        @Override public DnsResult<MxRecord> mx(String domain) {
            return mx.getOrDefault(domain, a.containsKey(domain) ? new DnsResult.NoData<>(domain) : new DnsResult.NoSuchDomain<>(domain));
        }
        @Override public DnsResult<InetAddress> a(String host) {
            List<InetAddress> r = a.get(host);
            if (r == null) return mx.containsKey(host) ? new DnsResult.NoData<>(host) : new DnsResult.NoSuchDomain<>(host);
            return r.isEmpty() ? new DnsResult.NoData<>(host) : new DnsResult.Found<>(r, Duration.ofMinutes(5));
        }
        @Override public DnsResult<InetAddress> aaaa(String host) { return new DnsResult.NoData<>(host); }
        @Override public DnsResult<TxtRecord> txt(String name) { return new DnsResult.NoData<>(name); }
        @Override public DnsResult<String> ptr(InetAddress address) { return new DnsResult.NoData<>(address.getHostAddress()); }
    }

    record Config(Map<String, String> values) implements Configuration {
        @Override public String pid() { return "relay-mx"; }
        @Override public Optional<String> get(String key) { return Optional.ofNullable(values.get(key)); }
        @Override public Set<String> keys() { return values.keySet(); }
    }

    static ServerIdentity identity(String hostname) {
        return new ServerIdentity() {
            @Override public String hostname() { return hostname; }
            @Override public Set<String> localDomains() { return Set.of("arendelle.test"); }
        };
    }

    static DnsResult<MxRecord> mx(MxRecord... records) {
        return new DnsResult.Found<>(List.of(records), Duration.ofMinutes(5));
    }

    static Route route(DnsResolver dns, String hostname, String domain, long seed) {
        return new MxRouter(identity(hostname), dns, new Config(Map.of()), new Random(seed))
                .route(ENV, new MailAddress("olaf", domain));
    }

    @Test
    void preferenceOrderWithEqualPreferencesShuffled() {
        Zone z = new Zone(Map.of("northmountain.test", mx(new MxRecord(20, "backup.test"), new MxRecord(10, "a.test"),
                new MxRecord(10, "b.test"), new MxRecord(10, "c.test"))), Map.of());
        Set<List<String>> orders = new HashSet<>();
        for (long seed = 0; seed < 40; seed++) {
            Route.Relay r = (Route.Relay) route(z, "mail.arendelle.test", "northmountain.test", seed);
            assertThat(r.hosts()).hasSize(4).endsWith("backup.test");
            assertThat(r.hosts().subList(0, 3)).containsExactlyInAnyOrder("a.test", "b.test", "c.test");
            assertThat(r.port()).isZero();
            assertThat(r.tls()).isEqualTo(Route.TlsPolicy.OPPORTUNISTIC);
            orders.add(r.hosts());
        }
        assertThat(orders).as("random order among equal preferences").hasSizeGreaterThan(1);
    }

    @Test
    void aBackupMxHandsOnlyToBetterOnesAndRefusesWhenItIsTheBest() {
        Zone z = new Zone(Map.of("northmountain.test", mx(new MxRecord(10, "mx.northmountain.test"),
                new MxRecord(20, "hub.test"), new MxRecord(20, "peer.test"), new MxRecord(30, "last.test"))), Map.of());
        assertThat(((Route.Relay) route(z, "hub.test", "northmountain.test", 1)).hosts()).containsExactly("mx.northmountain.test");
        Route self = route(z, "mx.northmountain.test", "northmountain.test", 1);
        assertThat(self).isEqualTo(Route.refuse(550, "5.4.6",
                "mail for northmountain.test loops back to myself (mx.northmountain.test is its most preferred MX)"));
    }

    @Test
    void noMxFallsBackToTheDomainsAddressAndNoAddressIsRefused() throws Exception {
        Zone z = new Zone(Map.of(), Map.of("implicit.test", List.of(InetAddress.getByName("192.0.2.7")), "bare.test", List.of()));
        assertThat(((Route.Relay) route(z, "h", "implicit.test", 1)).hosts()).containsExactly("implicit.test");
        assertThat(route(z, "h", "bare.test", 1)).isInstanceOfSatisfying(Route.Refuse.class, r -> {
            assertThat(r.code()).isEqualTo(550);
            assertThat(r.enhancedCode()).isEqualTo("5.1.2");
            assertThat(r.text()).contains("no MX and no address");
        });
        assertThat(route(z, "h", "missing.test", 1)).isInstanceOfSatisfying(Route.Refuse.class, r -> {
            assertThat(r.code()).isEqualTo(550);
            assertThat(r.text()).contains("does not exist");
        });
    }

    @Test
    void nullMxIsRefusedAtOnceWith556() {
        Zone z = new Zone(Map.of("nomail.test", mx(new MxRecord(0, "."))), Map.of());
        assertThat(route(z, "h", "nomail.test", 1)).isEqualTo(Route.refuse(556, "5.1.10",
                "<olaf@nomail.test>: recipient address has null MX (RFC 7505)"));
    }

    @Test
    void aTemporaryDnsFailureDefersAndLocalDomainsPass() {
        Zone z = new Zone(Map.of("flaky.test", new DnsResult.TemporaryFailure<>("flaky.test", "SERVFAIL")), Map.of());
        assertThat(route(z, "h", "flaky.test", 1)).isInstanceOfSatisfying(Route.Refuse.class, r -> {
            assertThat(r.code()).isEqualTo(451);
            assertThat(r.enhancedCode()).isEqualTo("4.4.3");
            assertThat(r.text()).contains("SERVFAIL");
        });
        assertThat(route(z, "h", "arendelle.test", 1)).isEqualTo(Route.pass());
        assertThat(new MxRouter(identity("h"), z, new Config(Map.of()), new Random()).relayOnly()).isTrue();
    }

    @Test
    void portAndTlsAreConfigurable() {
        Zone z = new Zone(Map.of("northmountain.test", mx(new MxRecord(10, "mx.test"))), Map.of());
        Route.Relay r = (Route.Relay) new MxRouter(identity("h"), z, new Config(Map.of("port", "2525", "tls", "required")), new Random())
                .route(ENV, new MailAddress("olaf", "northmountain.test"));
        assertThat(r.port()).isEqualTo(2525);
        assertThat(r.requiresTls()).isTrue();
        assertThatThrownBy(() -> new MxRouter(identity("h"), z, new Config(Map.of("tls", "sometimes")), new Random()))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("tls").hasMessageContaining("sometimes");
    }
}

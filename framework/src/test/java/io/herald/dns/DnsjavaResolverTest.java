package io.herald.dns;

import io.herald.api.config.ConfigurationException;
import io.herald.api.dns.DnsResolver;
import io.herald.api.dns.DnsResult;
import io.herald.api.dns.MxRecord;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import io.herald.config.ConfigStore;
import io.herald.config.HeraldPaths;
import io.herald.host.ExtensionRegistry;
import io.herald.host.PlainHost;
import jakarta.inject.Inject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DnsjavaResolverTest {

    @TempDir
    Path home;

    @Test
    void serversKeyTakesAddressesWithPortsAndRefusesNames() {
        DnsSettings s = DnsSettings.from(new ConfigStore.MapConfiguration("dns",
                Map.of("servers", "127.0.0.1:5353, [::1]:53, 192.0.2.1", "timeout", "2s", "retries", "0")));
        assertThat(s.servers()).containsExactly(new InetSocketAddress("127.0.0.1", 5353),
                new InetSocketAddress("::1", 53), new InetSocketAddress("192.0.2.1", 53));
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(DnsSettings.from(new ConfigStore.MapConfiguration("dns", Map.of())).servers()).isEmpty();
        for (String bad : List.of("dns.example.org", "127.0.0.1:0", "127.0.0.1:70000", "[::1", "::1]:53x")) {
            assertThatThrownBy(() -> DnsSettings.from(new ConfigStore.MapConfiguration("dns", Map.of("servers", bad))))
                    .isInstanceOf(ConfigurationException.class).hasMessageContaining("servers").hasMessageContaining(bad);
        }
        assertThatThrownBy(() -> DnsSettings.from(new ConfigStore.MapConfiguration("dns", Map.of("timeout", "0s"))))
                .isInstanceOf(ConfigurationException.class).hasMessageContaining("timeout");
    }

    @Test
    void aServerThatNeverAnswersIsATemporaryFailureWithinTheTimeLimit() throws Exception {
        // a bound UDP socket that reads nothing: the query is delivered and never answered
        try (DatagramSocket silent = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            DnsResolver dns = new DnsjavaResolver(new DnsSettings(List.of((InetSocketAddress) silent.getLocalSocketAddress()),
                    Duration.ofMillis(400), 0, true));
            DnsResult<MxRecord> r = dns.mx("example.org");
            assertThat(r).isInstanceOf(DnsResult.TemporaryFailure.class);
            assertThat(((DnsResult.TemporaryFailure<MxRecord>) r).name()).isEqualTo("example.org");
            assertThat(r.records()).isEmpty();
            assertThat(r.found()).isFalse();
            // failures are not cached: the next lookup asks again (and fails again)
            assertThat(dns.a("mx.example.org")).isInstanceOf(DnsResult.TemporaryFailure.class);
        }
    }

    @Test
    void invalidNamesAreRefusedBeforeAnyQuery() {
        DnsResolver dns = new DnsjavaResolver(new DnsSettings(List.of(new InetSocketAddress("127.0.0.1", 9)),
                Duration.ofMillis(200), 0, true));
        String longLabel = "a".repeat(64) + ".example";
        for (String bad : List.of("", " ", "a..b", ".example.org", longLabel)) {
            assertThatThrownBy(() -> dns.mx(bad)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("domain name");
        }
    }

    @Test
    void mxRecordNormalisesTheExchangeAndKnowsTheNullMx() {
        assertThat(new MxRecord(10, "MX1.Example.ORG.").exchange()).isEqualTo("mx1.example.org");
        assertThat(new MxRecord(0, ".").isNullMx()).isTrue();
        assertThat(new MxRecord(10, ".").isNullMx()).isFalse();
        assertThat(new MxRecord(0, "mx.example.org").isNullMx()).isFalse();
        assertThatThrownBy(() -> new MxRecord(70000, "x")).isInstanceOf(IllegalArgumentException.class);
        DnsResult<MxRecord> found = new DnsResult.Found<>(List.of(new MxRecord(5, "a.example")), Duration.ofSeconds(60));
        assertThat(found.map(MxRecord::exchange).records()).containsExactly("a.example");
        assertThat(new DnsResult.NoData<MxRecord>("x").map(MxRecord::exchange)).isEqualTo(new DnsResult.NoData<String>("x"));
    }

    /** A plugin asks for the DNS service like for any core service. */
    public static final class DnsUser implements Router {
        final DnsResolver dns;

        @Inject
        public DnsUser(DnsResolver dns) {
            this.dns = dns;
        }

        @Override
        public Route route(io.herald.api.mail.Envelope envelope, io.herald.api.mail.MailAddress recipient) {
            return Route.pass();
        }
    }

    public static final class DnsUserPlugin extends HeraldPlugin {
        @Override
        protected void configure() {
            router().to(DnsUser.class);
        }
    }

    @Test
    void pluginsGetTheResolverConfiguredInDnsCfg() throws Exception {
        java.nio.file.Files.createDirectories(home.resolve("conf"));
        java.nio.file.Files.writeString(home.resolve("conf/dns.cfg"), "servers = 127.0.0.1:5353\ntimeout = 3s\n");
        ConfigStore configs = new ConfigStore(home.resolve("conf"), Map.of());
        ExtensionRegistry registry = new ExtensionRegistry();
        PlainHost host = new PlainHost(registry, configs, new HeraldPaths(home),
                io.herald.config.LiveIdentity.following(configs), new io.herald.notify.EventDispatcher(registry, 10), Clock.systemUTC(), false);
        host.start(new DnsUserPlugin(), "dns-user", "1");
        DnsUser user = (DnsUser) registry.snapshot().routers().get(0);
        assertThat(user.dns).isSameAs(host.dns());
        assertThat(user.dns.toString()).contains("127.0.0.1").contains("5353").contains("PT3S");
    }
}

package io.herald.plugin.relaystatic;

import io.herald.api.config.Configuration;
import io.herald.api.config.ConfigurationException;
import io.herald.api.config.ServerIdentity;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.routing.Route;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StaticRouterTest {

    static final ServerIdentity ID = new ServerIdentity() {
        @Override public String hostname() { return "mail.arendelle.test"; }
        @Override public Set<String> localDomains() { return Set.of("arendelle.test"); }
    };
    static final Envelope ENV = new Envelope(Optional.empty(), List.of(), Map.of());

    record Config(Map<String, String> values) implements Configuration {
        @Override public String pid() { return "relay-static"; }
        @Override public Optional<String> get(String key) { return Optional.ofNullable(values.get(key)); }
        @Override public Set<String> keys() { return values.keySet(); }
    }

    static Route route(Map<String, String> config, String domain) {
        return new StaticRouter(ID, new Config(config)).route(ENV, new MailAddress("x", domain));
    }

    @Test
    void exactDomainThenLongestSubdomainPatternThenSmarthost() {
        Map<String, String> c = Map.of(
                "route.example.org", "192.0.2.25:2525, backup.example.org",
                "route..example.net", "relay.example.net",
                "route..eu.example.net", "[2001:db8::1]:26",
                "smarthost", "smtp.provider.example:587",
                "smarthost.username", "herald", "smarthost.password", "s3cret");
        assertThat(route(c, "example.org")).isEqualTo(new Route.Relay(List.of("192.0.2.25:2525", "backup.example.org")));
        assertThat(route(c, "a.example.net")).isEqualTo(new Route.Relay(List.of("relay.example.net")));
        assertThat(route(c, "x.eu.example.net")).isEqualTo(new Route.Relay(List.of("[2001:db8::1]:26")));
        Route.Relay smart = (Route.Relay) route(c, "elsewhere.test");
        assertThat(smart.hosts()).containsExactly("smtp.provider.example:587");
        assertThat(smart.credentials()).contains(new Route.Credentials("herald", "s3cret"));
        assertThat(smart.requiresTls()).as("credentials are only sent over TLS").isTrue();
        assertThat(smart.toString()).doesNotContain("s3cret");
        assertThat(route(c, "arendelle.test")).as("local domains are never relayed").isEqualTo(Route.pass());
    }

    @Test
    void withoutSmarthostUnknownDomainsPassToTheNextRouter() {
        assertThat(route(Map.of("route.example.org", "mx.example.org"), "other.test")).isEqualTo(Route.pass());
        Route.Relay r = (Route.Relay) route(Map.of("route.example.org", "mx.example.org", "route.tls", "required"), "example.org");
        assertThat(r.tls()).isEqualTo(Route.TlsPolicy.REQUIRED);
        assertThat(new StaticRouter(ID, new Config(Map.of())).relayOnly()).isTrue();
    }

    @Test
    void badValuesAreRefusedNamingTheKey() {
        for (Map<String, String> bad : List.of(
                Map.of("route.example.org", ""),
                Map.of("route.example.org", "mx.example.org:99999"),
                Map.of("route.example.org", "mx example org"),
                Map.of("route.tls", "maybe"),
                Map.of("smarthost", "smtp.example:587", "smarthost.username", "u"),
                Map.of("smarthost.username", "u"))) {
            assertThatThrownBy(() -> new StaticRouter(ID, new Config(bad))).as(bad.toString())
                    .isInstanceOf(ConfigurationException.class);
        }
    }
}

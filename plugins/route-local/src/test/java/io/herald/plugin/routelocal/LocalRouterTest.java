package io.herald.plugin.routelocal;

import io.herald.api.config.Configuration;
import io.herald.api.config.ServerIdentity;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.routing.Route;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** {@link LocalRouter#routeWithoutBlocking}: the same answers as {@code route}, only when the store can give them from memory. */
class LocalRouterTest {

    static final ServerIdentity IDENTITY = new ServerIdentity() {
        @Override public String hostname() { return "mx.herald.test"; }
        @Override public Set<String> localDomains() { return Set.of("herald.test"); }
    };

    record MapConfig(String pid, Map<String, String> values) implements Configuration {
        @Override public Optional<String> get(String key) { return Optional.ofNullable(values.get(key)); }
        @Override public Set<String> keys() { return values.keySet(); }
    }

    /** One mailbox, olaf's; counts the calls of exists. */
    static final class Store implements MailboxStore {
        final boolean fromMemory;
        final AtomicInteger existsCalls = new AtomicInteger();

        Store(boolean fromMemory) {
            this.fromMemory = fromMemory;
        }

        @Override public boolean exists(String mailbox) {
            existsCalls.incrementAndGet();
            return mailbox.equals("olaf@herald.test");
        }
        @Override public boolean existsWithoutBlocking() { return fromMemory; }
        @Override public void create(String mailbox) { throw new UnsupportedOperationException(); }
        @Override public List<String> mailboxes() { return List.of("olaf@herald.test"); }
        @Override public List<String> folders(String mailbox) { return List.of("INBOX"); }
        @Override public StoredMessage deliver(Delivery delivery) { throw new UnsupportedOperationException(); }
        @Override public List<StoredMessage> list(String mailbox, String folder) { return List.of(); }
        @Override public Optional<MessageContent> content(String mailbox, String folder, long uid) { return Optional.empty(); }
    }

    static final Envelope ENV = new Envelope(Optional.empty(), List.of(), Map.of());
    static final Configuration CONFIG = new MapConfig("route-local", Map.of("postmaster", "olaf@herald.test"));

    @Test
    void aStoreThatKnowsItsMailboxesInMemoryGetsEveryAnswerWithoutAHandOff() {
        LocalRouter router = new LocalRouter(IDENTITY, new Store(true), CONFIG);
        for (MailAddress a : List.of(new MailAddress("olaf", "herald.test"), new MailAddress("nobody", "herald.test"),
                new MailAddress("postmaster", "herald.test"), new MailAddress("olaf", "elsewhere.example"))) {
            assertThat(router.routeWithoutBlocking(ENV, a)).as(a.toString()).contains(router.route(ENV, a));
        }
        assertThat(router.routeWithoutBlocking(ENV, new MailAddress("nobody", "herald.test")))
                .contains(Route.refuse(550, "5.1.1", "<nobody@herald.test>: no such user here"));
    }

    @Test
    void aStoreThatMayBlockIsOnlyAskedOnTheHookExecutor() {
        Store store = new Store(false);
        LocalRouter router = new LocalRouter(IDENTITY, store, CONFIG);
        assertThat(router.routeWithoutBlocking(ENV, new MailAddress("olaf", "herald.test"))).isEmpty();
        assertThat(router.routeWithoutBlocking(ENV, new MailAddress("nobody", "herald.test"))).isEmpty();
        assertThat(store.existsCalls).hasValue(0);
        // what needs no store is still answered here
        assertThat(router.routeWithoutBlocking(ENV, new MailAddress("olaf", "elsewhere.example"))).contains(Route.pass());
        assertThat(router.routeWithoutBlocking(ENV, new MailAddress("postmaster", "herald.test"))).contains(Route.local("olaf@herald.test"));
        assertThat(router.route(ENV, new MailAddress("olaf", "herald.test"))).isEqualTo(Route.local("olaf@herald.test"));
    }
}

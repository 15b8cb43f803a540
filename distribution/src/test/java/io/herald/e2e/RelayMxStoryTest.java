package io.herald.e2e;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.plugin.authfile.AuthFilePlugin;
import io.herald.plugin.mailbox.LuceneMailboxPlugin;
import io.herald.plugin.relaymx.RelayMxPlugin;
import io.herald.plugin.routelocal.RouteLocalPlugin;
import io.herald.queue.RecipientState;
import io.herald.server.HeraldServer;
import io.herald.testkit.dns.DnsResponder;
import jakarta.mail.SendFailedException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Rcode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.herald.e2e.RelayStoryTest.ELSA;
import static io.herald.e2e.RelayStoryTest.ELSA_IP;
import static io.herald.e2e.RelayStoryTest.ELSA_PW;
import static io.herald.e2e.RelayStoryTest.HUB_IP;
import static io.herald.e2e.RelayStoryTest.OLAF;
import static io.herald.e2e.RelayStoryTest.OLAF_IP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The relay story routed by MX records, served by real DNS responders on loopback (testkit {@link DnsResponder}).
 * Split horizon, as a gateway is run: the world's view (Elsa's server asks it) names the hub as the MX of
 * northmountain.test; the inside view (the hub asks it) names Olaf's server, and arendelle.test's MX for the DSNs.
 * Every server has relay-mx and no static route.
 */
class RelayMxStoryTest {

    static final String BACKUP_IP = "127.0.0.5";   // an MX host where nothing listens

    @TempDir
    Path tmp;

    final int port = RelayStoryTest.freePortOnAll(ELSA_IP, HUB_IP, OLAF_IP, BACKUP_IP);
    final List<AutoCloseable> running = new ArrayList<>();
    DnsResponder world;
    DnsResponder inside;

    @AfterEach
    void stopAll() throws Exception {
        for (int i = running.size() - 1; i >= 0; i--) running.get(i).close();
    }

    void zones() {
        world = DnsResponder.start();
        running.add(world);
        world.mx("northmountain.test", 10, "mx.northmountain.test").a("mx.northmountain.test", HUB_IP)
                .nullMx("nomail.test")
                .mx("twomx.test", 5, "broken.twomx.test").a("broken.twomx.test", BACKUP_IP)
                .mx("twomx.test", 10, "mx.northmountain.test");
        inside = DnsResponder.start();
        running.add(inside);
        inside.mx("northmountain.test", 10, "mail.northmountain.test").a("mail.northmountain.test", OLAF_IP)
                .mx("arendelle.test", 10, "mail.arendelle.test").a("mail.arendelle.test", ELSA_IP)
                .nullMx("closed.test");
    }

    HeraldServer start(String name, String ip, String hostname, String domains, DnsResponder dns, Map<String, String> smtp)
            throws IOException {
        List<HeraldPlugin> plugins = List.of(new RouteLocalPlugin(), new LuceneMailboxPlugin(), new AuthFilePlugin(), new RelayMxPlugin());
        HeraldServer.Builder b = HeraldServer.builder().home(tmp.resolve(name))
                .set("herald", "hostname", hostname).set("herald", "domains", domains)
                .set("dns", "servers", "127.0.0.1:" + dns.port()).set("dns", "timeout", "2s")
                .set("smtp", "bind", ip).set("smtp", "port", String.valueOf(port))
                .set("submission", "bind", ip).set("submission", "port", "0").set("submissions", "port", "-1")
                .set("outbound", "port", String.valueOf(port)).set("outbound", "bind", ip)
                .set("queue", "retry.initial", "1s").set("queue", "retry.max", "1s")
                .set("auth-file", "iterations", "4096")
                .plugins(plugins);
        smtp.forEach((k, v) -> b.set("smtp", k, v));
        HeraldServer s = b.start();
        running.add(s);
        return s;
    }

    HeraldServer elsa() throws Exception {
        HeraldServer s = start("elsa", ELSA_IP, "mail.arendelle.test", "arendelle.test", world, Map.of());
        s.mailboxStore().create(ELSA);
        s.ensureUsers(Map.of(ELSA, ELSA_PW));
        return s;
    }

    HeraldServer hub() throws IOException {
        return start("hub", HUB_IP, "mx.northmountain.test", "hub.test", inside, Map.of("relayNetworks", ELSA_IP + "/32"));
    }

    HeraldServer olaf() throws Exception {
        HeraldServer s = start("olaf", OLAF_IP, "mail.northmountain.test", "northmountain.test", inside, Map.of());
        s.mailboxStore().create(OLAF);
        return s;
    }

    @Test
    void elsaToOlafByMxRecordsOverThreeHops() throws Exception {
        zones();
        HeraldServer olaf = olaf();
        hub();
        HeraldServer elsa = elsa();
        Path message = RelayStoryTest.corpusSample().get(3);
        RelayStoryTest.submit(elsa, List.of(message), OLAF);
        MailboxStore store = olaf.mailboxStore();
        await().atMost(60, TimeUnit.SECONDS).until(() -> store.list(OLAF, Folders.INBOX).size() == 1);
        byte[] stored = RelayStoryTest.read(store, OLAF, store.list(OLAF, Folders.INBOX).get(0).uid());
        List<String> received = new ArrayList<>();
        assertThat(WireFormat.stripHops(stored, 3, received)).isEqualTo(WireFormat.crlf(Files.readAllBytes(message)));
        assertThat(received.get(0)).contains("by mail.northmountain.test").contains("[" + HUB_IP + "]");
        assertThat(received.get(1)).contains("by mx.northmountain.test").contains("[" + ELSA_IP + "]");
        assertThat(received.get(2)).contains("by mail.arendelle.test");
        // the hub is itself the MX of northmountain.test in the world's view; it asked its own view
        assertThat(world.queries("northmountain.test")).isNotEmpty();
        assertThat(inside.queries("northmountain.test")).isNotEmpty();
    }

    @Test
    void aPreferredMxThatDoesNotAnswerFallsBackToTheNext() throws Exception {
        zones();
        // twomx.test: MX 5 at 127.0.0.5 (nothing listens there), MX 10 the hub; inside, the hub sends it to Olaf
        inside.mx("twomx.test", 10, "mail.northmountain.test");
        HeraldServer olaf = start("olaf", OLAF_IP, "mail.northmountain.test", "northmountain.test, twomx.test", inside, Map.of());
        olaf.mailboxStore().create("olaf@twomx.test");
        hub();
        HeraldServer elsa = elsa();
        RelayStoryTest.submit(elsa, List.of(RelayStoryTest.corpusSample().get(0)), "olaf@twomx.test");
        MailboxStore store = olaf.mailboxStore();
        await().atMost(60, TimeUnit.SECONDS).until(() -> store.list("olaf@twomx.test", Folders.INBOX).size() == 1);
        assertThat(world.queries("broken.twomx.test")).as("the preferred MX was looked up (and tried) first").isNotEmpty();
        List<String> received = new ArrayList<>();
        WireFormat.stripHops(RelayStoryTest.read(store, "olaf@twomx.test", store.list("olaf@twomx.test", Folders.INBOX).get(0).uid()),
                3, received);
        assertThat(received.get(1)).as("it went through the hub, the second MX").contains("by mx.northmountain.test");
    }

    @Test
    void nullMxIsRefusedAtOnceToTheClientAndBouncedWhenSeenOnTheWay() throws Exception {
        zones();
        olaf();
        hub();
        HeraldServer elsa = elsa();
        // Elsa's own server sees the null MX at RCPT time: 556 straight to her client
        assertThatThrownBy(() -> RelayStoryTest.submit(elsa, List.of(RelayStoryTest.corpusSample().get(0)), "x@nomail.test"))
                .isInstanceOf(SendFailedException.class).hasStackTraceContaining("556 5.1.10");
        // closed.test: the world names the hub as its MX, the hub's own view has a null MX: the hub refuses at RCPT
        // time and Elsa's server bounces
        world.mx("closed.test", 10, "mx.northmountain.test");
        RelayStoryTest.submit(elsa, List.of(RelayStoryTest.corpusSample().get(0)), "x@closed.test");
        MailboxStore store = elsa.mailboxStore();
        await().atMost(60, TimeUnit.SECONDS).until(() -> store.list(ELSA, Folders.INBOX).size() == 1);
        String dsn = new String(RelayStoryTest.read(store, ELSA, store.list(ELSA, Folders.INBOX).get(0).uid()), StandardCharsets.UTF_8);
        assertThat(dsn).contains("Final-Recipient: rfc822; x@closed.test").contains("Status: 5.1.10")
                .contains("556 5.1.10");
    }

    @Test
    void aDnsFailureDefersAndTheMessageGoesOnceDnsAnswersAgain() throws Exception {
        zones();
        HeraldServer olaf = olaf();
        hub();
        HeraldServer elsa = elsa();
        inside.fail("northmountain.test", Rcode.SERVFAIL);
        RelayStoryTest.submit(elsa, List.of(RelayStoryTest.corpusSample().get(1)), OLAF);
        // the hub's MX lookup fails at RCPT time: 451 4.4.3 to Elsa's server, which keeps the message and retries
        await().atMost(30, TimeUnit.SECONDS).until(() -> elsa.queue().list().stream()
                .flatMap(e -> e.recipients().stream())
                .anyMatch(r -> r.status() == RecipientState.Status.DEFERRED && r.lastReply().startsWith("451 4.4.3")));
        inside.remove("northmountain.test");   // the failure ends: the MX is served again
        inside.mx("northmountain.test", 10, "mail.northmountain.test");
        MailboxStore store = olaf.mailboxStore();
        await().atMost(60, TimeUnit.SECONDS).until(() -> store.list(OLAF, Folders.INBOX).size() == 1);
        for (AutoCloseable c : running) if (c instanceof HeraldServer s) assertThat(s.awaitIdle(Duration.ofSeconds(30))).isTrue();
        assertThat(store.list(OLAF, Folders.INBOX)).hasSize(1);
    }
}

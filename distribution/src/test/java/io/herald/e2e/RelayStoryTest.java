package io.herald.e2e;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.plugin.authfile.AuthFilePlugin;
import io.herald.plugin.mailbox.LuceneMailboxPlugin;
import io.herald.plugin.relaystatic.RelayStaticPlugin;
import io.herald.plugin.routelocal.RouteLocalPlugin;
import io.herald.queue.QueueEntry;
import io.herald.queue.RecipientState;
import io.herald.server.HeraldServer;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The relay story on loopback with static routes: Elsa submits (STARTTLS, AUTH) to her server at 127.0.0.2, which
 * relays to the hub at 127.0.0.3, which relays to Olaf's server at 127.0.0.4. All three listen on one port (the
 * outbound port of each), as real MTAs listen on 25. See {@link RelayMxStoryTest} for the same story routed by MX
 * records.
 */
class RelayStoryTest {

    static final Path CORPUS = Path.of(System.getProperty("herald.corpus", "../../shared/corpus"));
    static final String ELSA = "elsa@arendelle.test";
    static final String ELSA_PW = "let-it-go-" + Long.toHexString(System.nanoTime());
    static final String OLAF = "olaf@northmountain.test";
    static final String ELSA_IP = "127.0.0.2";
    static final String HUB_IP = "127.0.0.3";
    static final String OLAF_IP = "127.0.0.4";

    @TempDir
    Path tmp;

    final int port = freePortOnAll(ELSA_IP, HUB_IP, OLAF_IP);
    final List<HeraldServer> running = new ArrayList<>();

    @AfterEach
    void stopAll() {
        for (int i = running.size() - 1; i >= 0; i--) running.get(i).close();
    }

    // ------------------------------------------------------------------ the servers

    /** One server of the story: MTA listener on {@code ip:port}, outbound from {@code ip} to {@code port}. */
    HeraldServer.Builder server(String name, String ip, String hostname, String domains, List<HeraldPlugin> plugins) {
        return HeraldServer.builder().home(tmp.resolve(name))
                .set("herald", "hostname", hostname).set("herald", "domains", domains)
                .set("smtp", "bind", ip).set("smtp", "port", String.valueOf(port))
                .set("submission", "bind", ip).set("submission", "port", "0")
                .set("submissions", "port", "-1")
                .set("outbound", "port", String.valueOf(port)).set("outbound", "bind", ip)
                .set("queue", "retry.initial", "1s").set("queue", "retry.max", "1s")
                .set("auth-file", "iterations", "4096")
                .plugins(plugins);
    }

    static List<HeraldPlugin> plugins(HeraldPlugin routing) {
        return List.of(new RouteLocalPlugin(), new LuceneMailboxPlugin(), new AuthFilePlugin(), routing);
    }

    HeraldServer elsa(HeraldServer.Builder b) throws Exception {
        HeraldServer s = b.start();
        running.add(s);
        s.mailboxStore().create(ELSA);
        assertThat(s.ensureUsers(Map.of(ELSA, ELSA_PW))).containsExactly(ELSA);
        return s;
    }

    HeraldServer startElsa() throws Exception {
        return elsa(server("elsa", ELSA_IP, "mail.arendelle.test", "arendelle.test", plugins(new RelayStaticPlugin()))
                .set("relay-static", "route.northmountain.test", HUB_IP)
                .set("relay-static", "route.loop.test", HUB_IP));
    }

    HeraldServer.Builder hubBuilder() {
        return server("hub", HUB_IP, "hub.test", "hub.test", plugins(new RelayStaticPlugin()))
                // the hub relays for Elsa's and Olaf's servers (RFC 5321 §3.6: relaying only for known clients)
                .set("smtp", "relayNetworks", ELSA_IP + "/32, " + OLAF_IP + "/32")
                .set("relay-static", "route.northmountain.test", OLAF_IP)
                .set("relay-static", "route.arendelle.test", ELSA_IP)
                .set("relay-static", "route.loop.test", ELSA_IP);
    }

    HeraldServer startHub() throws IOException {
        HeraldServer s = hubBuilder().start();
        running.add(s);
        return s;
    }

    HeraldServer startOlaf(String... mailboxes) throws Exception {
        HeraldServer s = server("olaf", OLAF_IP, "mail.northmountain.test", "northmountain.test", plugins(new RelayStaticPlugin()))
                .set("submission", "port", "-1").start();
        running.add(s);
        s.mailboxStore().create(OLAF);
        for (String m : mailboxes) s.mailboxStore().create(m);
        return s;
    }

    // ------------------------------------------------------------------ the story

    @Test
    void elsasMessagesReachOlafOverThreeHopsWithOneReceivedPerHopAndTheBytesIntact() throws Exception {
        HeraldServer olaf = startOlaf();
        startHub();
        HeraldServer elsa = startElsa();
        List<Path> messages = corpusSample();
        submit(elsa, messages, OLAF);

        MailboxStore store = olaf.mailboxStore();
        await().atMost(60, TimeUnit.SECONDS).until(() -> store.list(OLAF, Folders.INBOX).size() == messages.size());
        Map<String, Path> sent = new HashMap<>();
        Map<String, byte[]> sentBytes = new HashMap<>();
        for (Path m : messages) {
            byte[] b = WireFormat.crlf(Files.readAllBytes(m));
            sent.put(CorpusRoundTripTest.sha256(b), m);
            sentBytes.put(CorpusRoundTripTest.sha256(b), b);
        }
        List<StoredMessage> stored = store.list(OLAF, Folders.INBOX);
        assertThat(stored).hasSize(messages.size());
        List<Path> arrived = new ArrayList<>();
        for (StoredMessage m : stored) {
            byte[] bytes = read(store, OLAF, m.uid());
            assertThat(new String(bytes, 0, 40, StandardCharsets.ISO_8859_1)).startsWith("Return-Path: <" + ELSA + ">\r\n");
            List<String> received = new ArrayList<>();
            byte[] rest = WireFormat.stripHops(bytes, 3, received);
            String digest = CorpusRoundTripTest.sha256(rest);
            assertThat(sent).as("the message arrives byte for byte after the three hops' trace fields").containsKey(digest);
            arrived.add(sent.get(digest));
            // newest first: Olaf's server got it from the hub, the hub from Elsa's server, Elsa's server from Elsa
            assertThat(received.get(0)).contains("by mail.northmountain.test").contains("[" + HUB_IP + "]").contains("with ESMTPS");
            assertThat(received.get(1)).contains("by hub.test").contains("[" + ELSA_IP + "]").contains("with ESMTPS");
            assertThat(received.get(2)).contains("by mail.arendelle.test").contains("with ESMTPSA");
            assertThat(countReceived(bytes)).as("one Received: per hop, none added elsewhere")
                    .isEqualTo(3 + countReceived(sentBytes.get(digest)));
        }
        assertThat(arrived).containsExactlyInAnyOrderElementsOf(messages);
    }

    @Test
    void hubDownWhenSentAndStartedTwoRetryIntervalsLaterDeliversOnce() throws Exception {
        HeraldServer olaf = startOlaf();
        HeraldServer elsa = startElsa();
        Path message = corpusSample().get(0);
        submit(elsa, List.of(message), OLAF);
        // Elsa's server tried, found no hub (connection refused) and deferred
        await().atMost(30, TimeUnit.SECONDS).until(() -> elsa.queue().list().stream()
                .flatMap(e -> e.recipients().stream()).anyMatch(r -> r.status() == RecipientState.Status.DEFERRED));
        RecipientState deferred = elsa.queue().list().get(0).recipients().get(0);
        assertThat(deferred.lastReply()).startsWith("451 4.4.1").contains(HUB_IP);
        Thread.sleep(2 * 1000L);   // two retry intervals (retry.initial = retry.max = 1s)
        assertThat(elsa.queue().list().get(0).recipients().get(0).attempts()).isGreaterThanOrEqualTo(2);
        startHub();
        MailboxStore store = olaf.mailboxStore();
        await().atMost(60, TimeUnit.SECONDS).until(() -> store.list(OLAF, Folders.INBOX).size() == 1);
        assertThat(elsa.awaitIdle(Duration.ofSeconds(30))).isTrue();
        for (HeraldServer s : running) assertThat(s.awaitIdle(Duration.ofSeconds(30))).isTrue();
        Thread.sleep(1500);   // one more retry interval: nothing else arrives
        assertThat(store.list(OLAF, Folders.INBOX)).hasSize(1);
        assertThat(WireFormat.stripHops(read(store, OLAF, store.list(OLAF, Folders.INBOX).get(0).uid()), 3, new ArrayList<>()))
                .isEqualTo(WireFormat.crlf(Files.readAllBytes(message)));
        assertThat(elsa.queue().list()).isEmpty();
    }

    @Test
    void unknownUserAtOlafsServerComesBackToElsaAsADsnNamingRecipientAndReply() throws Exception {
        startOlaf();
        startHub();
        HeraldServer elsa = startElsa();
        submit(elsa, List.of(corpusSample().get(1)), "nobody@northmountain.test");
        MailboxStore store = elsa.mailboxStore();
        await().atMost(60, TimeUnit.SECONDS).until(() -> store.list(ELSA, Folders.INBOX).size() == 1);
        String dsn = new String(read(store, ELSA, store.list(ELSA, Folders.INBOX).get(0).uid()), StandardCharsets.UTF_8);
        assertThat(dsn).startsWith("Return-Path: <>\r\n");
        assertThat(dsn).contains("Content-Type: multipart/report; report-type=delivery-status;");
        assertThat(dsn).contains("From: Mail Delivery System <MAILER-DAEMON@hub.test>");
        assertThat(dsn).contains("To: <" + ELSA + ">");
        assertThat(dsn).contains("<nobody@northmountain.test>: 550 5.1.1 <nobody@northmountain.test>: no such user here");
        assertThat(dsn).contains("Reporting-MTA: dns; hub.test\r\n");
        assertThat(dsn).contains("Final-Recipient: rfc822; nobody@northmountain.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
                + "Remote-MTA: dns; " + OLAF_IP + "\r\nDiagnostic-Code: smtp; 550 5.1.1 <nobody@northmountain.test>: no such user here (RCPT)\r\n");
        assertThat(dsn).contains("Content-Type: text/rfc822-headers");
        // the returned header section is the one Olaf's server was offered: the hub's own Received: first
        assertThat(dsn).containsPattern("text/rfc822-headers\r\nContent-Transfer-Encoding: 8bit\r\n\r\nReceived: from mail\\.arendelle\\.test");
        for (HeraldServer s : running) assertThat(s.awaitIdle(Duration.ofSeconds(30))).isTrue();
        assertThat(store.list(ELSA, Folders.INBOX)).as("one DSN, not more").hasSize(1);
    }

    @Test
    void aNextHopThatAnswers452ToSomeRecipientsGetsOnlyThoseAgain() throws Exception {
        List<String> rcpts = List.of("anna@northmountain.test", "kristoff@northmountain.test", "sven@northmountain.test",
                "olaf@northmountain.test");
        HeraldServer olaf = startOlaf(rcpts.subList(0, 3).toArray(String[]::new));
        // the hub takes two recipients per transaction: RCPT 3 and 4 get 452 4.5.3 (RFC 5321 §4.5.3.1.10)
        HeraldServer hub = hubBuilder().set("smtp", "maxRecipients", "2").start();
        running.add(hub);
        HeraldServer elsa = startElsa();
        submit(elsa, List.of(corpusSample().get(2)), rcpts.toArray(String[]::new));
        MailboxStore store = olaf.mailboxStore();
        await().atMost(60, TimeUnit.SECONDS).until(() -> {
            for (String r : rcpts) if (store.list(r, Folders.INBOX).isEmpty()) return false;
            return true;
        });
        for (HeraldServer s : running) assertThat(s.awaitIdle(Duration.ofSeconds(30))).isTrue();
        // each recipient got exactly one copy; the first two came in the hub's first transaction, the other two in
        // a second one (another hub queue id), after Elsa's server retried only them
        Map<String, String> hubQueueId = new HashMap<>();
        for (String r : rcpts) {
            List<StoredMessage> box = store.list(r, Folders.INBOX);
            assertThat(box).as(r).hasSize(1);
            List<String> received = new ArrayList<>();
            WireFormat.stripHops(read(store, r, box.get(0).uid()), 3, received);
            String byHub = received.get(1);
            assertThat(byHub).contains("by hub.test");
            hubQueueId.put(r, byHub.replaceAll(".* id ([0-9A-F]+).*", "$1"));
        }
        assertThat(hubQueueId.get(rcpts.get(0))).isEqualTo(hubQueueId.get(rcpts.get(1)));
        assertThat(hubQueueId.get(rcpts.get(2))).isEqualTo(hubQueueId.get(rcpts.get(3)))
                .isNotEqualTo(hubQueueId.get(rcpts.get(0)));
    }

    @Test
    void aMailLoopBetweenTwoServersIsBouncedWhenTheReceivedFieldsPassTheLimit() throws Exception {
        // Elsa's server sends loop.test to the hub, the hub sends it back: each pass adds a Received: field
        HeraldServer hub = hubBuilder().set("outbound", "maxHops", "8").start();
        running.add(hub);
        HeraldServer elsa = elsa(server("elsa", ELSA_IP, "mail.arendelle.test", "arendelle.test", plugins(new RelayStaticPlugin()))
                .set("smtp", "relayNetworks", HUB_IP + "/32")
                .set("relay-static", "route.loop.test", HUB_IP)
                .set("outbound", "maxHops", "8"));
        submit(elsa, List.of(corpusSample().get(0)), "around@loop.test");
        MailboxStore store = elsa.mailboxStore();
        await().atMost(60, TimeUnit.SECONDS).until(() -> store.list(ELSA, Folders.INBOX).size() == 1);
        String dsn = new String(read(store, ELSA, store.list(ELSA, Folders.INBOX).get(0).uid()), StandardCharsets.UTF_8);
        assertThat(dsn).contains("Final-Recipient: rfc822; around@loop.test").contains("Status: 5.4.6")
                .contains("mail loop").contains("more than the limit of 8");
        for (HeraldServer s : running) assertThat(s.awaitIdle(Duration.ofSeconds(30))).isTrue();
        assertThat(store.list(ELSA, Folders.INBOX)).hasSize(1);
    }

    // ------------------------------------------------------------------ helpers

    /** Elsa submits with Jakarta Mail: STARTTLS and AUTH PLAIN on her server's submission port. */
    static void submit(HeraldServer elsa, List<Path> messages, String... to) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", ELSA_IP);
        p.put("mail.smtp.port", String.valueOf(elsa.submissionPort()));
        p.put("mail.smtp.starttls.enable", "true");
        p.put("mail.smtp.starttls.required", "true");
        p.put("mail.smtp.ssl.trust", "*");
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.from", ELSA);
        // the servers' certificates are self-signed for their host names; the test connects by address
        p.put("mail.smtp.ssl.checkserveridentity", "false");
        Session session = Session.getInstance(p);
        InternetAddress[] rcpts = new InternetAddress[to.length];
        for (int i = 0; i < to.length; i++) rcpts[i] = new InternetAddress(to[i]);
        try (SMTPTransport t = (SMTPTransport) session.getTransport("smtp")) {
            t.connect(ELSA_IP, elsa.submissionPort(), ELSA, ELSA_PW);
            for (Path m : messages) {
                t.sendMessage(new CorpusRoundTripTest.RawMessage(session, Files.readAllBytes(m)), rcpts);
                assertThat(t.getLastReturnCode()).as("reply to %s", m).isEqualTo(250);
            }
        }
    }

    /** A few real messages: plain, MIME with attachments, non-ASCII. */
    static List<Path> corpusSample() throws IOException {
        Path dir = CORPUS.resolve("real/hunnysoft-mua-samples");
        assertThat(dir).as("the shared corpus (set -Dherald.corpus)").isDirectory();
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> all = s.filter(f -> f.getFileName().toString().endsWith(".eml")).sorted().toList();
            return List.of(all.get(0), all.get(7), all.get(21), all.get(42));
        }
    }

    static byte[] read(MailboxStore store, String mailbox, long uid) throws Exception {
        MessageContent c = store.content(mailbox, Folders.INBOX, uid).orElseThrow();
        try (InputStream in = c.open()) {
            return in.readAllBytes();
        }
    }

    /** {@code Received:} fields in the header section. */
    static int countReceived(byte[] message) {
        String s = new String(message, StandardCharsets.ISO_8859_1);
        int end = s.indexOf("\r\n\r\n");
        String header = "\r\n" + (end < 0 ? s : s.substring(0, end));
        int n = 0;
        for (int i = header.indexOf("\r\nReceived:"); i >= 0; i = header.indexOf("\r\nReceived:", i + 1)) n++;
        return n;
    }

    /** A port free on each of these loopback addresses (Linux answers on all of 127.0.0.0/8). */
    static int freePortOnAll(String... addresses) {
        for (int tries = 0; tries < 50; tries++) {
            int candidate;
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(addresses[0]))) {
                candidate = s.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException("cannot bind " + addresses[0], e);
            }
            boolean free = true;
            for (String a : addresses) {
                try (ServerSocket s = new ServerSocket()) {
                    s.setReuseAddress(true);
                    s.bind(new InetSocketAddress(InetAddress.getByName(a), candidate));
                } catch (IOException e) {
                    free = false;
                }
            }
            if (free) return candidate;
        }
        throw new IllegalStateException("no port free on all of " + List.of(addresses));
    }
}

package io.herald.e2e;

import io.herald.api.mailbox.Folders;
import io.herald.api.notify.TestEvent;
import io.herald.notify.SinkStats;
import io.herald.server.HeraldServer;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import java.net.Authenticator;
import java.net.PasswordAuthentication;
import java.net.http.HttpClient;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Notifications end to end on the plain host with the real plugins (notify-webhook, notify-sse, mailbox-lucene,
 * route-local): SMTP delivery to Olaf, a webhook receiver on loopback gets the signed JSON, an SSE client (the JDK's
 * HTTP client, and curl when installed) gets the event; a failing receiver is retried; a receiver that never answers
 * does not hold up delivery; a restart replays nothing unless {@code replay = true}.
 */
class NotifyEndToEndTest {

    static final String OLAF = "olaf@herald.test";
    static final String ELSA = "elsa@herald.test";
    static final String SECRET = "let-it-go-let-it-go";
    static final String TOKEN = "olaf-token-0123456789abcdef";
    static final String PASSWORD = "Olaf:loves-warm-hugs";

    @TempDir
    Path home;

    static HeraldServer.Builder server(Path home, String webhookUrl) {
        HeraldServer.Builder b = HeraldServer.builder().home(home)
                .set("smtp", "port", "0").set("submission", "port", "-1").set("submissions", "port", "-1")
                .set("pop3", "port", "-1").set("pop3", "tls.port", "-1")   // the pop3 and imap plugins are on the class path
                .set("imap", "port", "-1").set("imap", "tls.port", "-1")
                .set("http", "port", "0")
                .set("notify-sse", "token." + OLAF, TOKEN)
                .set("notify-webhook", "secret", SECRET)
                .set("notify-webhook", "retry.first", "100ms").set("notify-webhook", "retry.max", "1s")
                .set("notify-webhook", "timeout", "2s")
                .discoverPlugins();
        if (webhookUrl != null) b.set("notify-webhook", "url", webhookUrl);
        return b;
    }

    static String hmac(byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    }

    static void sendWithJakartaMail(HeraldServer server, String subject) throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(server.smtpPort()));
        Session session = Session.getInstance(props);
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress(ELSA, "Elsa"));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(OLAF));
        m.setSubject(subject, "UTF-8");
        m.setText("Do you want to build a snowman?", "UTF-8");
        Transport.send(m);
    }

    @Test
    void smtpDeliveryToOlafReachesTheWebhookSignedAndTheSseStream() throws Exception {
        try (NotifyPeers.Receiver receiver = new NotifyPeers.Receiver(0);
             HeraldServer server = server(home, receiver.url()).start()) {
            server.mailboxStore().create(OLAF);
            String events = "http://127.0.0.1:" + server.httpPort() + "/events";
            try (NotifyPeers.SseClient sse = new NotifyPeers.SseClient(events, "Bearer " + TOKEN, null)) {
                assertThat(sse.status).isEqualTo(200);
                sendWithJakartaMail(server, "Schneemann ☃ bauen?");

                NotifyPeers.Received hook = receiver.got.poll(30, TimeUnit.SECONDS);
                assertThat(hook).as("the webhook was called").isNotNull();
                assertThat(hook.header("Content-Type")).isEqualTo("application/json; charset=utf-8");
                assertThat(hook.header("X-Herald-Event")).isEqualTo("message.added");
                assertThat(hook.header("X-Herald-Signature")).as("HMAC-SHA256 over the body").isEqualTo(hmac(hook.body()));
                String json = hook.text();
                assertThat(json).startsWith("{\"event\":\"message.added\",\"user\":\"olaf@herald.test\",\"folder\":\"INBOX\",")
                        .contains("\"uid\":1,", "\"from\":\"Elsa <elsa@herald.test>\"", "\"subject\":\"Schneemann ☃ bauen?\"",
                                "\"spam\":false", "\"test\":false", "\"time\":\"")
                        .containsPattern("\"size\":[1-9][0-9]+,");
                long size = server.mailboxStore().list(OLAF, Folders.INBOX).get(0).size();
                assertThat(json).contains("\"size\":" + size + ",");

                NotifyPeers.SseEvent first = sse.events.poll(30, TimeUnit.SECONDS);
                assertThat(first).as("the SSE client got the event").isNotNull();
                assertThat(first.event()).isEqualTo("message.added");
                assertThat(first.id()).matches("[0-9a-z]+-1");
                assertThat(first.data()).isEqualTo(json);

                // disconnected, a second message arrives; resuming with Last-Event-ID gets only that one
                sse.close();
                sendWithJakartaMail(server, "second");
                assertThat(receiver.got.poll(30, TimeUnit.SECONDS)).isNotNull();
                await().atMost(30, TimeUnit.SECONDS).until(() -> stats(server, "sse").delivered() >= 2);
                try (NotifyPeers.SseClient again = new NotifyPeers.SseClient(events, "Bearer " + TOKEN, first.id())) {
                    NotifyPeers.SseEvent second = again.events.poll(30, TimeUnit.SECONDS);
                    assertThat(second).isNotNull();
                    assertThat(second.data()).contains("\"subject\":\"second\"", "\"uid\":2,");
                    assertThat(second.id()).isEqualTo(first.id().replaceAll("-1$", "-2"));
                    assertThat(again.events.poll(300, TimeUnit.MILLISECONDS)).as("nothing replayed twice").isNull();
                }
            }
            assertThat(receiver.requests.get()).isEqualTo(2);
        }
    }

    @Test
    void theStreamNeedsTheRightTokenAndCurlReadsIt() throws Exception {
        try (HeraldServer server = server(home, null).set("notify-sse", "keepAlive", "1s").start()) {
            server.mailboxStore().create(OLAF);
            String events = "http://127.0.0.1:" + server.httpPort() + "/events";
            try (var none = new NotifyPeers.SseClient(events, null, null)) {
                assertThat(none.status).isEqualTo(401);
            }
            try (var wrong = new NotifyPeers.SseClient(events, "Bearer not-the-token-of-anyone", null)) {
                assertThat(wrong.status).isEqualTo(401);
            }
            try (var basic = new NotifyPeers.SseClient(events, "Basic !!!", null)) {
                assertThat(basic.status).isEqualTo(401);
            }
            // the right password over plain HTTP: refused unchecked (auth.cfg: plaintext passwords need TLS), and the
            // challenge offers only Bearer, so a browser does not ask for a password it would send in the clear
            server.ensureUsers(Map.of(OLAF, PASSWORD));
            try (var clear = new NotifyPeers.SseClient(events, basic(OLAF, PASSWORD), null)) {
                assertThat(clear.status).isEqualTo(401);
                assertThat(clear.headers.allValues("WWW-Authenticate")).containsExactly("Bearer realm=\"herald\"");
            }
            try (var keep = new NotifyPeers.SseClient(events, "Bearer " + TOKEN, null)) {
                assertThat(keep.status).isEqualTo(200);
                await().atMost(20, TimeUnit.SECONDS).until(() -> keep.comments.contains(": keep-alive"));
            }
            if (!onPath("curl")) return;
            sendWithJakartaMail(server, "for curl");
            await().atMost(30, TimeUnit.SECONDS).until(() -> stats(server, "sse").delivered() >= 1);
            Process curl = new ProcessBuilder("curl", "-sS", "-N", "--max-time", "3", events + "?token=" + TOKEN)
                    .redirectErrorStream(true).start();
            String out = NotifyPeers.read(curl.getInputStream());
            curl.waitFor(20, TimeUnit.SECONDS);
            assertThat(out).as("curl's output").contains("event: message.added", "\"subject\":\"for curl\"").containsPattern("id: [0-9a-z]+-1");
        }
    }

    /**
     * HTTP Basic over HTTPS, checked by the core's authentication: the JDK's HTTP client answers the 401's Basic
     * challenge with Olaf's password and reads his events; guessing Elsa's password is slowed down and locked out by
     * the core's throttle (the one SMTP AUTH, IMAP and POP3 use), after which even her right password gets 429.
     */
    @Test
    void olafReadsTheStreamWithHisPasswordOverHttpsAndGuessingIsLockedOut() throws Exception {
        try (HeraldServer server = server(home, null).set("http", "tls", "true")
                .set("auth-file", "iterations", "4096")
                .set("auth", "failures.before.delay", "1").set("auth", "delay.initial", "20ms").set("auth", "delay.max", "50ms")
                .set("auth", "lockout.after", "3").set("auth", "address.lockout.after", "1000")
                .start()) {
            server.mailboxStore().create(OLAF);
            server.ensureUsers(Map.of(OLAF, PASSWORD, ELSA, PASSWORD));
            String events = server.http().url() + "/events";
            assertThat(events).startsWith("https://127.0.0.1:");
            HttpClient withPassword = HttpClient.newBuilder().sslContext(NotifyPeers.trustAll()).connectTimeout(Duration.ofSeconds(10))
                    .authenticator(new Authenticator() {
                        @Override protected PasswordAuthentication getPasswordAuthentication() {
                            return new PasswordAuthentication(OLAF, PASSWORD.toCharArray());
                        }
                    }).build();
            try (var sse = new NotifyPeers.SseClient(withPassword, events, null, null)) {
                assertThat(sse.status).as("the client answered the Basic challenge").isEqualTo(200);
                sendWithJakartaMail(server, "read with a password");
                NotifyPeers.SseEvent e = sse.events.poll(30, TimeUnit.SECONDS);
                assertThat(e).as("the SSE client got the event").isNotNull();
                assertThat(e.data()).contains("\"user\":\"olaf@herald.test\"", "\"subject\":\"read with a password\"");
            }

            HttpClient client = HttpClient.newBuilder().sslContext(NotifyPeers.trustAll()).connectTimeout(Duration.ofSeconds(10)).build();
            try (var wrong = new NotifyPeers.SseClient(client, events, basic(OLAF, "not his password"), null)) {
                assertThat(wrong.status).isEqualTo(401);
                assertThat(wrong.headers.allValues("WWW-Authenticate"))
                        .containsExactlyInAnyOrder("Basic realm=\"herald\", charset=\"UTF-8\"", "Bearer realm=\"herald\"");
            }
            long delaysBefore = server.sasl().throttle().delaysApplied();
            for (int i = 0; i < 3; i++) {
                try (var guess = new NotifyPeers.SseClient(client, events, basic(ELSA, "guess-" + i), null)) {
                    assertThat(guess.status).as("guess %d", i).isEqualTo(401);
                }
            }
            assertThat(server.sasl().throttle().delaysApplied()).as("failure answers were slowed down").isGreaterThan(delaysBefore);
            try (var locked = new NotifyPeers.SseClient(client, events, basic(ELSA, PASSWORD), null)) {
                assertThat(locked.status).as("locked out: even the right password").isEqualTo(429);
                assertThat(locked.headers.allValues("WWW-Authenticate")).isEmpty();
            }
            try (var olaf = new NotifyPeers.SseClient(client, events, basic(OLAF, PASSWORD), null)) {
                assertThat(olaf.status).as("another account from the same address").isEqualTo(200);
            }
        }
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFailingReceiverIsRetriedWithTheSameSignedBody() throws Exception {
        try (NotifyPeers.Receiver receiver = new NotifyPeers.Receiver(2);
             HeraldServer server = server(home, receiver.url()).start()) {
            server.mailboxStore().create(OLAF);
            try (NotifyPeers.Smtp smtp = new NotifyPeers.Smtp(server.smtpPort())) {
                assertThat(smtp.send(ELSA, OLAF, "retried")).startsWith("250");
            }
            NotifyPeers.Received ok = receiver.got.poll(30, TimeUnit.SECONDS);
            assertThat(ok).isNotNull();
            assertThat(receiver.all).hasSize(3);
            assertThat(receiver.all).allSatisfy(r -> assertThat(r.body()).isEqualTo(ok.body()));
            assertThat(ok.header("X-Herald-Signature")).isEqualTo(hmac(ok.body()));
            assertThat(receiver.all.get(2).nanos() - receiver.all.get(1).nanos()).as("back-off doubles: 100 ms, then 200 ms")
                    .isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
            // the receiver takes the POST before it answers; the sink counts it delivered when the answer is back
            await().atMost(30, TimeUnit.SECONDS).until(() -> stats(server, "webhook").delivered() >= 1);
            SinkStats s = stats(server, "webhook");
            assertThat(s.retries()).isEqualTo(2);
            assertThat(s.delivered()).isEqualTo(1);
        }
    }

    /**
     * Delivery with a webhook that never answers vs. with none: every message is delivered either way (the numbers
     * are printed; tests never assert on time; docs/benchmarks.md has the measured comparison).
     */
    @Test
    void aReceiverThatNeverAnswersDoesNotHoldUpDelivery() throws Exception {
        int n = 100;
        double none;
        try (HeraldServer server = server(home.resolve("none"), null).start()) {
            none = deliver(server, n);
        }
        double silent;
        try (NotifyPeers.Silent receiver = new NotifyPeers.Silent();
             HeraldServer server = server(home.resolve("silent"), receiver.url()).set("notify-webhook", "timeout", "1s").start()) {
            silent = deliver(server, n);
            SinkStats s = stats(server, "webhook");
            assertThat(s.delivered()).isZero();
            assertThat(s.queued() + s.retrying() + s.givenUp() + s.dropped()).as("every event is still held, or counted").isGreaterThan(0);
            await().atMost(30, TimeUnit.SECONDS).until(() -> stats(server, "webhook").retries() >= 1);
        }
        System.out.printf("delivery of %d messages: %.1f msg/s with no webhook, %.1f msg/s with a webhook that never answers%n", n, none, silent);
    }

    /** Sends n messages on 4 connections, waits until all are in the mailbox; messages per second. */
    static double deliver(HeraldServer server, int n) throws Exception {
        server.mailboxStore().create(OLAF);
        long t0 = System.nanoTime();
        List<Thread> threads = new java.util.ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
        for (int c = 0; c < 4; c++) {
            int part = c;
            Thread t = new Thread(() -> {
                try (NotifyPeers.Smtp smtp = new NotifyPeers.Smtp(server.smtpPort())) {
                    for (int i = part; i < n; i += 4) if (!smtp.send(ELSA, OLAF, "m" + i).startsWith("250")) failures.incrementAndGet();
                } catch (Exception e) {
                    failures.incrementAndGet();
                }
            });
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) t.join();
        assertThat(failures.get()).isZero();
        assertThat(server.awaitIdle(Duration.ofMinutes(2))).isTrue();
        double rate = n / ((System.nanoTime() - t0) / 1e9);
        assertThat(server.mailboxStore().list(OLAF, Folders.INBOX)).hasSize(n);
        return rate;
    }

    @Test
    void aRestartDoesNotReplayOldEventsToTheWebhook() throws Exception {
        assertThat(restartAndCount(false)).as("only the event after the restart").containsExactly("after");
    }

    @Test
    void aRestartReplaysUndeliveredEventsWhenConfiguredTo() throws Exception {
        List<String> got = restartAndCount(true);
        assertThat(got).as("the kept events first (in any order: 4 POSTs at a time), then the new one").hasSize(3).endsWith("after");
        assertThat(got.subList(0, 2)).containsExactlyInAnyOrder("before-1", "before-2");
    }

    /**
     * Two messages arrive while the receiver fails (their events wait for a retry), the server stops; it starts again
     * with the receiver up, and a third message arrives. Returns the subjects the receiver then got, in order.
     */
    private List<String> restartAndCount(boolean replay) throws Exception {
        try (NotifyPeers.Receiver receiver = new NotifyPeers.Receiver(Integer.MAX_VALUE)) {
            try (HeraldServer server = server(home, receiver.url()).set("notify-webhook", "replay", String.valueOf(replay))
                    .set("notify-webhook", "retry.first", "10s").set("notify-webhook", "retry.max", "10s").start()) {
                server.mailboxStore().create(OLAF);
                try (NotifyPeers.Smtp smtp = new NotifyPeers.Smtp(server.smtpPort())) {
                    assertThat(smtp.send(ELSA, OLAF, "before-1")).startsWith("250");
                    assertThat(smtp.send(ELSA, OLAF, "before-2")).startsWith("250");
                }
                await().atMost(30, TimeUnit.SECONDS).until(() -> stats(server, "webhook").retrying() == 2);
            }
            receiver.failFirst = 0;
            receiver.requests.set(0);
            try (HeraldServer server = server(home, receiver.url()).set("notify-webhook", "replay", String.valueOf(replay)).start()) {
                try (NotifyPeers.Smtp smtp = new NotifyPeers.Smtp(server.smtpPort())) {
                    assertThat(smtp.send(ELSA, OLAF, "after")).startsWith("250");
                }
                List<String> subjects = new java.util.ArrayList<>();
                while (true) {
                    NotifyPeers.Received r = receiver.got.poll(30, TimeUnit.SECONDS);
                    assertThat(r).as("a webhook call").isNotNull();
                    String s = r.text().replaceAll(".*\"subject\":\"([^\"]*)\".*", "$1");
                    subjects.add(s);
                    if (s.equals("after")) break;
                }
                assertThat(receiver.got.poll(500, TimeUnit.MILLISECONDS)).isNull();
                return subjects;
            }
        }
    }

    @Test
    void notifyTestThroughTheAdminApiReportsEachSink() throws Exception {
        try (NotifyPeers.Receiver receiver = new NotifyPeers.Receiver(0);
             HeraldServer server = server(home, receiver.url()).start()) {
            List<io.herald.notify.EventDispatcher.TestResult> results = server.notifications()
                    .test(TestEvent.of(OLAF, "postmaster@localhost", java.time.Instant.now()), Duration.ofSeconds(20));
            assertThat(results).extracting(r -> r.plugin() + "/" + r.sink())
                    .contains("notify-webhook/webhook", "notify-sse/sse");
            assertThat(results).allSatisfy(r -> assertThat(r.describe()).startsWith("delivered"));
            NotifyPeers.Received hook = receiver.got.poll(10, TimeUnit.SECONDS);
            assertThat(hook.text()).contains("\"uid\":0,", "\"test\":true", "\"subject\":\"" + TestEvent.SUBJECT + "\"");
        }
    }

    static SinkStats stats(HeraldServer server, String sink) {
        return server.notifications().stats().stream().filter(s -> s.sink().equals(sink)).findFirst()
                .orElseThrow(() -> new AssertionError("no sink " + sink + " in " + server.notifications().stats()));
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (java.nio.file.Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }
}

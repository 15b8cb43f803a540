package io.herald.e2e;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.server.HeraldServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two queue settings the benchmark harness ({@code bench/postfix-vs-herald.sh}) runs with: {@code delivery.hold}
 * (accept and queue durably, deliver nothing until a restart without it) and {@code benchmark.sink} (benchmark only:
 * accept and keep nothing).
 */
class HoldAndSinkTest {

    @TempDir Path home;

    private HeraldServer start(String key, String value) throws Exception {
        HeraldServer.Builder b = HeraldServer.builder().home(home)
                .set("smtp", "port", "0").set("submission", "port", "-1").set("submissions", "port", "-1")
                .set("pop3", "port", "-1").set("pop3", "tls.port", "-1")   // the pop3 and imap plugins are on the class path
                .set("imap", "port", "-1").set("imap", "tls.port", "-1")
                .set("spam", "enabled", "false").discoverPlugins();
        if (key != null) b.set("queue", key, value);
        HeraldServer server = b.start();
        if (!server.mailboxStore().exists("olaf@herald.test")) server.mailboxStore().create("olaf@herald.test");
        return server;
    }

    @Test
    void heldMailIsQueuedDurablyAndDeliveredOnlyAfterARestartWithoutHold() throws Exception {
        try (HeraldServer server = start("delivery.hold", "true")) {
            for (int i = 0; i < 3; i++) assertThat(send(server.smtpPort(), "held " + i)).startsWith("250 2.0.0");
            Thread.sleep(500);   // delivery would be done by now
            assertThat(server.queue().size()).isEqualTo(3);
            assertThat(messageFiles()).isEqualTo(3);
            assertThat(inbox(server.mailboxStore())).isZero();
        }
        try (HeraldServer server = start(null, null)) {
            assertThat(server.awaitIdle(Duration.ofSeconds(30))).isTrue();
            assertThat(inbox(server.mailboxStore())).isEqualTo(3);
            assertThat(messageFiles()).isZero();
        }
    }

    @Test
    void theBenchmarkSinkAcceptsAndKeepsNothing() throws Exception {
        try (HeraldServer server = start("benchmark.sink", "true")) {
            String reply = send(server.smtpPort(), "into the sink");
            assertThat(reply).startsWith("250 2.0.0").contains("SINK");
            // the protocol still applies: an unknown local user is refused by the router
            assertThat(sendTo(server.smtpPort(), "nobody@herald.test", "x")).startsWith("550");
            Thread.sleep(300);
            assertThat(server.queue().size()).isZero();
            assertThat(messageFiles()).isZero();
            assertThat(inbox(server.mailboxStore())).isZero();
        }
    }

    private long messageFiles() throws IOException {
        Path active = home.resolve("data/queue/active");
        if (!Files.isDirectory(active)) return 0;
        try (Stream<Path> s = Files.list(active)) {
            return s.filter(p -> p.toString().endsWith(".msg")).count();
        }
    }

    private static int inbox(MailboxStore store) throws Exception {
        return store.list("olaf@herald.test", Folders.INBOX).size();
    }

    private static String send(int port, String subject) throws IOException {
        return sendTo(port, "olaf@herald.test", subject);
    }

    /** One transaction; the reply to the end of data (or the first refusal). */
    private static String sendTo(int port, String rcpt, String subject) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(15_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            OutputStream out = s.getOutputStream();
            expect(in, "220");
            out.write("EHLO test.example\r\n".getBytes(StandardCharsets.US_ASCII));
            expect(in, "250");
            out.write("MAIL FROM:<a@example.org>\r\n".getBytes(StandardCharsets.US_ASCII));
            expect(in, "250");
            out.write(("RCPT TO:<" + rcpt + ">\r\n").getBytes(StandardCharsets.US_ASCII));
            String r = reply(in);
            if (!r.startsWith("250")) return r;
            out.write("DATA\r\n".getBytes(StandardCharsets.US_ASCII));
            expect(in, "354");
            out.write(("Subject: " + subject + "\r\n\r\nbody\r\n.\r\nQUIT\r\n").getBytes(StandardCharsets.US_ASCII));
            return reply(in);
        }
    }

    private static void expect(BufferedReader in, String code) throws IOException {
        String r = reply(in);
        assertThat(r).startsWith(code);
    }

    private static String reply(BufferedReader in) throws IOException {
        String line;
        while ((line = in.readLine()) != null) {
            if (line.length() < 4 || line.charAt(3) != '-') return line;
        }
        throw new IOException("connection closed");
    }
}

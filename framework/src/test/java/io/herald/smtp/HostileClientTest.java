package io.herald.smtp;

import io.herald.config.ConfigStore;
import io.herald.host.ExtensionRegistry;
import io.herald.host.Plugin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Clients that try to exhaust the server rather than send mail: slowloris, connection floods from one address, and
 * pipelined floods from a client that never reads its replies. Loopback source addresses 127.0.0.2.. stand for other
 * hosts (Linux routes all of 127/8 to lo).
 */
class HostileClientTest {

    @TempDir Path tmp;
    TempDirQueue queue;
    SmtpServer server;
    final List<SmtpTestClient> clients = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        for (SmtpTestClient c : clients) c.close();
        if (server != null) server.close();
    }

    void start(Map<String, String> config) throws Exception {
        Map<String, String> c = new HashMap<>(config);
        c.put("port", "0");
        queue = new TempDirQueue(tmp);
        ExtensionRegistry registry = new ExtensionRegistry();
        registry.add(new Plugin("test-router", "1", List.of(), List.of(SmtpServerTest.TEST_ROUTER), List.of(), List.of()));
        server = new SmtpServer(SmtpSettings.from(new ConfigStore.MapConfiguration("smtp", c)), SmtpServerTest.IDENTITY, registry, queue);
        server.start();
    }

    SmtpTestClient from(String address) throws IOException {
        SmtpTestClient c = new SmtpTestClient(server.port(), address, 0);
        clients.add(c);
        return c;
    }

    static void sendsMail(SmtpTestClient c) throws IOException {
        SmtpServerTest.expect(c.command("EHLO client.test"), 250, null);
        SmtpServerTest.expect(c.command("MAIL FROM:<sender@example.org>"), 250, "2.1.0");
        SmtpServerTest.expect(c.command("RCPT TO:<elsa@herald.test>"), 250, "2.1.5");
        SmtpServerTest.expect(c.command("DATA"), 354, null);
        SmtpServerTest.expect(c.command("Subject: still served\r\n\r\nhello\r\n."), 250, "2.0.0");
    }

    // ------------------------------------------------------------------ slowloris

    @Test
    void aCommandLineDribbledAByteAtATimeIsCutOffAtTheCommandTimeout() throws Exception {
        start(Map.of("commandTimeout", "2s"));
        SmtpTestClient slow = from("127.0.0.2");
        assertThat(slow.reply().code()).isEqualTo(220);
        SmtpServerTest.expect(slow.command("EHLO slow.test"), 250, null);
        // every byte resets a plain idle timer; RFC 5321 §4.5.3.2.7 bounds the wait for the whole command
        byte[] line = "NOOP this command line arrives one byte every 200 milliseconds\r\n".getBytes(StandardCharsets.US_ASCII);
        int sent = 0;
        try {
            for (; sent < line.length; sent++) {
                slow.send(new byte[] {line[sent]});
                Thread.sleep(200);
            }
        } catch (IOException closed) {
            // the server closed the connection while we were still sending: that is the point
        }
        assertThat(sent).as("the server hung up before the line was complete").isLessThan(line.length);
        SmtpServerTest.expect(slow.reply(), 421, "4.4.2");
        assertThat(slow.closedByServer()).isTrue();
        // a patient client that sends whole commands is not affected
        SmtpTestClient normal = from("127.0.0.1");
        assertThat(normal.reply().code()).isEqualTo(220);
        sendsMail(normal);
    }

    // ------------------------------------------------------------------ connection floods

    @Test
    void aFloodFromOneAddressIsRefusedBeyondTheLimitWhileOthersAreServed() throws Exception {
        start(Map.of("maxConnectionsPerAddress", "3"));
        List<SmtpTestClient> flood = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            SmtpTestClient c = from("127.0.0.2");
            assertThat(c.reply().code()).isEqualTo(220);
            flood.add(c);
        }
        for (int i = 0; i < 5; i++) {
            SmtpTestClient extra = from("127.0.0.2");
            SmtpTestClient.Reply r = extra.reply();
            assertThat(r.last()).isEqualTo("421 4.7.0 Too many connections from your address, try again later");
            assertThat(extra.closedByServer()).isTrue();
        }
        // another address is served as usual, and so are the first three
        SmtpTestClient other = from("127.0.0.1");
        assertThat(other.reply().code()).isEqualTo(220);
        sendsMail(other);
        SmtpServerTest.expectUsable(flood.get(0));
        assertThat(server.refusedConnections()).isEqualTo(5);
        // once one of the three leaves, the address may connect again
        flood.get(0).command("QUIT");
        await().atMost(Duration.ofSeconds(10)).until(() -> server.openSessions() == 3);
        SmtpTestClient again = from("127.0.0.2");
        assertThat(again.reply().code()).isEqualTo(220);
        sendsMail(again);
    }

    @Test
    void sessionsInTotalAreLimited() throws Exception {
        start(Map.of("maxSessions", "3"));
        for (int i = 2; i <= 4; i++) assertThat(from("127.0.0." + i).reply().code()).isEqualTo(220);
        SmtpTestClient fourth = from("127.0.0.5");
        assertThat(fourth.reply().last()).isEqualTo("421 4.7.0 Too many connections, try again later");
        assertThat(fourth.closedByServer()).isTrue();
        assertThat(server.openSessions()).isEqualTo(3);
    }

    // ------------------------------------------------------------------ a client that never reads

    @Test
    void aPipelinedFloodFromAClientThatNeverReadsKeepsTheServersBacklogBounded() throws Exception {
        int limit = 16 * 1024;
        start(Map.of("maxUnsentReplyBytes", Integer.toString(limit)));
        SmtpTestClient c = new SmtpTestClient(server.port(), "127.0.0.2", 4096);
        clients.add(c);
        assertThat(c.reply().code()).isEqualTo(220);
        SmtpServerTest.expect(c.command("EHLO flood.test"), 250, null);
        int commands = 2_000_000;   // 12 MB of commands, 28 MB of replies: more than the socket buffers hold
        AtomicLong written = new AtomicLong();
        Thread writer = new Thread(() -> {
            byte[] block = "NOOP\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
            try {
                OutputStream out = c.output();
                for (int i = 0; i < commands / 1000; i++) {
                    out.write(block);
                    written.addAndGet(block.length);
                }
                out.flush();
            } catch (IOException e) {
                // the test fails below on the count of replies
            }
        }, "flood-writer");
        writer.setDaemon(true);
        writer.start();
        // the writer blocks once the socket buffers on both sides are full: the server stopped reading
        long last = -1;
        while (written.get() != last) {
            last = written.get();
            Thread.sleep(1000);
        }
        assertThat(written.get()).as("the server stopped reading the flood").isLessThan(commands * 6L);
        assertThat(server.largestUnsentReplies()).as("replies queued in the server's memory")
                .isPositive().isLessThanOrEqualTo(limit + 64);
        // when the client reads again, every command is answered, in order, and the session is still usable
        for (int i = 0; i < commands; i++) {
            SmtpTestClient.Reply r = c.reply();
            if (r.code() != 250) throw new AssertionError("reply " + i + ": " + r.text());
        }
        writer.join(10_000);
        SmtpServerTest.expectUsable(c);
        sendsMail(c);
    }
}

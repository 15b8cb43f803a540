package io.herald.bench;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Smoke test against a trivial SMTP sink in this JVM: the generator counts, measures and stops on a refusal. */
class LoadGeneratorTest {

    /** Accepts everything; refuses RCPT with 550 once {@code refuseAfter} messages were accepted. */
    static final class Sink implements AutoCloseable {
        final ServerSocket server;
        final AtomicInteger received = new AtomicInteger();
        final int refuseAfter;

        Sink(int refuseAfter) throws IOException {
            this.refuseAfter = refuseAfter;
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                while (!server.isClosed()) {
                    try {
                        Socket s = server.accept();
                        Thread c = new Thread(() -> session(s));
                        c.setDaemon(true);
                        c.start();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }

        int port() { return server.getLocalPort(); }

        void session(Socket s) {
            try (s) {
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = s.getOutputStream();
                reply(out, "220 sink ESMTP");
                String line;
                while ((line = in.readLine()) != null) {
                    String cmd = line.length() >= 4 ? line.substring(0, 4).toUpperCase() : line;
                    switch (cmd) {
                        case "EHLO" -> reply(out, "250-sink\r\n250-PIPELINING\r\n250 8BITMIME");
                        case "MAIL" -> reply(out, "250 2.1.0 ok");
                        case "RCPT" -> reply(out, received.get() >= refuseAfter ? "550 5.1.1 no such user" : "250 2.1.5 ok");
                        case "DATA" -> {
                            reply(out, "354 go ahead");
                            String l;
                            while ((l = in.readLine()) != null && !l.equals(".")) { /* the message */ }
                            received.incrementAndGet();
                            reply(out, "250 2.0.0 queued");
                        }
                        case "QUIT" -> {
                            reply(out, "221 bye");
                            return;
                        }
                        default -> reply(out, "500 what?");
                    }
                }
            } catch (IOException e) {
                // client went away
            }
        }

        static void reply(OutputStream out, String r) throws IOException {
            out.write((r + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }

        @Override
        public void close() throws IOException { server.close(); }
    }

    Sink sink;

    @AfterEach
    void close() throws IOException {
        if (sink != null) sink.close();
    }

    LoadGenerator.Options options(int port, int messages, boolean pipelining) {
        return new LoadGenerator.Options("127.0.0.1", port, messages, 3, 5 * 1024, null, 4, pipelining,
                "bench@load.test", "olaf@herald.test", Duration.ofSeconds(60), false);
    }

    @Test
    void sendsTwentyMessagesAndReportsThroughputAndLatency() throws Exception {
        sink = new Sink(Integer.MAX_VALUE);
        for (boolean pipelining : new boolean[] {false, true}) {
            int before = sink.received.get();
            LoadGenerator.Report r = new LoadGenerator(options(sink.port(), 20, pipelining)).run();
            assertThat(r.valid()).as(r.invalidReason()).isTrue();
            assertThat(r.accepted()).isEqualTo(20);
            assertThat(sink.received.get() - before).isEqualTo(20);
            assertThat(r.connections()).isEqualTo(5); // 20 messages, 4 per connection
            assertThat(r.latenciesNanos()).hasSize(20);
            assertThat(r.latencyMillis(0.5)).isPositive().isLessThanOrEqualTo(r.latencyMillis(0.99));
            assertThat(r.messagesPerSecond()).isPositive();
        }
    }

    @Test
    void theFirstRefusalStopsTheRunAndMakesItInvalid() throws Exception {
        sink = new Sink(5);
        LoadGenerator.Report r = new LoadGenerator(options(sink.port(), 20, false)).run();
        assertThat(r.valid()).isFalse();
        assertThat(r.invalidReason()).contains("RCPT TO", "550 5.1.1");
        assertThat(r.accepted()).isLessThan(20);
    }

    @Test
    void heloInsteadOfEhloAndTheSummaryLine() throws Exception {
        sink = new Sink(Integer.MAX_VALUE);
        LoadGenerator.Options o = LoadGenerator.parse(new String[] {"--port", Integer.toString(sink.port()), "--messages", "6",
                "--concurrency", "2", "--per-connection", "3", "--helo"});
        assertThat(o.helo()).isTrue();
        LoadGenerator.Report r = new LoadGenerator(o).run();
        // the sink knows only EHLO: HELO is answered 500, so a valid run would mean EHLO was sent
        assertThat(r.valid()).isFalse();
        assertThat(r.invalidReason()).contains("HELO", "500");
        assertThat(r.summaryLine()).startsWith("SUMMARY valid=no accepted=0 ");
        assertThat(LoadGenerator.parse(new String[] {"--messages", "1"}).helo()).isFalse();
    }

    @Test
    void messagesAreCrlfAndDotStuffed() {
        assertThat(new String(LoadGenerator.forData("a\n.b\r\n..c".getBytes(StandardCharsets.US_ASCII)), StandardCharsets.US_ASCII))
                .isEqualTo("a\r\n..b\r\n...c\r\n");
        byte[] s = LoadGenerator.synthetic(5120);
        assertThat(s.length).isBetween(5000, 5122);
        assertThat(new String(s, StandardCharsets.US_ASCII)).endsWith("\r\n").doesNotContain("\r\n.");
    }

    @Test
    void options() {
        LoadGenerator.Options o = LoadGenerator.parse(new String[] {"--port", "2600", "--messages", "50", "--pipelining"});
        assertThat(o.port()).isEqualTo(2600);
        assertThat(o.messages()).isEqualTo(50);
        assertThat(o.pipelining()).isTrue();
        assertThat(o.size()).isEqualTo(5120);
    }
}

package io.herald.plugin.imap;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.Folders;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import static io.herald.plugin.imap.TestServer.OLAF;
import static io.herald.plugin.imap.TestServer.OLAF_PW;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The figures of docs/benchmarks.md (IMAP): delivery-to-IDLE latency and FETCH throughput, on the plain-Java host
 * with the Lucene store. Not part of the normal run:
 *
 * <pre>
 * mvn -B -pl plugins/imap -am verify -Dgroups=benchmark -DexcludedGroups= -Dtest=ImapBenchmark -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 *
 * System properties: {@code imap.bench.deliveries} (default 200), {@code imap.bench.messages} (default 1000),
 * {@code imap.bench.rounds} (default 5).
 */
@Tag("benchmark")
class ImapBenchmark {

    @TempDir Path home;

    @Test
    void deliveryToIdleLatencyAndFetchThroughput() throws Exception {
        int deliveries = Integer.getInteger("imap.bench.deliveries", 200);
        int messages = Integer.getInteger("imap.bench.messages", 1000);
        int rounds = Integer.getInteger("imap.bench.rounds", 5);
        try (TestServer server = new TestServer(home, "auth.plaintext.loopback", "true");
             RawImap idle = new RawImap(server.imapPort())) {
            idle.line();
            idle.cmd("l", "LOGIN " + OLAF + " " + OLAF_PW);
            idle.cmd("s", "SELECT INBOX");
            idle.send("i IDLE\r\n");
            assertThat(idle.line()).startsWith("+");

            // (a) the store's deliver() called → EXISTS read by the client (the store's durable write, its event, the
            // dispatcher, the IMAP sink, the session's sync); and how long deliver() itself took
            List<Long> direct = new ArrayList<>();
            List<Long> store = new ArrayList<>();
            for (int i = 0; i < deliveries; i++) {
                byte[] m = ("Subject: bench " + i + "\r\n\r\nbody " + i + "\r\n").getBytes(StandardCharsets.US_ASCII);
                long t0 = System.nanoTime();
                server.store.deliver(new Delivery(OLAF, Folders.INBOX, MessageContent.of(m), UUID.randomUUID().toString(), Instant.now(), Set.of()));
                store.add(System.nanoTime() - t0);
                String l = idle.line();
                direct.add(System.nanoTime() - t0);
                assertThat(l).endsWith(" EXISTS");
                idle.line();   // RECENT
            }
            // (b) the end of SMTP DATA sent → EXISTS (queue commit, delivery, index, event, IDLE)
            List<Long> smtp = new ArrayList<>();
            try (Socket s = new Socket("127.0.0.1", server.server.smtpPort())) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                reply(in);
                out.write("EHLO bench\r\n".getBytes(StandardCharsets.US_ASCII));
                while (!reply(in).startsWith("250 ")) { }
                for (int i = 0; i < deliveries; i++) {
                    out.write(("MAIL FROM:<elsa@herald.test>\r\nRCPT TO:<" + OLAF + ">\r\nDATA\r\n").getBytes(StandardCharsets.US_ASCII));
                    reply(in);
                    reply(in);
                    reply(in);
                    out.write(("Subject: smtp " + i + "\r\n\r\nhello\r\n.\r\n").getBytes(StandardCharsets.US_ASCII));
                    long t0 = System.nanoTime();
                    String l = idle.line();
                    smtp.add(System.nanoTime() - t0);
                    assertThat(l).endsWith(" EXISTS");
                    idle.line();
                    assertThat(reply(in)).startsWith("250");
                }
            }
            idle.send("DONE\r\n");
            idle.until("i");
            System.out.printf("IMAP delivery->IDLE EXISTS, store.deliver called:  n=%d median %.2f ms p99 %.2f ms (deliver() itself: median %.2f ms p99 %.2f ms)%n",
                    deliveries, ms(median(direct)), ms(p99(direct)), ms(median(store)), ms(p99(store)));
            System.out.printf("IMAP delivery->IDLE EXISTS, end of SMTP DATA sent:  n=%d median %.2f ms p99 %.2f ms%n",
                    deliveries, ms(median(smtp)), ms(p99(smtp)));

            // FETCH throughput over a folder of corpus messages
            server.store.createFolder(OLAF, "Bench");
            List<Path> corpus;
            try (Stream<Path> files = Files.walk(TestServer.CORPUS.resolve("ham"))) {
                corpus = files.filter(Files::isRegularFile).sorted().limit(messages).toList();
            }
            long octets = 0;
            for (Path p : corpus) {
                byte[] m = TestServer.crlf(Files.readAllBytes(p));
                octets += m.length;
                server.store.append(OLAF, "Bench", MessageContent.of(m), Set.of(), Instant.now());
            }
            idle.cmd("e", "EXAMINE Bench");
            for (String items : List.of("(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)", "(UID BODY.PEEK[])")) {
                List<Long> times = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    List<String> lines = idle.cmd("f" + r, "FETCH 1:* " + items);
                    times.add(System.nanoTime() - t0);
                    assertThat(lines).hasSize(corpus.size() + 1);
                }
                double sec = median(times) / 1e9;
                System.out.printf("IMAP FETCH 1:* %s over %d messages (%.1f MB): median of %d %.3f s = %.0f messages/s, %.1f MB/s%n",
                        items, corpus.size(), octets / 1e6, rounds, sec, corpus.size() / sec, octets / 1e6 / sec);
            }
        }
    }

    private static String reply(InputStream in) throws Exception {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') b.append((char) c);
        return b.toString();
    }

    private static long median(List<Long> v) {
        List<Long> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static long p99(List<Long> v) {
        List<Long> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(Math.min(s.size() - 1, (int) Math.ceil(s.size() * 0.99) - 1));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}

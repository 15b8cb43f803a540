package io.herald.e2e;

import io.herald.server.HeraldServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A stop of the whole server (what SIGTERM does: {@link HeraldServer#close()}) with every listener of the plain-Java
 * host open (SMTP, IMAP and POP3, plain and implicit TLS): at the start of the stop every listener stops accepting at
 * once — a new client is refused at connect on the IMAP and POP3 ports while SMTP is still draining — and then the
 * sessions already open are ended cleanly: SMTP {@code 421 4.3.2}, IMAP {@code * BYE}, POP3 {@code -ERR}.
 *
 * <p>SMTP's drain is held open for its {@code shutdownGrace} by a client that pipelines many commands and never reads
 * the replies: with {@code maxUnsentReplyBytes} high, the server answers them all into its backlog, and the
 * {@code 421} queued behind that backlog cannot be flushed, so the listener waits the grace out, then cuts it off.
 */
class GracefulStopTest {

    /** smtp.cfg shutdownGrace here: how long the flooding client holds the SMTP drain open. */
    static final int GRACE_SECONDS = 10;
    /**
     * How long after the SMTP listener refuses clients the others are watched: well inside the drain that the flooding
     * client holds open (a listener that stops only after the drain, as IMAP and POP3 did, is still accepting then),
     * and long enough for a loaded machine; the test asserts the order (refused while SMTP drains), not a speed.
     */
    static final long WATCH_MILLIS = (GRACE_SECONDS - 4) * 1000L;

    @TempDir Path home;
    HeraldServer server;
    final List<Socket> sockets = new ArrayList<>();
    Thread closer;

    @AfterEach
    void stop() throws Exception {
        for (Socket s : sockets) s.close();
        if (closer != null) closer.join(60_000);   // a stop under way: not a second one beside it
        else if (server != null) server.close();
    }

    @Test
    void everyListenerStopsAcceptingAtTheStartOfTheStopThenTheSessionsEndCleanly() throws Exception {
        server = HeraldServer.builder().home(home)
                .set("smtp", "port", "0").set("submission", "port", "-1").set("submissions", "port", "-1")
                .set("smtp", "shutdownGrace", GRACE_SECONDS + "s").set("smtp", "maxUnsentReplyBytes", "1073741824")
                .set("imap", "port", "0").set("imap", "tls.port", "0")
                .set("pop3", "port", "0").set("pop3", "tls.port", "0")
                .discoverPlugins()
                .start();
        int smtp = server.smtpPort();
        Map<String, Integer> others = new LinkedHashMap<>();
        for (String name : List.of("imap", "imaps", "pop3", "pop3s")) others.put(name, server.endpoint(name).getPort());

        // sessions open before the stop
        Lines idleSmtp = new Lines(connect(smtp));
        assertThat(idleSmtp.line()).startsWith("220 ");
        idleSmtp.send("EHLO client.herald.test");
        while (!idleSmtp.line().startsWith("250 ")) { /* the EHLO reply's last line */ }
        Lines imap = new Lines(connect(others.get("imap")));
        assertThat(imap.line()).startsWith("* OK");
        imap.send("a1 NOOP");
        assertThat(imap.line()).startsWith("a1 OK");
        Lines pop3 = new Lines(connect(others.get("pop3")));
        assertThat(pop3.line()).startsWith("+OK");
        floodWithoutReading(smtp);

        closer = new Thread(server::close, "closer");
        closer.start();
        long smtpRefused = awaitRefused(smtp, System.nanoTime() + 10_000_000_000L);
        assertThat(smtpRefused).as("the SMTP listener stops accepting at the start of the stop").isPositive();
        Map<String, String> late = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> e : others.entrySet()) {
            long refused = awaitRefused(e.getValue(), smtpRefused + WATCH_MILLIS * 1_000_000);
            if (refused < 0) late.put(e.getKey(), "still accepting " + WATCH_MILLIS + " ms after SMTP stopped accepting");
        }
        assertThat(closer.isAlive()).as("SMTP is still draining (the flooding client holds it for shutdownGrace)").isTrue();
        assertThat(late).as("listeners taking new clients while SMTP drains").isEmpty();

        closer.join(60_000);
        assertThat(closer.isAlive()).as("the stop ends").isFalse();
        // then the sessions that were open are ended cleanly, each with its protocol's goodbye
        assertThat(idleSmtp.line()).isEqualTo("421 4.3.2 Server shutting down, closing connection");
        assertThat(idleSmtp.line()).as("closed after the 421").isNull();
        assertThat(imap.line()).isEqualTo("* BYE Server shutting down");
        assertThat(imap.line()).as("closed after the BYE").isNull();
        assertThat(pop3.line()).isEqualTo("-ERR [SYS/TEMP] server shutting down");
        assertThat(pop3.line()).as("closed after the -ERR").isNull();
    }

    Socket connect(int port) throws IOException {
        Socket s = new Socket();
        sockets.add(s);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        s.setSoTimeout(30_000);
        return s;
    }

    /**
     * An SMTP client that pipelines a million NOOPs and never reads a reply: 14 MB of replies, more than the socket
     * buffers hold (4 KiB asked for here, at most 4 MiB on the server's side), so its session cannot be ended (the
     * 421 flushed) before the grace.
     */
    void floodWithoutReading(int port) throws Exception {
        Socket s = new Socket();
        sockets.add(s);
        s.setReceiveBufferSize(4096);
        s.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
        byte[] block = "NOOP\r\n".repeat(1000).getBytes(StandardCharsets.US_ASCII);
        OutputStream out = s.getOutputStream();
        for (int i = 0; i < 1_000; i++) out.write(block);   // the server reads them all (its backlog is not limited)
        out.flush();
    }

    /**
     * Tries to connect until the port refuses, at most until {@code deadline} (System.nanoTime()): the time it first
     * refused, or -1. A connection taken meanwhile is closed again (a listener that takes clients while it stops gives
     * them a greeting: IMAP "* OK", POP3 "+OK", or waits for a TLS handshake).
     */
    static long awaitRefused(int port, long deadline) throws InterruptedException {
        do {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            } catch (ConnectException e) {
                return System.nanoTime();
            } catch (SocketTimeoutException e) {
                // a full backlog; try again
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            Thread.sleep(20);
        } while (System.nanoTime() < deadline);
        return -1;
    }

    /** Reads CRLF lines (null at the end of the connection) and writes commands. */
    static final class Lines {
        private final BufferedReader in;
        private final OutputStream out;

        Lines(Socket s) throws IOException {
            in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            out = s.getOutputStream();
        }

        String line() throws IOException {
            try {
                return in.readLine();
            } catch (java.net.SocketException e) {   // a reset after the last line: the end too
                return null;
            }
        }

        void send(String command) throws IOException {
            out.write((command + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        }
    }
}

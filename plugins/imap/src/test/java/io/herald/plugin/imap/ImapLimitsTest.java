package io.herald.plugin.imap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.herald.plugin.imap.RawImap.last;
import static io.herald.plugin.imap.TestServer.ELSA;
import static io.herald.plugin.imap.TestServer.ELSA_PW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Connection limits over real sockets (conf/imap.cfg {@code maxConnectionsPerAddress}, {@code maxSessions},
 * {@code loginTimeout}): both ports count together, one more is greeted {@code * BYE [UNAVAILABLE]} and closed, a
 * closed connection frees its place, and a connection that does not log in in time is ended with {@code * BYE}.
 * Clients from 127.0.0.2 and up are other addresses (every 127/8 address is loopback on Linux).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ImapLimitsTest {

    static final String FROM_ADDRESS = "* BYE [UNAVAILABLE] too many connections from your address, try again later";
    static final String TOO_MANY = "* BYE [UNAVAILABLE] too many connections, try again later";

    @TempDir static Path home;
    TestServer server;
    final List<RawImap> open = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        server = new TestServer(home, "auth.plaintext.loopback", "true", "imap.maxConnectionsPerAddress", "3",
                "imap.maxSessions", "5", "imap.loginTimeout", "2s");
    }

    @AfterAll
    void stop() {
        if (server != null) server.close();
    }

    /** Every test leaves with its connections closed and their places free again (5 greetings in a row). */
    @AfterEach
    void closeAll() throws Exception {
        for (RawImap c : open) c.close();
        open.clear();
        for (int i = 2; i <= 6; i++) open.add(awaitGreeted(false, "127.0.0." + (10 + i)));
        for (RawImap c : open) c.close();
        open.clear();
        // and the timers of the probes above: their connections closed, nothing stays counted
        awaitGreeted(false, "127.0.0.30").close();
    }

    private RawImap connect(boolean tls, String from) throws Exception {
        RawImap c = tls ? RawImap.implicitTls(server.imapsPort(), from) : new RawImap(server.imapPort(), from);
        open.add(c);
        return c;
    }

    private RawImap loggedIn(boolean tls, String from) throws Exception {
        RawImap c = connect(tls, from);
        assertThat(c.line()).startsWith("* OK [CAPABILITY IMAP4rev1");
        assertThat(last(c.cmd("l", "LOGIN " + ELSA + " " + ELSA_PW))).startsWith("l OK [CAPABILITY IMAP4rev1");
        return c;
    }

    private void refused(boolean tls, String from, String bye) throws Exception {
        try (RawImap c = tls ? RawImap.implicitTls(server.imapsPort(), from) : new RawImap(server.imapPort(), from)) {
            assertThat(c.line()).isEqualTo(bye);
            assertThat(c.closedByServer()).as("closed after the BYE").isTrue();
        }
    }

    /**
     * A closed connection is counted out when the server sees the close, a moment later: tries for at most 10 s
     * (refused attempts count nothing).
     */
    private RawImap awaitGreeted(boolean tls, String from) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            RawImap c = tls ? RawImap.implicitTls(server.imapsPort(), from) : new RawImap(server.imapPort(), from);
            String greeting = c.line();
            if (greeting != null && greeting.startsWith("* OK [CAPABILITY")) return c;
            c.close();
            assertThat(System.nanoTime()).as("still refused after 10 s: " + greeting).isLessThan(until);
            Thread.sleep(50);
        }
    }

    @Test
    void oneMoreFromAnAddressIsRefusedOnBothPortsWhileAnotherAddressIsServedAndAClosedOneFreesItsPlace() throws Exception {
        RawImap first = loggedIn(false, "127.0.0.2");
        loggedIn(false, "127.0.0.2");
        loggedIn(true, "127.0.0.2");   // the implicit-TLS port counts with the plain one
        refused(false, "127.0.0.2", FROM_ADDRESS);
        refused(true, "127.0.0.2", FROM_ADDRESS);   // the BYE over TLS, after the handshake
        // another address is served as usual, and the first three still are
        RawImap other = loggedIn(false, "127.0.0.1");
        assertThat(last(other.cmd("s", "SELECT INBOX"))).startsWith("s OK");
        assertThat(last(first.cmd("n", "NOOP"))).isEqualTo("n OK NOOP completed");
        // once one of the three leaves, the address may connect again
        assertThat(last(first.cmd("z", "LOGOUT"))).startsWith("z OK");
        RawImap again = awaitGreeted(false, "127.0.0.2");
        open.add(again);
        assertThat(last(again.cmd("l", "LOGIN " + ELSA + " " + ELSA_PW))).startsWith("l OK");
    }

    @Test
    void sessionsInTotalAreLimited() throws Exception {
        for (int i = 2; i <= 6; i++) loggedIn(i % 2 == 0, "127.0.0." + i);
        refused(false, "127.0.0.7", TOO_MANY);
        refused(true, "127.0.0.7", TOO_MANY);
        // Python's imaplib sees the BYE greeting as an error with the server's text
        if (OtherClientsTest.onPath("python3")) {
            Process p = new ProcessBuilder("python3", "-c", String.join("\n",
                    "import imaplib, sys",
                    "try:",
                    "    imaplib.IMAP4('127.0.0.1', int(sys.argv[1]), timeout=20)",
                    "    print('greeted')",
                    "except imaplib.IMAP4.error as e:",
                    "    print('refused:', e)"), Integer.toString(server.imapPort())).redirectErrorStream(true).start();
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            assertThat(out).contains("refused:").contains("[UNAVAILABLE] too many connections, try again later");
        }
        open.remove(0).close();
        open.add(awaitGreeted(false, "127.0.0.7"));
    }

    @Test
    void aConnectionThatDoesNotLogInIsEndedWhileALoggedInIdleOneStays() throws Exception {
        RawImap idle = loggedIn(false, "127.0.0.2");
        RawImap silent = connect(false, "127.0.0.3");
        RawImap chatty = connect(true, "127.0.0.4");
        assertThat(silent.line()).startsWith("* OK");
        assertThat(chatty.line()).startsWith("* OK");
        // the time counts from the connect: commands before the login do not extend it
        String bye = null;
        for (int i = 0; i < 100 && bye == null; i++) {
            chatty.send("c" + i + " NOOP\r\n");
            String l = chatty.line();
            if (l == null) break;
            if (l.startsWith("* BYE")) bye = l;
            else {
                assertThat(l).isEqualTo("c" + i + " OK NOOP completed");
                Thread.sleep(100);
            }
        }
        assertThat(bye).isEqualTo("* BYE Autologout; no login within 2s");
        assertThat(chatty.closedByServer()).isTrue();
        assertThat(silent.line()).isEqualTo("* BYE Autologout; no login within 2s");
        assertThat(silent.closedByServer()).isTrue();
        // the logged-in session, silent as long, is still there
        assertThat(last(idle.cmd("n", "NOOP"))).isEqualTo("n OK NOOP completed");
    }

    @Test
    void aClientThatOpensTlsAndNeverHandshakesIsEndedToo() throws Exception {
        // a plain TCP connection to the implicit-TLS port that sends nothing: no handshake, no greeting
        try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getByName("127.0.0.1"), server.imapsPort(),
                java.net.InetAddress.getByName("127.0.0.2"), 0)) {
            s.setSoTimeout(20_000);
            int r;
            try {
                r = s.getInputStream().read();
                while (r != -1) r = s.getInputStream().read();
            } catch (IOException e) {
                r = -1;   // reset
            }
            assertThat(r).as("closed by the server").isEqualTo(-1);
        }
    }
}

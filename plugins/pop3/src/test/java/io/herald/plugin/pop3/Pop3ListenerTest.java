package io.herald.plugin.pop3;

import io.herald.api.protocol.ConnectionLimits;
import io.herald.api.protocol.ServerTls;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The listeners over real sockets: STLS upgrade, implicit TLS, a large message streamed to a client that reads slowly,
 * the connection closed cleanly after QUIT and after too many errors. The certificate is made with the JDK's keytool.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Pop3ListenerTest {

    static final String OLAF = "olaf@herald.test";
    static final String PW = "secret";

    @TempDir static Path dir;
    Harness h = new Harness();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    Pop3Listener stls;
    Pop3Listener implicit;
    SSLContext server;
    ServerTls tls;
    byte[] big;

    @BeforeAll
    void start() throws Exception {
        Path ks = dir.resolve("k.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-genkeypair",
                "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-alias", "pop3",
                "-keyalg", "EC", "-dname", "CN=localhost", "-validity", "2").redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = java.nio.file.Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        server = SSLContext.getInstance("TLS");
        server.init(kmf.getKeyManagers(), null, null);
        tls = new ServerTls() {
            @Override public SSLContext context() { return server; }
            @Override public List<String> protocols() { return List.of("TLSv1.3", "TLSv1.2"); }
        };
        h.workers = pool;
        h.store.create(OLAF);
        StringBuilder b = new StringBuilder("Subject: big\r\n\r\n");
        while (b.length() < 600_000) b.append(".a line of the big message, dot-stuffed on the wire\r\n");
        big = b.toString().getBytes(StandardCharsets.US_ASCII);
        h.store.add(OLAF, big);
        h.logins.passwords.put(OLAF, PW);
        Pop3Session.Services services = h.services();
        stls = new Pop3Listener("pop3", "127.0.0.1", 0, false, true, tls, services);
        implicit = new Pop3Listener("pop3s", "127.0.0.1", 0, true, false, tls, services);
        stls.start();
        implicit.start();
    }

    @AfterAll
    void stop() {
        if (stls != null) stls.close();
        if (implicit != null) implicit.close();
        pool.shutdownNow();
    }

    static SSLContext trustAll() throws Exception {
        SSLContext c = SSLContext.getInstance("TLS");
        c.init(null, new TrustManager[] {new X509TrustManager() {
            public void checkClientTrusted(X509Certificate[] chain, String authType) { }
            public void checkServerTrusted(X509Certificate[] chain, String authType) { }
            public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        }}, null);
        return c;
    }

    /** A minimal line client. */
    static final class Conn implements AutoCloseable {
        Socket socket;
        BufferedReader in;
        OutputStream out;

        Conn(Socket s) throws Exception {
            use(s);
        }

        void use(Socket s) throws Exception {
            socket = s;
            s.setSoTimeout(20_000);
            in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            out = s.getOutputStream();
        }

        String cmd(String line) throws Exception {
            out.write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return in.readLine();
        }

        /** Reads a multi-line body up to ".", removing the stuffing; lines joined with CRLF. */
        byte[] body() throws Exception {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            String l;
            while (!(l = in.readLine()).equals(".")) {
                if (l.startsWith(".")) l = l.substring(1);
                b.write((l + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            }
            return b.toByteArray();
        }

        @Override public void close() throws Exception {
            socket.close();
        }
    }

    String plain() {
        return Base64.getEncoder().encodeToString(("\0" + OLAF + "\0" + PW).getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void stlsThenLoginAndRetrieveABigMessage() throws Exception {
        try (Conn c = new Conn(new Socket("127.0.0.1", stls.address().getPort()))) {
            assertThat(c.in.readLine()).isEqualTo("+OK Herald POP3 server ready");
            assertThat(c.cmd("USER " + OLAF)).startsWith("-ERR [AUTH]");
            assertThat(c.cmd("STLS")).isEqualTo("+OK begin TLS negotiation");
            SSLSocket tls = (SSLSocket) trustAll().getSocketFactory().createSocket(c.socket, "localhost", c.socket.getPort(), true);
            tls.startHandshake();
            assertThat(tls.getSession().getProtocol()).isIn("TLSv1.3", "TLSv1.2");
            c.use(tls);
            assertThat(c.cmd("USER " + OLAF)).isEqualTo("+OK send PASS");
            assertThat(c.cmd("PASS " + PW)).startsWith("+OK maildrop has 1 messages (" + big.length + " octets)");
            assertThat(c.cmd("RETR 1")).isEqualTo("+OK " + big.length + " octets");
            Thread.sleep(300);   // the client does not read for a while: the server waits, holding no thread
            assertThat(c.body()).isEqualTo(big);
            assertThat(c.cmd("QUIT")).startsWith("+OK");
            assertThat(c.in.read()).isEqualTo(-1);   // closed cleanly
        }
    }

    @Test
    void implicitTls() throws Exception {
        try (Conn c = new Conn(trustAll().getSocketFactory().createSocket("127.0.0.1", implicit.address().getPort()))) {
            assertThat(c.in.readLine()).isEqualTo("+OK Herald POP3 server ready");
            assertThat(c.cmd("AUTH PLAIN " + plain())).startsWith("+OK maildrop has 1 messages");
            assertThat(c.cmd("TOP 1 1")).isEqualTo("+OK top of message follows");
            assertThat(new String(c.body(), StandardCharsets.US_ASCII)).isEqualTo("Subject: big\r\n\r\n.a line of the big message, dot-stuffed on the wire\r\n");
            assertThat(c.cmd("QUIT")).startsWith("+OK");
        }
    }

    @Test
    void pipelinedOverTheNetwork() throws Exception {
        try (Conn c = new Conn(trustAll().getSocketFactory().createSocket("127.0.0.1", implicit.address().getPort()))) {
            c.in.readLine();
            c.out.write(("AUTH PLAIN " + plain() + "\r\nSTAT\r\nUIDL\r\nLIST 1\r\nQUIT\r\n").getBytes(StandardCharsets.US_ASCII));
            c.out.flush();
            assertThat(c.in.readLine()).startsWith("+OK maildrop has 1 messages");
            assertThat(c.in.readLine()).isEqualTo("+OK 1 " + big.length);
            assertThat(c.in.readLine()).isEqualTo("+OK unique-id listing follows");
            assertThat(c.in.readLine()).isEqualTo("1 " + MemoryStore.UIDVALIDITY + ".1");
            assertThat(c.in.readLine()).isEqualTo(".");
            assertThat(c.in.readLine()).isEqualTo("+OK 1 " + big.length);
            assertThat(c.in.readLine()).startsWith("+OK Herald POP3 server signing off");
            assertThat(c.in.read()).isEqualTo(-1);
        }
    }

    @Test
    void tooManyErrorsClosesCleanly() throws Exception {
        try (Conn c = new Conn(new Socket("127.0.0.1", stls.address().getPort()))) {
            c.in.readLine();
            for (int i = 1; i < 10; i++) assertThat(c.cmd("BAD" + i)).isEqualTo("-ERR unknown command");
            assertThat(c.cmd("BAD10")).isEqualTo("-ERR unknown command");
            assertThat(c.in.readLine()).isEqualTo(Pop3Session.TOO_MANY_ERRORS);
            assertThat(c.in.read()).isEqualTo(-1);
        }
    }

    @Test
    void aHugeLineWithoutEndDoesNotGrowTheBuffer() throws Exception {
        try (Conn c = new Conn(new Socket("127.0.0.1", stls.address().getPort()))) {
            c.in.readLine();
            byte[] junk = new byte[1 << 20];
            java.util.Arrays.fill(junk, (byte) 'x');
            c.out.write(junk);
            assertThat(c.cmd("")).startsWith("-ERR line too long");
            assertThat(c.cmd("CAPA")).isEqualTo("+OK capability list follows");
        }
    }

    @Test
    void autologoutOverTheNetwork() throws Exception {
        Harness quick = new Harness();
        quick.config.put("idleTimeout", "1s");
        quick.workers = pool;
        quick.store.create(OLAF);
        quick.logins.passwords.put(OLAF, PW);
        Pop3Listener l = new Pop3Listener("pop3", "127.0.0.1", 0, false, true, null, quick.services());
        l.start();
        try (Conn c = new Conn(new Socket("127.0.0.1", l.address().getPort()))) {
            assertThat(c.in.readLine()).startsWith("+OK");
            assertThat(c.cmd("CAPA")).startsWith("+OK");
            while (!c.in.readLine().equals(".")) { /* the capability list */ }
            // then silence: the server closes the session by itself, with a reason
            assertThat(c.in.readLine()).isEqualTo(Pop3Session.AUTOLOGOUT);
            assertThat(c.in.read()).isEqualTo(-1);
        } finally {
            l.close();
        }
    }

    /** Stopping the listener tells every client, over TLS too, before it closes the connection (no UPDATE). */
    @Test
    void closingTheListenerTellsEveryClient() throws Exception {
        Harness other = new Harness();
        other.workers = pool;
        other.store.create(OLAF);
        other.store.add(OLAF, big);
        other.logins.passwords.put(OLAF, PW);
        Pop3Listener plain = new Pop3Listener("pop3", "127.0.0.1", 0, false, true, tls, other.services());
        Pop3Listener overTls = new Pop3Listener("pop3s", "127.0.0.1", 0, true, false, tls, other.services());
        plain.start();
        overTls.start();
        try (Conn greeted = new Conn(new Socket("127.0.0.1", plain.address().getPort()));
             Conn loggedIn = new Conn(trustAll().getSocketFactory().createSocket("127.0.0.1", overTls.address().getPort()))) {
            assertThat(greeted.in.readLine()).startsWith("+OK");
            assertThat(loggedIn.in.readLine()).startsWith("+OK");
            assertThat(loggedIn.cmd("AUTH PLAIN " + plain())).startsWith("+OK maildrop has 1 messages");
            assertThat(loggedIn.cmd("DELE 1")).startsWith("+OK");

            plain.close();
            overTls.close();

            for (Conn c : List.of(greeted, loggedIn)) {
                assertThat(c.in.readLine()).isEqualTo(Pop3Session.SHUTTING_DOWN);
                assertThat(c.in.read()).isEqualTo(-1);
            }
            assertThat(other.store.uids(OLAF)).hasSize(1);    // the session ended without UPDATE: DELE undone
        } finally {
            plain.close();
            overTls.close();
        }
    }

    // ---------------------------------------------------------------- connection limits (both listeners count together)

    static final String FROM_ADDRESS = "-ERR [SYS/TEMP] too many connections from your address, try again later";
    static final String TOO_MANY = "-ERR [SYS/TEMP] too many connections, try again later";

    /**
     * The STLS and the implicit-TLS listener sharing one {@link ConnectionLimits}, as {@link Pop3Service} makes them,
     * with {@code key = value} in pop3.cfg and the user olaf.
     */
    private List<Pop3Listener> limited(String key, String value) throws Exception {
        Harness h = new Harness();
        h.config.put(key, value);
        h.store.create(OLAF);
        h.logins.passwords.put(OLAF, PW);
        h.workers = pool;
        Pop3Session.Services services = h.services();
        ConnectionLimits limits = new ConnectionLimits(services.settings().maxSessions(), services.settings().maxConnectionsPerAddress());
        List<Pop3Listener> both = List.of(new Pop3Listener("pop3", "127.0.0.1", 0, false, true, tls, services, limits),
                new Pop3Listener("pop3s", "127.0.0.1", 0, true, false, tls, services, limits));
        for (Pop3Listener l : both) l.start();
        return both;
    }

    /** A connection from the local address {@code from}; over implicit TLS when {@code l} is the pop3s listener. */
    static Conn connect(Pop3Listener l, String from) throws Exception {
        java.net.InetAddress server = java.net.InetAddress.getByName("127.0.0.1");
        java.net.InetAddress local = java.net.InetAddress.getByName(from);
        return new Conn(l.name().equals("pop3s")
                ? trustAll().getSocketFactory().createSocket(server, l.address().getPort(), local, 0)
                : new Socket(server, l.address().getPort(), local, 0));
    }

    static void refused(Pop3Listener l, String from, String reply) throws Exception {
        try (Conn c = connect(l, from)) {
            assertThat(c.in.readLine()).isEqualTo(reply);
            assertThat(c.in.read()).as("closed after the -ERR").isEqualTo(-1);
        }
    }

    /** A closed connection is counted out when the server sees the close, a moment later: tries for at most 10 s. */
    static Conn awaitGreeted(Pop3Listener l, String from) throws Exception {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            Conn c = connect(l, from);
            String greeting = c.in.readLine();
            if (Pop3Session.GREETING.equals(greeting)) return c;
            c.close();
            assertThat(System.nanoTime()).as("still refused after 10 s: " + greeting).isLessThan(until);
            Thread.sleep(50);
        }
    }

    @Test
    void oneMoreFromAnAddressIsRefusedOnBothListenersWhileAnotherAddressIsServedAndClosingFreesThePlaces() throws Exception {
        List<Pop3Listener> both = limited("maxConnectionsPerAddress", "3");
        Pop3Listener plain = both.get(0);
        Pop3Listener overTls = both.get(1);
        List<Conn> open = new java.util.ArrayList<>();
        try {
            for (Pop3Listener l : List.of(plain, plain, overTls)) {
                Conn c = connect(l, "127.0.0.2");
                open.add(c);
                assertThat(c.in.readLine()).isEqualTo(Pop3Session.GREETING);
            }
            refused(plain, "127.0.0.2", FROM_ADDRESS);
            refused(overTls, "127.0.0.2", FROM_ADDRESS);   // over TLS, after the handshake
            // Python's poplib sees the greeting as an error with the server's text
            if (onPath("python3")) {
                assertThat(python("import poplib, sys, socket\n"
                        + "class P(poplib.POP3):\n"
                        + "    def _create_socket(self, timeout):\n"
                        + "        return socket.create_connection((self.host, self.port), timeout, source_address=('127.0.0.2', 0))\n"
                        + "try:\n"
                        + "    P('127.0.0.1', int(sys.argv[1]), timeout=20)\n"
                        + "    print('greeted')\n"
                        + "except poplib.error_proto as e:\n"
                        + "    print('refused:', e.args[0].decode())\n", plain.address().getPort()))
                        .isEqualTo("refused: " + FROM_ADDRESS);
            }
            // another address is served, and so are the first three
            try (Conn other = connect(overTls, "127.0.0.1")) {
                assertThat(other.in.readLine()).isEqualTo(Pop3Session.GREETING);
                assertThat(other.cmd("AUTH PLAIN " + plain())).startsWith("+OK maildrop has");
                assertThat(other.cmd("QUIT")).startsWith("+OK");
            }
            assertThat(open.get(2).cmd("CAPA")).isEqualTo("+OK capability list follows");
            // when the clients close, the address may connect again: all three places are free
            for (Conn c : open) c.close();
            open.clear();
            open.add(awaitGreeted(overTls, "127.0.0.2"));
            for (int i = 0; i < 2; i++) open.add(awaitGreeted(plain, "127.0.0.2"));
            assertThat(plain.limits().refused()).isEqualTo(onPath("python3") ? 3 : 2);
        } finally {
            for (Conn c : open) c.close();
            for (Pop3Listener l : both) l.close();
        }
        for (int i = 0; i < 200 && plain.limits().addresses() > 0; i++) Thread.sleep(50);
        assertThat(plain.limits().addresses()).as("nothing counted after every connection closed").isZero();
    }

    @Test
    void sessionsInTotalAreLimited() throws Exception {
        List<Pop3Listener> both = limited("maxSessions", "3");
        List<Conn> open = new java.util.ArrayList<>();
        try {
            for (int i = 2; i <= 4; i++) {
                Conn c = connect(both.get(i % 2), "127.0.0." + i);
                open.add(c);
                assertThat(c.in.readLine()).isEqualTo(Pop3Session.GREETING);
            }
            refused(both.get(0), "127.0.0.5", TOO_MANY);
            refused(both.get(1), "127.0.0.5", TOO_MANY);
            open.remove(0).close();
            open.add(awaitGreeted(both.get(0), "127.0.0.5"));
        } finally {
            for (Conn c : open) c.close();
            for (Pop3Listener l : both) l.close();
        }
    }

    @Test
    void aSessionThatDoesNotLogInIsClosedWhileALoggedInIdleOneStays() throws Exception {
        List<Pop3Listener> both = limited("loginTimeout", "2s");
        try (Conn idle = connect(both.get(1), "127.0.0.2");
             Conn silent = connect(both.get(0), "127.0.0.3");
             Conn chatty = connect(both.get(1), "127.0.0.4")) {
            assertThat(idle.in.readLine()).isEqualTo(Pop3Session.GREETING);
            assertThat(idle.cmd("AUTH PLAIN " + plain())).startsWith("+OK maildrop has");
            assertThat(silent.in.readLine()).isEqualTo(Pop3Session.GREETING);
            assertThat(chatty.in.readLine()).isEqualTo(Pop3Session.GREETING);
            // the time counts from the connect: commands before the login do not extend it
            String last = null;
            for (int i = 0; i < 100; i++) {
                last = chatty.cmd("CAPA");
                if (!"+OK capability list follows".equals(last)) break;
                while (!chatty.in.readLine().equals(".")) { /* the capability list */ }
                Thread.sleep(100);
            }
            assertThat(last).isEqualTo("-ERR autologout: no login within 2s");
            assertThat(chatty.in.read()).isEqualTo(-1);
            assertThat(silent.in.readLine()).isEqualTo("-ERR autologout: no login within 2s");
            assertThat(silent.in.read()).isEqualTo(-1);
            // the logged-in session, silent as long, is still there
            assertThat(idle.cmd("STAT")).isEqualTo("+OK 0 0");
        } finally {
            for (Pop3Listener l : both) l.close();
        }
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (java.nio.file.Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    /** Runs a Python script with one argument; its output, trimmed. Bounded: 30 s. */
    static String python(String script, int port) throws Exception {
        Process p = new ProcessBuilder("python3", "-c", script, Integer.toString(port)).redirectErrorStream(true).start();
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("python3 finished").isTrue();
        return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    }

    @Test
    void endpoints() {
        assertThat(stls.address()).isEqualTo(new InetSocketAddress("127.0.0.1", stls.address().getPort()));
    }
}

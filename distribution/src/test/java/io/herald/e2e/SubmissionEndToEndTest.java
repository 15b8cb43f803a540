package io.herald.e2e;

import io.herald.api.auth.AuthContext;
import io.herald.api.auth.AuthResult;
import io.herald.api.auth.Authenticator;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import io.herald.server.HeraldServer;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import javax.crypto.Mac;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;
import javax.net.ssl.SSLSocket;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Submission end to end on the plain-Java host with the real queue, mailbox store and auth-file: STARTTLS and
 * implicit TLS with AUTH from Jakarta Mail (Angus), Python smtplib, swaks and a SCRAM-SHA-256 client written here;
 * the open-relay tricks; brute-force throttling.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SubmissionEndToEndTest {

    static final String ELSA = "elsa@herald.test";
    static final String OLAF = "olaf@herald.test";
    static final String ELSA_PW = "Elsa-pw-1234";
    static final String OLAF_PW = "Olaf-pw-5678";

    @TempDir static Path home;
    HeraldServer server;
    MailboxStore store;

    /** Routes every non-local domain to a relay (as a relay plugin would), so that the relay policy is what refuses. */
    public static final class RelayEverythingPlugin extends HeraldPlugin {
        @Override protected void configure() {
            router().toInstance(new Router() {
                // before relay-static (50) and relay-mx (90), which are on the class path too
                @Override public int priority() { return 20; }
                @Override public Route route(Envelope envelope, MailAddress rcpt) {
                    return rcpt.domain().equalsIgnoreCase("herald.test") || rcpt.domain().equalsIgnoreCase("localhost")
                            ? Route.pass() : new Route.Relay(List.of());
                }
            });
        }
    }

    static HeraldServer.Builder builder(Path home) {
        return HeraldServer.builder().home(home)
                .set("smtp", "port", "0").set("submission", "port", "0").set("submissions", "port", "0")
                .set("pop3", "port", "0").set("pop3", "tls.port", "0")   // the pop3 and imap plugins are on the class path
                .set("imap", "port", "0").set("imap", "tls.port", "0")
                .set("auth-file", "iterations", "4096")
                .plugins(List.of(new RelayEverythingPlugin()))
                .discoverPlugins();
    }

    @BeforeAll
    void start() throws Exception {
        server = builder(home).start();
        store = server.mailboxStore();
        store.create(ELSA);
        store.create(OLAF);
        // the same call the launcher makes for the demo accounts
        assertThat(server.ensureUsers(Map.of(ELSA, ELSA_PW, OLAF, OLAF_PW))).containsExactlyInAnyOrder(ELSA, OLAF);
        assertThat(server.ensureUsers(Map.of(ELSA, "other"))).isEmpty();
    }

    @AfterAll
    void stop() {
        if (server != null) server.close();
    }

    // ------------------------------------------------------------------ real clients

    @ParameterizedTest
    @ValueSource(strings = {"PLAIN", "LOGIN"})
    void jakartaMailStarttlsAndAuth(String mechanism) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(server.submissionPort()));
        p.put("mail.smtp.starttls.enable", "true");
        p.put("mail.smtp.starttls.required", "true");
        p.put("mail.smtp.ssl.trust", "*");
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.auth.mechanisms", mechanism);
        send(p, "angus starttls " + mechanism);
        assertDelivered("angus starttls " + mechanism, "ESMTPSA");
    }

    @Test
    void jakartaMailImplicitTls() throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(server.submissionsPort()));
        p.put("mail.smtp.ssl.enable", "true");
        p.put("mail.smtp.ssl.trust", "*");
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.auth.mechanisms", "PLAIN");
        send(p, "angus implicit tls");
        assertDelivered("angus implicit tls", "ESMTPSA");
    }

    private void send(Properties p, String subject) throws Exception {
        Session session = Session.getInstance(p);
        MimeMessage m = new MimeMessage(session);
        m.setFrom(new InternetAddress(ELSA));
        m.setRecipient(Message.RecipientType.TO, new InternetAddress(OLAF));
        m.setSubject(subject);
        m.setText("hello from " + subject + "\r\n");
        Transport.send(m, ELSA, ELSA_PW);
    }

    @Test
    void pythonSmtplibStarttlsAndImplicitTls() throws Exception {
        assumeTrue(has("python3", "--version"), "python3 is not installed: the smtplib test needs it");
        String script = String.join("\n",
                "import smtplib, ssl, sys",
                "ctx = ssl._create_unverified_context()",
                "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))",
                "s.ehlo('python.test'); s.starttls(context=ctx); s.ehlo('python.test')",
                "s.login(sys.argv[3], sys.argv[4])",
                "s.sendmail(sys.argv[3], [sys.argv[5]], 'Subject: python starttls\\r\\n\\r\\nhi\\r\\n'); s.quit()",
                "s = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[2]), context=ctx)",
                "s.login(sys.argv[3], sys.argv[4])",
                "s.sendmail(sys.argv[3], [sys.argv[5]], 'Subject: python smtps\\r\\n\\r\\nhi\\r\\n'); s.quit()",
                "print('ok')", "");
        Path py = home.resolve("submit.py");
        Files.writeString(py, script);
        Process proc = new ProcessBuilder("python3", py.toString(), String.valueOf(server.submissionPort()),
                String.valueOf(server.submissionsPort()), ELSA, ELSA_PW, OLAF).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(proc.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(proc.exitValue()).as(out).isZero();
        assertDelivered("python starttls", "ESMTPSA");
        assertDelivered("python smtps", "ESMTPSA");
    }

    @Test
    void swaksStarttlsAuthPlain() throws Exception {
        boolean has = has("swaks", "--version");
        if (!has) System.out.println("swaks is not installed (apt-get install -y swaks): skipping the swaks test");
        assumeTrue(has, "swaks is not installed");
        Process proc = new ProcessBuilder("swaks", "--server", "127.0.0.1:" + server.submissionPort(), "--tls",
                "--auth", "PLAIN", "--auth-user", ELSA, "--auth-password", ELSA_PW, "--from", ELSA, "--to", OLAF,
                "--header", "Subject: swaks starttls", "--body", "hi from swaks").redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(proc.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(proc.exitValue()).as(out).isZero();
        assertThat(out).contains("235 2.7.0");
        assertDelivered("swaks starttls", "ESMTPSA");
    }

    @Test
    void scramSha256EndToEnd() throws Exception {
        try (Client c = Client.implicitTls(server.submissionsPort())) {
            c.expect(220);
            assertThat(c.command("EHLO scram.test").lines()).anyMatch(l -> l.contains("AUTH") && l.contains("SCRAM-SHA-256"));
            String nonce = Base64.getEncoder().encodeToString(new SecureRandom().generateSeed(18));
            String clientFirstBare = "n=" + OLAF + ",r=" + nonce;
            Reply r = c.command("AUTH SCRAM-SHA-256 " + b64("n,," + clientFirstBare));
            assertThat(r.code()).as(r.last()).isEqualTo(334);
            String serverFirst = unb64(r.last().substring(4));
            Map<String, String> a = attributes(serverFirst);
            assertThat(a.get("r")).startsWith(nonce);
            byte[] salt = Base64.getDecoder().decode(a.get("s"));
            int iterations = Integer.parseInt(a.get("i"));
            byte[] salted = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256")
                    .generateSecret(new PBEKeySpec(OLAF_PW.toCharArray(), salt, iterations, 256)).getEncoded();
            byte[] clientKey = hmac(salted, "Client Key");
            byte[] storedKey = MessageDigest.getInstance("SHA-256").digest(clientKey);
            String withoutProof = "c=biws,r=" + a.get("r");
            String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
            byte[] signature = hmac(storedKey, authMessage);
            byte[] proof = new byte[clientKey.length];
            for (int i = 0; i < proof.length; i++) proof[i] = (byte) (clientKey[i] ^ signature[i]);
            r = c.command(b64(withoutProof + ",p=" + Base64.getEncoder().encodeToString(proof)));
            assertThat(r.code()).as(r.last()).isEqualTo(334);
            String expectedV = Base64.getEncoder().encodeToString(hmac(hmac(salted, "Server Key"), authMessage));
            assertThat(unb64(r.last().substring(4))).isEqualTo("v=" + expectedV);   // the server knows the password too
            assertThat(c.command("").last()).startsWith("235 2.7.0");
            assertThat(c.command("MAIL FROM:<" + OLAF + ">").code()).isEqualTo(250);
        }
    }

    // ------------------------------------------------------------------ relay policy

    static final List<String> TRICKS = List.of(
            "<someone@other.example>",                 // plain relay
            "<u%other.example@herald.test>",           // percent hack
            "<other.example!u@herald.test>",           // bang path
            "<\"u@other.example\"@herald.test>",       // quoted local part hiding an @
            "<@herald.test:u@other.example>",          // source route
            "<@herald.test,@localhost:u@other.example>");

    @Test
    void openRelayTricksAreRefusedUnauthenticatedAndNothingIsQueued() throws Exception {
        int before = server.queue().size();
        try (Client c = Client.plain(server.smtpPort())) {
            c.expect(220);
            c.command("EHLO relay.test");
            for (String rcpt : TRICKS) {
                assertThat(c.command("MAIL FROM:<spammer@other.example>").code()).isEqualTo(250);
                Reply r = c.command("RCPT TO:" + rcpt);
                assertThat(r.code()).as("MTA, RCPT TO:%s -> %s", rcpt, r.last()).isIn(550, 553, 501);
                assertThat(c.command("DATA").code()).as("DATA after %s", rcpt).isEqualTo(503);
                c.command("RSET");
            }
        }
        try (Client c = Client.plain(server.submissionPort())) {
            c.expect(220);
            c.command("EHLO relay.test");
            for (String rcpt : TRICKS) {
                assertThat(c.command("MAIL FROM:<spammer@other.example>").last()).startsWith("530 5.7.0");
                assertThat(c.command("RCPT TO:" + rcpt).code()).isEqualTo(503);
            }
        }
        assertThat(server.queue().size()).isEqualTo(before);
        assertThat(server.queue().list()).noneMatch(e -> e.toString().contains("other.example"));
    }

    @Test
    void authenticatedUsersMayRelayButOnlyAsThemselves() throws Exception {
        try (Client c = Client.implicitTls(server.submissionsPort())) {
            c.expect(220);
            c.command("EHLO me.test");
            assertThat(c.command("AUTH PLAIN " + b64("\0" + ELSA + "\0" + ELSA_PW)).last()).startsWith("235 2.7.0");
            assertThat(c.command("MAIL FROM:<" + OLAF + ">").last()).startsWith("553 5.7.1");
            assertThat(c.command("MAIL FROM:<" + ELSA + ">").code()).isEqualTo(250);
            assertThat(c.command("RCPT TO:<someone@other.example>").code()).isEqualTo(250);
            c.command("RSET");   // no DATA: delivery would try the network
        }
    }

    // ------------------------------------------------------------------ brute force

    static final String GUESSER = "127.0.0.1";
    static final String ELSA_AT_HOME = "127.0.0.2";      // elsa logged in from here before: a known address
    static final String ELSA_TRAVELLING = "127.0.0.3";   // the right password from an address never seen before

    /** Counts the password checks that reach the authenticator chain (it runs first and passes everything on). */
    static final class CountingAuthenticator implements Authenticator {
        final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();

        @Override public int priority() { return 1; }

        @Override public AuthResult verifyPassword(String identity, char[] password, AuthContext context) {
            calls.computeIfAbsent(identity, k -> new AtomicInteger()).incrementAndGet();
            return AuthResult.unknownUser();   // auth-file decides
        }

        int of(String identity) {
            AtomicInteger n = calls.get(identity);
            return n == null ? 0 : n.get();
        }
    }

    /**
     * The sentence: N wrong passwords are refused (the later ones slowed down), then the guesser is locked
     * out, refused at once before any password is checked (faster than a login succeeds, which must verify the
     * password), while the right password from another address still works. Limits: lockout.after = 5 per (address,
     * account), address.lockout.after = 14, account.lockout.after = 12; real clients are Jakarta Mail (Angus) bound
     * to other loopback source addresses (Linux routes all of 127/8 to lo) and a raw SMTP client.
     *
     * <ol>
     *   <li>the guesser at 127.0.0.1: 5 wrong passwords for elsa → {@code 535 5.7.8}, the 3rd to 5th delayed; then
     *       even elsa's right password from there → {@code 454 4.7.0} without reaching the authenticators;</li>
     *   <li>elsa's right password from 127.0.0.2 and from 127.0.0.3 → logged in; olaf from the guesser's address →
     *       logged in (the pair is locked, not the address);</li>
     *   <li>the guesser tries 9 other accounts → its address is locked: even olaf's right password from it is
     *       refused, from elsewhere olaf logs in;</li>
     *   <li>distributed guessing: one wrong password for elsa from each of 127.0.0.10..16 brings elsa's account to
     *       12 failures → elsa is locked for addresses she never logged in from (a new one gets 454), and still
     *       gets in from 127.0.0.2 and 127.0.0.3, where she logged in within known.period.</li>
     * </ol>
     */
    @Test
    void bruteForceIsSlowedThenLockedWhileTheRightPasswordFromAnotherAddressStillWorks(@TempDir Path otherHome) throws Exception {
        CountingAuthenticator counting = new CountingAuthenticator();
        try (HeraldServer s = builder(otherHome)
                .plugins(List.of(new HeraldPlugin() {
                    @Override protected void configure() { authenticator().toInstance(counting); }
                }))
                .set("auth", "failures.before.delay", "2").set("auth", "delay.initial", "20ms").set("auth", "delay.max", "80ms")
                .set("auth", "lockout.after", "5").set("auth", "address.lockout.after", "14")
                .set("auth", "account.lockout.after", "12").start()) {
            s.ensureUsers(Map.of(ELSA, ELSA_PW, OLAF, OLAF_PW));
            int port = s.submissionsPort();
            angusLogin(port, ELSA_AT_HOME, ELSA, ELSA_PW);   // elsa at home, before the attack
            long okNanos = timeLogin(port, OLAF, OLAF_PW, "235 2.7.0");
            assertThat(s.sasl().throttle().delaysApplied()).isZero();

            // 1. one guesser, one account
            long[] wrongNanos = new long[5];
            long lockedNanos;
            int checksBefore;
            try (Client c = Client.implicitTls(port, GUESSER)) {
                c.expect(220);
                c.command("EHLO brute.test");
                for (int i = 0; i < 5; i++) {
                    long t0 = System.nanoTime();
                    assertThat(c.command("AUTH PLAIN " + b64("\0" + ELSA + "\0wrong" + i)).last()).startsWith("535 5.7.8");
                    wrongNanos[i] = System.nanoTime() - t0;
                }
                assertThat(s.sasl().throttle().delaysApplied()).as("the 3rd, 4th and 5th failure replies were delayed").isEqualTo(3);
                checksBefore = counting.of(ELSA);
                long t0 = System.nanoTime();
                assertThat(c.command("AUTH PLAIN " + b64("\0" + ELSA + "\0" + ELSA_PW)).last()).startsWith("454 4.7.0");
                lockedNanos = System.nanoTime() - t0;
                assertThat(c.command("AUTH PLAIN " + b64("\0" + ELSA + "\0wrong again")).last()).startsWith("454 4.7.0");
            }
            assertThat(counting.of(ELSA)).as("locked attempts never reach an authenticator: no password is checked").isEqualTo(checksBefore);
            System.out.printf("brute force (shared machine, not asserted): login ok %d ms; wrong passwords %s ms; locked %d ms; delayed in total %d ms%n",
                    okNanos / 1_000_000, java.util.Arrays.toString(java.util.Arrays.stream(wrongNanos).map(n -> n / 1_000_000).toArray()),
                    lockedNanos / 1_000_000, s.sasl().throttle().delayedMillis());

            // 2. the right password from another address still works; so does another account from the guesser's
            angusLogin(port, ELSA_AT_HOME, ELSA, ELSA_PW);
            angusLogin(port, ELSA_TRAVELLING, ELSA, ELSA_PW);
            timeLogin(port, OLAF, OLAF_PW, "235 2.7.0");
            timeLogin(port, ELSA, ELSA_PW, "454 4.7.0");          // still locked for the guesser

            // 3. the guesser walks through user names: its address is locked, for every account
            try (Client c = Client.implicitTls(port, GUESSER)) {
                c.expect(220);
                c.command("EHLO brute.test");
                for (int i = 0; i < 9; i++) assertThat(c.command("AUTH PLAIN " + b64("\0nobody" + i + "@herald.test\0x")).last()).startsWith("535 5.7.8");
                assertThat(c.command("AUTH PLAIN " + b64("\0" + OLAF + "\0" + OLAF_PW)).last()).startsWith("454 4.7.0");
            }
            angusLogin(port, ELSA_TRAVELLING, OLAF, OLAF_PW);

            // 4. distributed guessing: a few tries from many addresses lock the account, except where elsa logged in
            for (int i = 10; i < 17; i++) {
                try (Client c = Client.implicitTls(port, "127.0.0." + i)) {
                    c.expect(220);
                    c.command("EHLO bot.test");
                    assertThat(c.command("AUTH PLAIN " + b64("\0" + ELSA + "\0bot" + i)).last()).startsWith("535 5.7.8");
                }
            }
            assertThat(s.sasl().throttle().failures(null, ELSA)).as("the account's count starts again once it is locked").isZero();
            try (Client c = Client.implicitTls(port, "127.0.0.20")) {
                c.expect(220);
                c.command("EHLO new.test");
                assertThat(c.command("AUTH PLAIN " + b64("\0" + ELSA + "\0" + ELSA_PW)).last()).startsWith("454 4.7.0");
                assertThat(c.command("AUTH PLAIN " + b64("\0" + OLAF + "\0" + OLAF_PW)).last()).startsWith("235 2.7.0");
            }
            angusLogin(port, ELSA_AT_HOME, ELSA, ELSA_PW);
            angusLogin(port, ELSA_TRAVELLING, ELSA, ELSA_PW);
            assertThatThrownBy(() -> angusLogin(port, "127.0.0.21", ELSA, ELSA_PW))
                    .isInstanceOf(AuthenticationFailedException.class).hasMessageContaining("454 4.7.0");
        }
    }

    /** Jakarta Mail (Angus) logs in over implicit TLS from the given loopback source address (and sends nothing). */
    private static void angusLogin(int port, String from, String user, String password) throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(port));
        p.put("mail.smtp.localaddress", from);
        p.put("mail.smtp.ssl.enable", "true");
        p.put("mail.smtp.ssl.trust", "*");
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.auth.mechanisms", "PLAIN");
        Transport t = Session.getInstance(p).getTransport("smtp");
        t.connect(user, password);   // throws AuthenticationFailedException with the server's reply when refused
        assertThat(t.isConnected()).isTrue();
        t.close();
    }

    private static long timeLogin(int port, String user, String password, String expected) throws Exception {
        try (Client c = Client.implicitTls(port, GUESSER)) {
            c.expect(220);
            c.command("EHLO brute.test");
            long t0 = System.nanoTime();
            assertThat(c.command("AUTH PLAIN " + b64("\0" + user + "\0" + password)).last()).startsWith(expected);
            return System.nanoTime() - t0;
        }
    }

    // ------------------------------------------------------------------ helpers

    private void assertDelivered(String subject, String protocol) throws Exception {
        assertThat(server.awaitIdle(Duration.ofSeconds(20))).isTrue();
        for (StoredMessage m : store.list(OLAF, Folders.INBOX)) {
            if (subject.equals(m.subject())) {
                try (InputStream in = store.content(OLAF, Folders.INBOX, m.uid()).orElseThrow().open()) {
                    String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    assertThat(text).contains("with " + protocol + " id");
                }
                return;
            }
        }
        throw new AssertionError("no message '" + subject + "' in " + OLAF);
    }

    static boolean has(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    static String unb64(String s) {
        return new String(Base64.getDecoder().decode(s.trim()), StandardCharsets.UTF_8);
    }

    static byte[] hmac(byte[] key, String data) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    static Map<String, String> attributes(String message) {
        Map<String, String> out = new HashMap<>();
        for (String part : message.split(",")) out.put(part.substring(0, 1), part.substring(2));
        return out;
    }

    record Reply(int code, List<String> lines) {
        String last() { return lines.get(lines.size() - 1); }
    }

    /** A raw SMTP client, plain or over implicit TLS (trusting any certificate: the server's is self-signed). */
    static final class Client implements AutoCloseable {
        final Socket socket;
        final InputStream in;
        final OutputStream out;

        private Client(Socket socket) throws IOException {
            this.socket = socket;
            socket.setSoTimeout(20_000);
            in = socket.getInputStream();
            out = socket.getOutputStream();
        }

        static Client plain(int port) throws IOException {
            return new Client(new Socket("127.0.0.1", port));
        }

        static Client implicitTls(int port) throws Exception {
            return implicitTls(port, "127.0.0.1");
        }

        /** From a given loopback source address ({@code 127.0.0.2}...: Linux routes all of 127/8 to lo). */
        static Client implicitTls(int port, String from) throws Exception {
            SSLSocket s = (SSLSocket) NotifyPeers.trustAll().getSocketFactory().createSocket("127.0.0.1", port, InetAddress.getByName(from), 0);
            s.startHandshake();
            return new Client(s);
        }

        Reply command(String line) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            return reply();
        }

        void expect(int code) throws IOException {
            Reply r = reply();
            assertThat(r.code()).as(r.lines().toString()).isEqualTo(code);
        }

        Reply reply() throws IOException {
            List<String> lines = new ArrayList<>();
            while (true) {
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                int c;
                while ((c = in.read()) >= 0 && c != '\n') b.write(c);
                if (c < 0) throw new IOException("connection closed; lines so far: " + lines);
                String l = b.toString(StandardCharsets.UTF_8);
                if (l.endsWith("\r")) l = l.substring(0, l.length() - 1);
                lines.add(l);
                if (l.length() < 4 || l.charAt(3) != '-') return new Reply(Integer.parseInt(l.substring(0, 3)), lines);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}

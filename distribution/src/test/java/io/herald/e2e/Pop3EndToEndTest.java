package io.herald.e2e;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.server.HeraldServer;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * POP3 end to end on the plain-Java host with the real plugins (pop3, mailbox-lucene, auth-file, route-local,
 * spam-bayes) and the core's TLS and authentication: corpus messages are sent over SMTP, then read back with
 * Python's {@code poplib} (STLS and implicit TLS) and with {@code curl pop3://}: the bytes retrieved equal the
 * stored bytes, and those equal what the SMTP client sent (plus Herald's trace fields). Failed POP3 logins and failed
 * SMTP AUTH count in the same throttle.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class Pop3EndToEndTest {

    static final Path CORPUS = Path.of(System.getProperty("herald.corpus", "../../shared/corpus"));
    static final String OLAF = "olaf@herald.test";
    static final String ELSA = "elsa@herald.test";
    static final String ANNA = "anna@herald.test";
    static final String BERT = "bert@herald.test";
    static final String PW = "Pop3-pw-1234";

    @TempDir static Path home;
    HeraldServer server;
    MailboxStore store;
    List<Path> sent;
    int stlsPort;
    int tlsPort;

    @BeforeAll
    void start() throws Exception {
        assertThat(CORPUS.resolve("real")).as("the shared corpus (set -Dherald.corpus)").isDirectory();
        server = HeraldServer.builder().home(home)
                .set("smtp", "port", "0").set("submission", "port", "0").set("submissions", "port", "0")
                .set("smtp", "maxLineLength", "0")
                .set("pop3", "port", "0").set("pop3", "tls.port", "0")
                .set("imap", "port", "-1").set("imap", "tls.port", "-1")   // not needed here (when the imap plugin is on the class path)
                .set("auth-file", "iterations", "4096")
                // a quick throttle for the shared-throttle test; the address limit stays far away for the other tests
                .set("auth", "failures.before.delay", "1").set("auth", "delay.initial", "20ms").set("auth", "delay.max", "50ms")
                .set("auth", "lockout.after", "3").set("auth", "address.lockout.after", "1000")
                .discoverPlugins()
                .start();
        store = server.mailboxStore();
        for (String u : List.of(OLAF, ELSA, ANNA, BERT)) store.create(u);
        server.ensureUsers(Map.of(OLAF, PW, ELSA, PW, ANNA, PW, BERT, PW));
        stlsPort = server.endpoint("pop3").getPort();
        tlsPort = server.endpoint("pop3s").getPort();
        sent = corpusSample();
        sendOverSmtp(OLAF, sent);
        sendOverSmtp(ELSA, sent.subList(0, 5));
        assertThat(server.awaitIdle(Duration.ofMinutes(2))).isTrue();
    }

    @AfterAll
    void stop() {
        if (server != null) server.close();
    }

    /** Every 100th message of real/ and the ones with lines that start with a dot (byte-stuffing). */
    static List<Path> corpusSample() throws IOException {
        List<Path> all;
        try (Stream<Path> s = Files.walk(CORPUS.resolve("real"))) {
            all = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("README")).sorted().toList();
        }
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < all.size(); i += 100) out.add(all.get(i));
        int dotted = 0;
        for (Path p : all) {
            if (dotted < 3 && !out.contains(p) && new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains("\n.")) {
                out.add(p);
                dotted++;
            }
        }
        return out;
    }

    void sendOverSmtp(String rcpt, List<Path> files) throws Exception {
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(server.smtpPort()));
        props.put("mail.smtp.from", "sender@example.org");
        Session session = Session.getInstance(props);
        try (SMTPTransport t = (SMTPTransport) session.getTransport("smtp")) {
            t.connect();
            for (Path f : files) {
                t.sendMessage(new CorpusRoundTripTest.RawMessage(session, Files.readAllBytes(f)), new InternetAddress[]{new InternetAddress(rcpt)});
                assertThat(t.getLastReturnCode()).as("%s", f).isEqualTo(250);
            }
        }
    }

    byte[] stored(String mailbox, long uid) throws Exception {
        MessageContent c = store.content(mailbox, Folders.INBOX, uid).orElseThrow();
        try (InputStream in = c.open()) {
            return in.readAllBytes();
        }
    }

    // ------------------------------------------------------------------ Python poplib

    @Test
    void pythonPoplib() throws Exception {
        assumeTrue(CorpusRoundTripTest.hasPython(), "python3 is not installed: the poplib test needs it");
        List<StoredMessage> inbox = store.list(OLAF, Folders.INBOX);
        assertThat(inbox.size()).as("messages in INBOX (the spam filter may move some to Junk)").isGreaterThan(sent.size() / 2);
        Map<String, byte[]> sentDigests = new HashMap<>();
        for (Path f : sent) sentDigests.put(CorpusRoundTripTest.sha256(WireFormat.crlf(Files.readAllBytes(f))), Files.readAllBytes(f));

        Map<Long, byte[]> storedBefore = new HashMap<>();   // message 1 is gone once the script's QUIT removed it
        for (StoredMessage m : inbox) storedBefore.put(m.uid(), stored(OLAF, m.uid()));
        Path script = home.resolve("pop3_client.py");
        try (InputStream in = getClass().getResourceAsStream("/e2e/pop3_client.py")) {
            Files.write(script, in.readAllBytes());
        }
        Path out = Files.createDirectories(home.resolve("poplib-out"));
        Process p = new ProcessBuilder("python3", script.toString(), String.valueOf(stlsPort), String.valueOf(tlsPort), OLAF, PW,
                out.toString()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        String json = output.lines().filter(l -> l.startsWith("{")).reduce((a, b) -> b).orElseThrow(() -> new AssertionError(output));

        assertThat(field(json, "greeting")).startsWith("+OK");
        // before TLS: STLS, and only SASL mechanisms that do not reveal the password (auth.cfg plaintext.requires.tls)
        assertThat(json).contains("\"capa_before_tls\": {\"TOP\": [], \"UIDL\": [], \"RESP-CODES\": [], \"AUTH-RESP-CODE\": [], "
                + "\"PIPELINING\": [], \"SASL\": [\"SCRAM-SHA-256\"], \"STLS\": [], \"IMPLEMENTATION\": [\"Herald\"]}");
        assertThat(field(json, "user_before_tls")).isEqualTo("-ERR [AUTH] plaintext authentication needs TLS: use STLS first");
        assertThat(json).contains("\"capa_after_tls\": {\"TOP\": [], \"UIDL\": [], \"RESP-CODES\": [], \"AUTH-RESP-CODE\": [], "
                + "\"PIPELINING\": [], \"USER\": [], \"SASL\": [\"SCRAM-SHA-256\", \"PLAIN\", \"LOGIN\"], \"IMPLEMENTATION\": [\"Herald\"]}");
        assertThat(field(json, "pass")).startsWith("+OK maildrop has " + inbox.size() + " messages");
        long total = 0;
        for (int n = 1; n <= inbox.size(); n++) {
            StoredMessage m = inbox.get(n - 1);
            byte[] viaPop3 = Files.readAllBytes(out.resolve(n + ".eml"));
            byte[] inStore = storedBefore.get(m.uid());
            assertThat(viaPop3).as("message %d (uid %d) retrieved = stored", n, m.uid()).isEqualTo(inStore);
            byte[] original = sentDigests.get(CorpusRoundTripTest.sha256(WireFormat.stripTrace(viaPop3)));
            assertThat(original).as("message %d is one that was sent over SMTP, byte for byte", n).isNotNull();
            // poplib's octet count, the LIST size and the length of the data all agree
            assertThat(json).contains("\"" + n + "\": [" + inStore.length + ", " + inStore.length + ", \"+OK " + inStore.length + " octets\"]");
            assertThat(json).contains("\"" + n + " " + inStore.length + "\"");
            assertThat(json).contains("\"" + n + " " + m.uidValidity() + "." + m.uid() + "\"");
            total += inStore.length;
        }
        assertThat(json).contains("\"stat\": [" + inbox.size() + ", " + total + "]");
        assertThat(field(json, "uidl_1")).isEqualTo("+OK 1 " + inbox.get(0).uidValidity() + "." + inbox.get(0).uid());
        String header = new String(storedBefore.get(inbox.get(0).uid()), StandardCharsets.ISO_8859_1);
        header = header.substring(0, header.indexOf("\r\n\r\n") + 4);
        assertThat(unescape(field(json, "top_1_0"))).isEqualTo(header);
        assertThat(field(json, "retr_missing")).isEqualTo("-ERR no such message");
        assertThat(field(json, "retr_deleted")).isEqualTo("-ERR message 1 already deleted");
        assertThat(json).contains("\"stat_after_dele\": [" + (inbox.size() - 1) + ", " + (total - storedBefore.get(inbox.get(0).uid()).length) + "]");
        assertThat(json).contains("\"stat_after_rset\": [" + inbox.size() + ", " + total + "]");
        assertThat(field(json, "quit")).isEqualTo("+OK Herald POP3 server signing off (1 messages deleted)");
        // dele + quit removed message 1 from the store; the implicit-TLS session sees the rest with the same UIDL
        List<StoredMessage> after = store.list(OLAF, Folders.INBOX);
        assertThat(after).hasSize(inbox.size() - 1);
        assertThat(after.get(0).uid()).isEqualTo(inbox.get(1).uid());
        long afterTotal = 0;
        for (StoredMessage m : after) afterTotal += stored(OLAF, m.uid()).length;
        assertThat(json).contains("\"implicit_stat\": [" + after.size() + ", " + afterTotal + "]");
        assertThat(json).contains("\"1 " + after.get(0).uidValidity() + "." + after.get(0).uid() + "\"");
    }

    static String field(String json, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\": \"((?:[^\"\\\\]|\\\\.)*)\"").matcher(json);
        if (!m.find()) throw new AssertionError("no " + name + " in " + json);
        return m.group(1);
    }

    /** JSON string escapes as Python's json.dumps writes them for latin-1 text. */
    static String unescape(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\') { b.append(c); continue; }
            char n = s.charAt(++i);
            switch (n) {
                case 'r' -> b.append('\r');
                case 'n' -> b.append('\n');
                case 't' -> b.append('\t');
                case 'u' -> { b.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16)); i += 4; }
                default -> b.append(n);
            }
        }
        return b.toString();
    }

    // ------------------------------------------------------------------ curl

    @Test
    void curlPop3WithStlsAndPop3s() throws Exception {
        assumeTrue(has("curl", "--version"), "curl is not installed");
        List<StoredMessage> inbox = store.list(ELSA, Folders.INBOX);
        assertThat(inbox).isNotEmpty();
        // LIST after STLS
        String list = new String(curl("--ssl-reqd", "pop3://127.0.0.1:" + stlsPort + "/"), StandardCharsets.US_ASCII);
        StringBuilder expected = new StringBuilder();
        for (int n = 1; n <= inbox.size(); n++) expected.append(n).append(' ').append(stored(ELSA, inbox.get(n - 1).uid()).length).append("\r\n");
        assertThat(list).isEqualTo(expected.toString());
        // RETR of every message over implicit TLS: the bytes as stored
        for (int n = 1; n <= inbox.size(); n++) {
            byte[] got = curl("pop3s://127.0.0.1:" + tlsPort + "/" + n);
            assertThat(got).as("curl RETR %d", n).isEqualTo(stored(ELSA, inbox.get(n - 1).uid()));
        }
        // a wrong password: curl fails with "login denied" (67)
        Process p = new ProcessBuilder("curl", "-sS", "-k", "-u", ELSA + ":wrong", "pop3s://127.0.0.1:" + tlsPort + "/")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isEqualTo(67);
        assertThat(store.list(ELSA, Folders.INBOX)).hasSize(inbox.size());
    }

    byte[] curl(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("curl", "-sS", "-k", "-u", ELSA + ":" + PW));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s: %s", cmd, err).isZero();
        return out;
    }

    static boolean has(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ one throttle for POP3 and SMTP

    @Test
    void failedPop3LoginsLockSmtpAuthAndTheOtherWayRound() throws Exception {
        long delaysBefore = server.sasl().throttle().delaysApplied();
        try (SubmissionEndToEndTest.Client pop = SubmissionEndToEndTest.Client.implicitTls(tlsPort)) {
            assertThat(pop3Line(pop)).startsWith("+OK");
            for (int i = 0; i < 3; i++) {
                assertThat(pop3(pop, "USER " + ANNA)).isEqualTo("+OK send PASS");
                assertThat(pop3(pop, "PASS wrong")).isEqualTo("-ERR [AUTH] invalid user name or password");
            }
            // the account is locked now: even the right password is refused, in POP3 ...
            assertThat(pop3(pop, "AUTH PLAIN " + plain(ANNA, PW))).isEqualTo("-ERR [SYS/TEMP] too many failed logins, try again later");
        }
        assertThat(server.sasl().throttle().delaysApplied()).as("failure replies were slowed down").isGreaterThan(delaysBefore);
        // ... and in SMTP AUTH
        try (SubmissionEndToEndTest.Client smtp = SubmissionEndToEndTest.Client.implicitTls(server.submissionsPort())) {
            smtp.expect(220);
            smtp.command("EHLO pop3.test");
            assertThat(smtp.command("AUTH PLAIN " + plain(ANNA, PW)).last()).startsWith("454 4.7.0");
        }
        // failed SMTP AUTH locks the POP3 login of that account
        try (SubmissionEndToEndTest.Client smtp = SubmissionEndToEndTest.Client.implicitTls(server.submissionsPort())) {
            smtp.expect(220);
            smtp.command("EHLO pop3.test");
            for (int i = 0; i < 3; i++) assertThat(smtp.command("AUTH PLAIN " + plain(BERT, "wrong")).last()).startsWith("535 5.7.8");
        }
        try (SubmissionEndToEndTest.Client pop = SubmissionEndToEndTest.Client.implicitTls(tlsPort)) {
            pop3Line(pop);
            pop3(pop, "USER " + BERT);
            assertThat(pop3(pop, "PASS " + PW)).isEqualTo("-ERR [SYS/TEMP] too many failed logins, try again later");
            // other accounts from the same address still log in
            assertThat(pop3(pop, "AUTH PLAIN " + plain(ELSA, PW))).startsWith("+OK maildrop has");
            assertThat(pop3(pop, "QUIT")).startsWith("+OK");
        }
    }

    static String plain(String user, String pw) {
        return Base64.getEncoder().encodeToString(("\0" + user + "\0" + pw).getBytes(StandardCharsets.UTF_8));
    }

    static String pop3(SubmissionEndToEndTest.Client c, String line) throws IOException {
        c.out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        c.out.flush();
        return pop3Line(c);
    }

    static String pop3Line(SubmissionEndToEndTest.Client c) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int ch;
        while ((ch = c.in.read()) >= 0 && ch != '\n') b.write(ch);
        if (ch < 0) throw new IOException("connection closed after " + b);
        String l = b.toString(StandardCharsets.UTF_8);
        return l.endsWith("\r") ? l.substring(0, l.length() - 1) : l;
    }
}

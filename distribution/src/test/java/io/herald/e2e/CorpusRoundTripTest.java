package io.herald.e2e;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.server.HeraldServer;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The main job on real input: real SMTP clients hand every message of {@code corpus/real/} and a sample of
 * {@code corpus/spam/} and {@code corpus/ham/} to a Herald server on the plain-Java host, and each one is read
 * back from the mailbox store: the stored bytes equal what the client put on the wire (CRLF line endings,
 * dot-stuffing removed), apart from the {@code Return-Path:} and {@code Received:} fields Herald adds.
 *
 * <p>The server runs with {@code maxLineLength=0} (no text line limit) because a few real messages have lines
 * longer than RFC 5321's 1000 octets; the limit itself is tested in the SMTP core's tests.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CorpusRoundTripTest {

    static final Path CORPUS = Path.of(System.getProperty("herald.corpus", "../../shared/corpus"));
    static final String SENDER = "sender@example.org";

    @TempDir
    static Path home;
    HeraldServer server;
    MailboxStore store;

    @BeforeAll
    void start() throws Exception {
        assertThat(CORPUS.resolve("real")).as("the shared corpus (set -Dherald.corpus)").isDirectory();
        server = HeraldServer.builder().home(home)
                .set("smtp", "port", "0").set("submission", "port", "0").set("submissions", "port", "0")
                .set("pop3", "port", "0").set("pop3", "tls.port", "0")   // the pop3 and imap plugins are on the class path
                .set("imap", "port", "0").set("imap", "tls.port", "0")
                .set("smtp", "maxLineLength", "0")
                .discoverPlugins()
                .start();
        store = server.mailboxStore();
        store.create("olaf@herald.test");
        store.create("elsa@herald.test");
    }

    @AfterAll
    void stop() {
        if (server != null) server.close();
    }

    /** Every message of real/, and every 10th of spam/ and ham/, in a stable order. */
    static List<Path> messages() throws IOException {
        List<Path> all = new ArrayList<>(files(CORPUS.resolve("real"), 1));
        all.addAll(files(CORPUS.resolve("spam"), 10));
        all.addAll(files(CORPUS.resolve("ham"), 10));
        return all;
    }

    private static List<Path> files(Path dir, int everyNth) throws IOException {
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> sorted = s.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("README"))
                    .sorted().toList();
            for (int i = 0; i < sorted.size(); i += everyNth) out.add(sorted.get(i));
        }
        return out;
    }

    @Test
    void jakartaMailClient() throws Exception {
        List<Path> messages = messages();
        Properties props = new Properties();
        props.put("mail.smtp.host", "127.0.0.1");
        props.put("mail.smtp.port", String.valueOf(server.smtpPort()));
        props.put("mail.smtp.from", SENDER);
        Session session = Session.getInstance(props);
        Map<String, Path> expected = new TreeMap<>();
        Map<String, Integer> expectedCount = new TreeMap<>();
        try (SMTPTransport transport = (SMTPTransport) session.getTransport("smtp")) {
            transport.connect();
            for (Path file : messages) {
                byte[] raw = Files.readAllBytes(file);
                transport.sendMessage(new RawMessage(session, raw), new InternetAddress[]{new InternetAddress("olaf@herald.test")});
                assertThat(transport.getLastReturnCode()).as("reply to %s", file).isEqualTo(250);
                String digest = sha256(WireFormat.crlf(raw));
                expected.putIfAbsent(digest, file);
                expectedCount.merge(digest, 1, Integer::sum);
            }
        }
        assertStored("olaf@herald.test", messages.size(), expected, expectedCount);
    }

    @Test
    void pythonSmtplibClient() throws Exception {
        assumeTrue(hasPython(), "python3 is not installed: the smtplib round trip needs it");
        List<Path> messages = messages();
        Path list = home.resolve("python-files.txt");
        Files.write(list, messages.stream().map(p -> p.toAbsolutePath().toString()).toList());
        String script = String.join("\n",
                "import smtplib, sys",
                "def crlf(b):",
                "    b = b.replace(b'\\r\\n', b'\\n').replace(b'\\r', b'\\n').replace(b'\\n', b'\\r\\n')",
                "    return b if b.endswith(b'\\r\\n') else b + b'\\r\\n'",
                "s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))",
                "s.ehlo('python.test')",
                "for path in open(sys.argv[2]).read().split('\\n'):",
                "    if not path: continue",
                "    data = crlf(open(path, 'rb').read())",
                "    s.mail('" + SENDER + "')",
                "    code, resp = s.rcpt('elsa@herald.test')",
                "    assert code == 250, (path, code, resp)",
                "    code, resp = s.data(data)",
                "    assert code == 250, (path, code, resp)",
                "s.quit()",
                "print('sent')");
        Path py = home.resolve("send.py");
        Files.writeString(py, script);
        Process p = new ProcessBuilder("python3", py.toString(), String.valueOf(server.smtpPort()), list.toString())
                .redirectErrorStream(true).start();
        String out;
        try (InputStream in = p.getInputStream()) {
            out = new String(in.readAllBytes());
        }
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();

        Map<String, Path> expected = new TreeMap<>();
        Map<String, Integer> expectedCount = new TreeMap<>();
        for (Path file : messages) {
            String digest = sha256(WireFormat.crlf(Files.readAllBytes(file)));
            expected.putIfAbsent(digest, file);
            expectedCount.merge(digest, 1, Integer::sum);
        }
        assertStored("elsa@herald.test", messages.size(), expected, expectedCount);
    }

    /**
     * The smallest message there is: DATA answered at once by ".", and BDAT 0 LAST as the only chunk. Both are accepted
     * (as Postfix does) and stored in the mailbox with the fields Herald adds (Return-Path:, the spam verdict,
     * Received:) and nothing else; a message accepted before them in the same session is stored too.
     */
    @Test
    void emptyMessagesByDataAndByBdatAreStoredWithHeraldsTraceFields() throws Exception {
        String mailbox = "anna@herald.test";
        store.create(mailbox);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", server.smtpPort())) {
            socket.setSoTimeout(30_000);
            java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    java.nio.charset.StandardCharsets.US_ASCII));
            OutputStream out = socket.getOutputStream();
            assertThat(reply(in)).startsWith("220 ");
            for (String[] step : new String[][] {
                    {"EHLO client.test", "250 "},
                    {"MAIL FROM:<" + SENDER + ">", "250 2.1.0"}, {"RCPT TO:<" + mailbox + ">", "250 2.1.5"}, {"DATA", "354 "},
                    {"Subject: before\r\n\r\nkept\r\n.", "250 2.0.0 Ok: queued as "},
                    {"MAIL FROM:<" + SENDER + ">", "250 2.1.0"}, {"RCPT TO:<" + mailbox + ">", "250 2.1.5"}, {"DATA", "354 "},
                    {".", "250 2.0.0 Ok: queued as "},
                    {"MAIL FROM:<" + SENDER + ">", "250 2.1.0"}, {"RCPT TO:<" + mailbox + ">", "250 2.1.5"},
                    {"BDAT 0 LAST", "250 2.0.0 Ok: queued as "},
                    {"QUIT", "221 "}}) {
                out.write((step[0] + "\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                out.flush();
                assertThat(reply(in)).as(step[0]).startsWith(step[1]);
            }
        }
        assertThat(server.awaitIdle(Duration.ofMinutes(1))).as("queue drained").isTrue();
        List<String> stored = new ArrayList<>();
        for (StoredMessage m : store.list(mailbox, Folders.INBOX)) {
            try (InputStream in = store.content(mailbox, Folders.INBOX, m.uid()).orElseThrow().open()) {
                stored.add(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.ISO_8859_1));
            }
        }
        assertThat(stored).hasSize(3);
        assertThat(stored).filteredOn(t -> t.endsWith("kept\r\n")).hasSize(1);
        List<String> empty = stored.stream().filter(t -> !t.endsWith("kept\r\n")).toList();
        assertThat(empty).hasSize(2).allSatisfy(t -> {
            // Return-Path:, the spam verdict of the filters on the class path (X-Spam-*), Received:, and nothing else
            assertThat(t).startsWith("Return-Path: <" + SENDER + ">\r\n").contains("\r\nReceived: from client.test ");
            assertThat(WireFormat.stripTrace(t.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1))).as(t).isEmpty();
        });
    }

    /** One SMTP reply, its last line (a multiline reply's earlier lines are skipped). */
    private static String reply(java.io.BufferedReader in) throws IOException {
        String line;
        do {
            line = in.readLine();
            if (line == null) throw new IOException("the server closed the connection");
        } while (line.length() > 3 && line.charAt(3) == '-');
        return line;
    }

    private void assertStored(String mailbox, int sent, Map<String, Path> expected, Map<String, Integer> expectedCount) throws Exception {
        assertThat(server.awaitIdle(Duration.ofMinutes(5))).as("queue drained").isTrue();
        List<StoredMessage> stored = store.list(mailbox, Folders.INBOX);
        assertThat(stored).hasSize(sent);
        Map<String, Integer> storedCount = new TreeMap<>();
        for (StoredMessage m : stored) {
            MessageContent content = store.content(mailbox, Folders.INBOX, m.uid()).orElseThrow();
            byte[] bytes;
            try (InputStream in = content.open()) {
                bytes = in.readAllBytes();
            }
            assertThat(new String(bytes, 0, Math.min(bytes.length, 200), java.nio.charset.StandardCharsets.ISO_8859_1))
                    .startsWith("Return-Path: <" + SENDER + ">\r\n");
            storedCount.merge(sha256(WireFormat.stripTrace(bytes)), 1, Integer::sum);
        }
        List<String> missing = new ArrayList<>();
        expectedCount.forEach((digest, n) -> {
            if (!n.equals(storedCount.get(digest))) missing.add(expected.get(digest) + " (expected " + n + ", stored " + storedCount.get(digest) + ")");
        });
        assertThat(missing).as("messages not stored byte for byte").isEmpty();
        assertThat(storedCount).isEqualTo(expectedCount);
    }

    static boolean hasPython() {
        try {
            Process p = new ProcessBuilder("python3", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    /** A message whose bytes are written to the transport exactly as read from the corpus file. */
    static final class RawMessage extends MimeMessage {
        private final byte[] raw;

        RawMessage(Session session, byte[] raw) {
            super(session);
            this.raw = raw;
        }

        @Override
        public void writeTo(OutputStream os) throws IOException {
            os.write(raw);
        }

        @Override
        public void writeTo(OutputStream os, String[] ignoreList) throws IOException {
            os.write(raw);
        }
    }
}

package io.herald.plugin.imap;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.StoredMessage;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.herald.plugin.imap.TestServer.OLAF;
import static io.herald.plugin.imap.TestServer.OLAF_PW;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The main path with other real clients: Python's imaplib (STARTTLS and implicit TLS), curl's IMAP support and
 * mbsync (isync) mirroring INBOX into a Maildir. Each is skipped when the tool is not installed ({@code .ci/run}
 * installs them).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class OtherClientsTest {

    @TempDir static Path home;
    @TempDir static Path work;
    TestServer server;

    @BeforeAll
    void start() throws Exception {
        server = new TestServer(home);
        server.smtp("elsa@herald.test", OLAF, "From: elsa@herald.test\r\nTo: olaf@herald.test\r\nSubject: snow\r\n\r\nDo you want to build a snowman?\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        try (Stream<Path> files = Files.list(TestServer.CORPUS.resolve("real/hunnysoft-mua-samples"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".eml")).sorted().limit(5).toList()) {
                server.smtp("sender@example.org", OLAF, Files.readAllBytes(p));
            }
        }
    }

    @AfterAll
    void stop() {
        if (server != null) server.close();
    }

    static boolean onPath(String tool) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, tool))) return true;
        }
        return false;
    }

    private static String run(Path dir, List<String> command) throws Exception {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
        String text = new String(out, StandardCharsets.UTF_8);
        assertThat(p.exitValue()).as("%s said:%n%s", command.get(0), text).isZero();
        return text;
    }

    private byte[] stored(String folder, long uid) throws Exception {
        MessageContent c = server.store.content(OLAF, folder, uid).orElseThrow();
        try (InputStream in = c.open()) {
            return in.readAllBytes();
        }
    }

    @Test
    @org.junit.jupiter.api.Order(3)
    void pythonImaplib() throws Exception {
        assumeTrue(onPath("python3"), "python3 not installed");
        Path script = Path.of(getClass().getResource("/imaplib_session.py").toURI());
        String out = run(work, List.of("python3", script.toString(), "127.0.0.1", String.valueOf(server.imapsPort()),
                String.valueOf(server.imapPort()), OLAF, OLAF_PW));
        List<StoredMessage> inboxBefore = server.store.list(OLAF, Folders.INBOX);
        assertThat(out).contains("starttls-login: OK", "login: OK", "done: ok")
                .contains("list: (\\HasNoChildren \\Junk) \"/\" Junk").contains("list: (\\HasNoChildren \\Sent) \"/\" Sent")
                .contains("search-from: 1").contains("search-body: 1")
                .contains("append: OK [APPENDUID").contains("copy: OK [COPYUID").contains("move: OK");
        assertThat(out).contains("starttls-capabilities:").containsPattern("starttls-capabilities: .*STARTTLS");
        // the message imaplib fetched is the stored one, octet for octet (it was moved to Junk since)
        StoredMessage inJunk = server.store.list(OLAF, Folders.JUNK).get(0);
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(stored(Folders.JUNK, inJunk.uid())));
        assertThat(out).contains("fetch-sha256: " + sha);
        assertThat(inJunk.hasFlag("\\Seen")).isTrue();
        assertThat(server.store.list(OLAF, Folders.SENT)).anyMatch(m -> m.subject().equals("from imaplib"));
        assertThat(server.store.list(OLAF, Folders.TRASH)).hasSize(1);
        assertThat(inboxBefore).noneMatch(m -> m.uid() == 1);
    }

    @Test
    @org.junit.jupiter.api.Order(1)
    void curl() throws Exception {
        assumeTrue(onPath("curl"), "curl not installed");
        String base = "imaps://127.0.0.1:" + server.imapsPort();
        String list = run(work, List.of("curl", "-sS", "--insecure", "-u", OLAF + ":" + OLAF_PW, base + "/"));
        assertThat(list).contains("* LIST (\\HasNoChildren \\Sent) \"/\" Sent");
        long uid = server.store.list(OLAF, Folders.INBOX).get(1).uid();
        Path file = work.resolve("m.eml");
        run(work, List.of("curl", "-sS", "--insecure", "-u", OLAF + ":" + OLAF_PW, "-o", file.toString(), base + "/INBOX;UID=" + uid));
        assertThat(Files.readAllBytes(file)).isEqualTo(stored(Folders.INBOX, uid));
        String search = run(work, List.of("curl", "-sS", "--insecure", "-u", OLAF + ":" + OLAF_PW, base + "/INBOX?SUBJECT%20snow"));
        assertThat(search.trim()).startsWith("* SEARCH");
        // STARTTLS on the plain port, required
        String caps = run(work, List.of("curl", "-sS", "--insecure", "--ssl-reqd", "-u", OLAF + ":" + OLAF_PW,
                "imap://127.0.0.1:" + server.imapPort() + "/", "-X", "CAPABILITY"));
        assertThat(caps).contains("IDLE").contains("MOVE");
    }

    @Test
    @org.junit.jupiter.api.Order(2)
    void mbsyncMirrorsTheInboxIntoAMaildir() throws Exception {
        assumeTrue(onPath("mbsync"), "mbsync (isync) not installed");
        Path maildir = Files.createDirectories(work.resolve("mail"));
        Path cert = server.server.tls().certFile();
        Path rc = work.resolve("mbsyncrc");
        Files.writeString(rc, """
                IMAPAccount herald
                Host 127.0.0.1
                Port %d
                User %s
                Pass %s
                SSLType IMAPS
                CertificateFile %s
                AuthMechs PLAIN

                IMAPStore herald-remote
                Account herald

                MaildirStore local
                Path %s/
                Inbox %s/INBOX

                Channel inbox
                Far :herald-remote:INBOX
                Near :local:INBOX
                Create Near
                Sync Pull
                SyncState *
                """.formatted(server.imapsPort(), OLAF, OLAF_PW, cert, maildir, maildir));
        String out = run(work, List.of("mbsync", "-c", rc.toString(), "-V", "inbox"));
        List<Path> files = new ArrayList<>();
        try (Stream<Path> s = Files.walk(maildir.resolve("INBOX"))) {
            s.filter(Files::isRegularFile).filter(p -> p.getParent().getFileName().toString().matches("cur|new")).forEach(files::add);
        }
        List<StoredMessage> inbox = server.store.list(OLAF, Folders.INBOX);
        assertThat(files).as("mbsync said:%n%s", out).hasSize(inbox.size());
        // every mirrored file is one of the stored messages, octet for octet (or once CRLF is LF, if mbsync converts line ends)
        List<String> storedSums = new ArrayList<>();
        for (StoredMessage m : inbox) {
            byte[] raw = stored(Folders.INBOX, m.uid());
            byte[] lf = new String(raw, StandardCharsets.ISO_8859_1).replace("\r\n", "\n").getBytes(StandardCharsets.ISO_8859_1);
            storedSums.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(lf)));
            storedSums.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(raw)));
        }
        for (Path f : files) {
            // mbsync 1.4 writes its transaction id into the header it stores (X-TUID, RFC-unregistered): take it out
            String text = Files.readString(f, StandardCharsets.ISO_8859_1).replaceFirst("(?m)^X-TUID: [^\n]*\n", "");
            String sum = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.ISO_8859_1)));
            assertThat(storedSums).as("%s", f).contains(sum);
        }
    }
}

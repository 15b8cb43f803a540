package io.herald.e2e;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.plugin.relaystatic.RelayStaticPlugin;
import io.herald.server.HeraldServer;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.herald.e2e.RelayStoryTest.ELSA;
import static io.herald.e2e.RelayStoryTest.ELSA_IP;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Relaying to and from a real Postfix on loopback: a private instance ({@code postfix -c <dir>}) listening on
 * 127.0.0.1 only, delivering {@code postfix.test} to a Maildir and sending {@code arendelle.test} to Elsa's Herald
 * server at 127.0.0.2 by a transport map (no DNS). Skipped when Postfix is not installed or we are not root (Postfix's
 * master must start as root); {@code .ci/run} installs it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PostfixRelayTest {

    static final Path POSTFIX = Path.of("/usr/sbin/postfix");

    Path dir;
    int postfixPort;
    int heraldPort;
    HeraldServer elsa;

    @BeforeAll
    void start() throws Exception {
        assumeTrue(Files.isExecutable(POSTFIX), "postfix is not installed");
        assumeTrue("root".equals(System.getProperty("user.name")), "a private Postfix instance needs root to start");
        heraldPort = RelayStoryTest.freePortOnAll(ELSA_IP);
        postfixPort = RelayStoryTest.freePortOnAll("127.0.0.1");
        // not a JUnit @TempDir: those are 0700, and Postfix's daemons run as the postfix user
        dir = Files.createTempDirectory("herald-postfix-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        for (String d : List.of("conf", "queue", "data", "mail")) Files.createDirectories(dir.resolve(d));
        run("chown", "postfix:postfix", dir.resolve("data").toString(), dir.resolve("mail").toString());
        String uid = run("id", "-u", "postfix").trim();
        String gid = run("id", "-g", "postfix").trim();
        Files.writeString(dir.resolve("conf/main.cf"), String.join("\n",
                "compatibility_level = 3.6",
                "queue_directory = " + dir.resolve("queue"),
                "data_directory = " + dir.resolve("data"),
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "myhostname = postfix.test",
                "mydomain = postfix.test",
                "myorigin = postfix.test",
                "mydestination =",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "alias_maps =",
                "alias_database =",
                "local_recipient_maps =",
                "relayhost =",
                "default_transport = error:this test relays nowhere else",
                "virtual_mailbox_domains = postfix.test",
                "virtual_mailbox_base = " + dir.resolve("mail"),
                "virtual_mailbox_maps = inline:{ olaf@postfix.test=olaf/ }",
                "virtual_uid_maps = static:" + uid,
                "virtual_gid_maps = static:" + gid,
                "transport_maps = inline:{ arendelle.test=smtp:[" + ELSA_IP + "]:" + heraldPort + " }",
                "smtp_tls_security_level = may",
                "smtpd_tls_security_level = none",
                "disable_dns_lookups = yes",
                "smtp_dns_support_level = disabled",
                "maillog_file = " + dir.resolve("maillog"),
                "maillog_file_prefixes = " + dir,
                ""), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("conf/master.cf"), String.join("\n",
                "127.0.0.1:" + postfixPort + " inet n - n - - smtpd",
                "pickup unix n - n 60 1 pickup",
                "cleanup unix n - n - 0 cleanup",
                "qmgr unix n - n 300 1 qmgr",
                "tlsmgr unix - - n 1000? 1 tlsmgr",
                "rewrite unix - - n - - trivial-rewrite",
                "bounce unix - - n - 0 bounce",
                "defer unix - - n - 0 bounce",
                "trace unix - - n - 0 bounce",
                "verify unix - - n - 1 verify",
                "flush unix n - n 1000? 0 flush",
                "proxymap unix - - n - - proxymap",
                "smtp unix - - n - - smtp",
                "relay unix - - n - - smtp",
                "showq unix n - n - - showq",
                "error unix - - n - - error",
                "retry unix - - n - - error",
                "discard unix - - n - - discard",
                "virtual unix - n n - - virtual",
                "anvil unix - - n - 1 anvil",
                "scache unix - - n - 1 scache",
                "postlog unix-dgram n - n - 1 postlogd",
                ""), StandardCharsets.UTF_8);
        run(POSTFIX.toString(), "-c", dir.resolve("conf").toString(), "start");

        elsa = HeraldServer.builder().home(dir.resolve("herald"))
                .set("herald", "hostname", "mail.arendelle.test").set("herald", "domains", "arendelle.test")
                .set("smtp", "bind", ELSA_IP).set("smtp", "port", String.valueOf(heraldPort))
                .set("submission", "bind", ELSA_IP).set("submission", "port", "0").set("submissions", "port", "-1")
                .set("outbound", "bind", ELSA_IP)
                .set("relay-static", "route.postfix.test", "127.0.0.1:" + postfixPort)
                .set("auth-file", "iterations", "4096")
                .plugins(RelayStoryTest.plugins(new RelayStaticPlugin()))
                .start();
        elsa.mailboxStore().create(ELSA);
        elsa.ensureUsers(Map.of(ELSA, RelayStoryTest.ELSA_PW));
    }

    @AfterAll
    void stop() throws Exception {
        if (elsa != null) elsa.close();
        if (dir != null) {
            try {
                run(POSTFIX.toString(), "-c", dir.resolve("conf").toString(), "stop");
            } finally {
                try (Stream<Path> s = Files.walk(dir)) {
                    s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    @Test
    void heraldRelaysToPostfixWhichDeliversTheMessageIntact() throws Exception {
        Path message = RelayStoryTest.corpusSample().get(1);
        RelayStoryTest.submit(elsa, List.of(message), "olaf@postfix.test");
        Path inbox = dir.resolve("mail/olaf/new");
        await().atMost(60, TimeUnit.SECONDS).until(() -> Files.isDirectory(inbox) && list(inbox).size() == 1);
        String stored = Files.readString(list(inbox).get(0), StandardCharsets.ISO_8859_1);
        // Postfix's Maildir has LF line ends; its Received: comes first, then Herald's
        String original = new String(WireFormat.crlf(Files.readAllBytes(message)), StandardCharsets.ISO_8859_1).replace("\r\n", "\n");
        assertThat(stored).endsWith(original);
        String trace = stored.substring(0, stored.length() - original.length());
        assertThat(trace).contains("Return-Path: <" + ELSA + ">");
        assertThat(trace).containsPattern("Received: from mail\\.arendelle\\.test \\(\\S+ \\[" + ELSA_IP.replace(".", "\\.") + "\\]\\)\n\tby postfix\\.test");
        assertThat(trace).contains("by mail.arendelle.test with ESMTPSA");
        assertThat(Files.readString(dir.resolve("maillog"))).contains("to=<olaf@postfix.test>").contains("status=sent");
    }

    @Test
    void postfixRelaysToHeraldWhichDeliversIntoElsasMailbox() throws Exception {
        Path message = RelayStoryTest.corpusSample().get(2);
        Properties p = new Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(postfixPort));
        p.put("mail.smtp.from", "anna@postfix.test");
        Session session = Session.getInstance(p);
        try (SMTPTransport t = (SMTPTransport) session.getTransport("smtp")) {
            t.connect();
            t.sendMessage(new CorpusRoundTripTest.RawMessage(session, Files.readAllBytes(message)),
                    new InternetAddress[] {new InternetAddress(ELSA)});
            assertThat(t.getLastReturnCode()).isEqualTo(250);
        }
        MailboxStore store = elsa.mailboxStore();
        await().atMost(60, TimeUnit.SECONDS).until(() -> !store.list(ELSA, Folders.INBOX).isEmpty());
        byte[] stored = RelayStoryTest.read(store, ELSA, store.list(ELSA, Folders.INBOX).get(0).uid());
        List<String> received = new ArrayList<>();
        byte[] rest = WireFormat.stripHops(stored, 2, received);
        assertThat(new String(stored, 0, 40, StandardCharsets.ISO_8859_1)).startsWith("Return-Path: <anna@postfix.test>");
        // Herald's Received: names Postfix and says it came over TLS (Postfix's smtp_tls_security_level = may)
        assertThat(received.get(0)).contains("from postfix.test").contains("by mail.arendelle.test with ESMTPS");
        assertThat(received.get(1)).contains("by postfix.test");
        String body = new String(rest, StandardCharsets.ISO_8859_1);
        String original = new String(WireFormat.crlf(Files.readAllBytes(message)), StandardCharsets.ISO_8859_1);
        // Postfix's cleanup may add the header fields a message lacks (Message-ID, Date, To); the body is intact
        assertThat(body.substring(body.indexOf("\r\n\r\n"))).isEqualTo(original.substring(original.indexOf("\r\n\r\n")));
    }

    private static List<Path> list(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.toList();
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}

package io.herald.distribution;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Runs the built distribution exactly as an operator would: unzips {@code herald-VERSION.zip}, starts
 * {@code bin/herald run} as a child process, talks SMTP to it, reads the mailbox with {@code bin/herald mailbox}.
 *
 */
class DistributionIT {

    static final Path DIST_ZIP = Path.of(System.getProperty("herald.dist.zip", "target/herald.zip"));
    static final int DEFAULT_SMTP_PORT = 2525;
    // a start on the shared 2-core machine under load took over 60 s (load average 40); waiting longer costs nothing when fast
    static final Duration START_TIMEOUT = Duration.ofMinutes(3);

    @TempDir
    Path tmp;

    Path home;
    Path herald;
    final List<Server> servers = new ArrayList<>();

    @BeforeEach
    void unzip() throws Exception {
        assertThat(DIST_ZIP).as("the zip built by the package phase").isRegularFile();
        run(List.of("unzip", "-q", DIST_ZIP.toString(), "-d", tmp.toString()), tmp, Duration.ofSeconds(60));
        try (var dirs = Files.list(tmp)) {
            home = dirs.filter(p -> p.getFileName().toString().startsWith("herald-")).findFirst().orElseThrow();
        }
        herald = home.resolve("bin/herald");
        assertThat(Files.isExecutable(herald)).as("bin/herald is executable after unzip").isTrue();
    }

    @AfterEach
    void stopServers() throws Exception {
        for (Server s : servers) s.stop();
    }

    @Test
    void startsWithoutConfigurationCreatesTheDemoMailboxesAndStopsCleanly() throws Exception {
        Server server = start();
        server.awaitLog("Herald started", START_TIMEOUT);

        Path accounts = home.resolve("data/demo-accounts.properties");
        assertThat(accounts).isRegularFile();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(accounts))).isEqualTo("rw-------");
        assertThat(server.log()).contains("demo account elsa@herald.test password:", "demo account olaf@herald.test password:");

        // Every plugin the distribution ships starts in the OSGi host (a bundle importing a package nobody exports
        // would stay "resolving": the embedded-library recipe of STACK.md must hold for each of them).
        Result plugins = herald("plugins");
        assertThat(plugins.exit).as(plugins.stderr()).isZero();
        String listing = new String(plugins.stdout(), StandardCharsets.UTF_8);
        List<String> rows = listing.lines().skip(1).filter(l -> !l.isBlank()).toList();
        long shipped;
        try (var jars = Files.list(home.resolve("plugins"))) {
            shipped = jars.filter(j -> j.getFileName().toString().endsWith(".jar")).count();
        }
        assertThat(rows).as(listing).hasSize((int) shipped)
                .allSatisfy(row -> assertThat(row.split("\\s+")[2]).as(row).isEqualTo("active"));

        Result list = herald("mailbox", "list", "olaf@herald.test");
        assertThat(list.exit).as(list.stderr()).isZero();
        assertThat(list.stdout).isEmpty();

        // The HTTP listener (8025 moved by the offset) and the notification sinks in the OSGi host, reached by
        // 'herald notify test' through the admin API (data/admin.properties).
        int http = 8025 + (server.smtpPort - DEFAULT_SMTP_PORT);
        var health = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + http + "/health")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        // the stock webhook has no url: said so, with what to set, and exit code 4 (not 0, not 1 = a receiver refused)
        Result notify = herald("notify", "test", "olaf@herald.test");
        String notified = new String(notify.stdout, StandardCharsets.UTF_8);
        assertThat(notify.exit).as(notified + notify.stderr()).isEqualTo(4);
        assertThat(notified.lines()).anyMatch(l -> l.startsWith("notify-sse/sse") && l.contains("delivered"))
                .anyMatch(l -> l.startsWith("notify-webhook/webhook")
                        && l.contains("not configured: no url: set url in conf/notify-webhook.cfg"));

        Result unknown = herald("mailbox", "list", "nobody@herald.test");
        assertThat(unknown.exit).isEqualTo(1);
        assertThat(unknown.stdout).isEmpty();
        assertThat(unknown.stderr()).startsWith("herald: ");

        assertThat(server.stop()).as("exit code after SIGTERM").isEqualTo(143);
        assertThat(server.log()).contains("Herald stopped");
        assertThat(Files.readString(home.resolve("logs/herald.log"))).contains("Herald started", "Herald stopped");

        // Second start: the passwords are not printed again.
        Server again = start();
        again.awaitLog("Herald started", START_TIMEOUT);
        assertThat(again.log()).doesNotContain("password:");
    }

    @Test
    void aMessageSentOverSmtpIsStoredByteForByte() throws Exception {
        Server server = start();
        server.awaitSmtp(START_TIMEOUT);

        byte[] viaSocket = message("raw socket");
        SmtpClient.send(server.smtpPort, "elsa@herald.test", "olaf@herald.test", viaSocket);
        List<byte[]> sent = new ArrayList<>(List.of(viaSocket));
        if (commandExists("python3")) {
            byte[] viaPython = message("python smtplib");
            Path file = tmp.resolve("python.eml");
            Files.write(file, viaPython);
            Result py = run(List.of("python3", "-c", """
                    import smtplib, sys
                    with smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=30) as s:
                        s.sendmail('elsa@herald.test', ['olaf@herald.test'], open(sys.argv[2], 'rb').read())
                    """, Integer.toString(server.smtpPort), file.toString()), tmp, Duration.ofSeconds(60));
            assertThat(py.exit).as(py.stderr()).isZero();
            sent.add(viaPython);
        }

        List<String> lines = awaitMessages("olaf@herald.test", sent.size());
        assertThat(lines).hasSize(sent.size());
        for (int i = 0; i < sent.size(); i++) {
            Result show = herald("mailbox", "show", "olaf@herald.test", Integer.toString(i + 1));
            assertThat(show.exit).as(show.stderr()).isZero();
            assertThat(new String(withoutTrace(show.stdout), StandardCharsets.ISO_8859_1))
                    .isEqualTo(new String(sent.get(i), StandardCharsets.ISO_8859_1));
            assertThat(new String(show.stdout, StandardCharsets.ISO_8859_1)).startsWith("Return-Path: <elsa@herald.test>\r\n");
        }
    }

    /**
     * What a newcomer does first with a mail client: log in as a demo account on the submission port (STARTTLS, the
     * self-signed certificate of the first start, AUTH PLAIN) and send to the other one. Needs the user database
     * plugin (auth-file) to be active in the OSGi host.
     */
    @Test
    void aDemoAccountSubmitsWithStarttlsAndAuth() throws Exception {
        Server server = start();
        server.awaitLog("Herald started", START_TIMEOUT);
        java.util.Properties accounts = new java.util.Properties();
        try (var in = Files.newInputStream(home.resolve("data/demo-accounts.properties"))) {
            accounts.load(in);
        }
        String password = accounts.getProperty("elsa@herald.test");
        assertThat(password).as("elsa's demo password").isNotBlank();

        java.util.Properties p = new java.util.Properties();
        p.put("mail.smtp.host", "127.0.0.1");
        p.put("mail.smtp.port", String.valueOf(server.smtpPort - DEFAULT_SMTP_PORT + 2587));
        p.put("mail.smtp.starttls.enable", "true");
        p.put("mail.smtp.starttls.required", "true");
        p.put("mail.smtp.ssl.trust", "*");
        p.put("mail.smtp.auth", "true");
        p.put("mail.smtp.auth.mechanisms", "PLAIN");
        p.put("mail.smtp.connectiontimeout", "30000");
        p.put("mail.smtp.timeout", "30000");
        jakarta.mail.Session session = jakarta.mail.Session.getInstance(p);
        var m = new jakarta.mail.internet.MimeMessage(session);
        m.setFrom("elsa@herald.test");
        m.setRecipients(jakarta.mail.Message.RecipientType.TO, "olaf@herald.test");
        m.setSubject("sent by a logged-in demo account");
        m.setText("Hello Olaf");
        try (jakarta.mail.Transport t = session.getTransport("smtp")) {
            t.connect("elsa@herald.test", password);
            t.sendMessage(m, m.getAllRecipients());
        }

        assertThat(awaitMessages("olaf@herald.test", 1)).hasSize(1);
        Result show = herald("mailbox", "show", "olaf@herald.test", "1");
        assertThat(show.exit).as(show.stderr()).isZero();
        assertThat(new String(show.stdout, StandardCharsets.UTF_8)).contains("Subject: sent by a logged-in demo account");

        // Olaf reads it over POP3 with implicit TLS (the pop3 plugin in the OSGi host, port 2995 moved by the offset)
        if (commandExists("curl")) {
            String olaf = accounts.getProperty("olaf@herald.test");
            int pop3s = server.smtpPort - DEFAULT_SMTP_PORT + 2995;
            Result curl = run(List.of("curl", "-sS", "-k", "--max-time", "60", "-u", "olaf@herald.test:" + olaf,
                    "pop3s://127.0.0.1:" + pop3s + "/1"), tmp, Duration.ofSeconds(90));
            assertThat(curl.exit).as(curl.stderr()).isZero();
            assertThat(curl.stdout).isEqualTo(show.stdout);
        }
    }

    @Test
    void aMessageAcceptedBeforeKill9IsDeliveredExactlyOnceAfterRestart() throws Exception {
        Server first = start();
        first.awaitSmtp(START_TIMEOUT);

        byte[] msg = message("before kill -9");
        SmtpClient.sendThen(first.smtpPort, "elsa@herald.test", "olaf@herald.test", msg, () -> first.kill());

        Server second = start();
        second.awaitSmtp(START_TIMEOUT);
        awaitMessages("olaf@herald.test", 1);
        Thread.sleep(2000); // a duplicate would show up now
        List<String> lines = listLines("olaf@herald.test");
        assertThat(lines).hasSize(1);
        Result show = herald("mailbox", "show", "olaf@herald.test", "1");
        assertThat(show.exit).as(show.stderr()).isZero();
        assertThat(withoutTrace(show.stdout)).isEqualTo(msg);
    }

    // ---------------------------------------------------------------- helpers

    /** A message with CRLF line ends, non-ASCII (8-bit) text and a line that needs dot-stuffing. */
    static byte[] message(String via) {
        String id = UUID.randomUUID().toString();
        return ("From: Elsa <elsa@herald.test>\r\n"
                + "To: Olaf <olaf@herald.test>\r\n"
                + "Subject: Hello via " + via + "\r\n"
                + "Message-ID: <" + id + "@herald.test>\r\n"
                + "Date: Thu, 3 Dec 2026 10:00:00 +0000\r\n"
                + "MIME-Version: 1.0\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Transfer-Encoding: 8bit\r\n"
                + "\r\n"
                + "Do you want to build a snowman? \u2603\r\n"
                + ".a line that starts with a dot\r\n"
                + "..and one with two\r\n"
                + "\r\n"
                + "-- \r\nElsa\r\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The message without the fields this hop puts on top (Return-Path:, its spam verdict X-Spam-*, Received:, with
     * their folded lines).
     */
    static byte[] withoutTrace(byte[] stored) {
        String s = new String(stored, StandardCharsets.ISO_8859_1);
        int pos = 0;
        boolean inTrace = false;
        while (pos < s.length()) {
            int eol = s.indexOf("\r\n", pos);
            if (eol < 0) break;
            String line = s.substring(pos, eol);
            String lower = line.toLowerCase();
            boolean continuation = inTrace && (line.startsWith(" ") || line.startsWith("\t"));
            if (lower.startsWith("return-path:") || lower.startsWith("x-spam-") || lower.startsWith("received:")) {
                inTrace = true;
            } else if (!continuation) {
                break;
            }
            pos = eol + 2;
        }
        return s.substring(pos).getBytes(StandardCharsets.ISO_8859_1);
    }

    List<String> awaitMessages(String address, int count) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> lines = List.of();
        while (System.nanoTime() < deadline) {
            lines = listLines(address);
            if (lines.size() >= count) return lines;
            Thread.sleep(200);
        }
        return fail("expected " + count + " messages in " + address + ", found " + lines);
    }

    List<String> listLines(String address) throws Exception {
        return listLinesOf(this::herald, address);
    }

    interface Tool {
        Result run(String... args) throws Exception;
    }

    @Test
    void imapBundleServesTheDemoMailboxOverTlsOnTheMovedPorts() throws Exception {
        Server server = start();
        server.awaitLog("Herald started", START_TIMEOUT);
        int offset = server.smtpPort - DEFAULT_SMTP_PORT;
        java.util.Properties demo = new java.util.Properties();
        try (var in = Files.newInputStream(home.resolve("data/demo-accounts.properties"))) {
            demo.load(in);
        }
        SmtpClient.send(server.smtpPort, "elsa@herald.test", "olaf@herald.test", message("read me over IMAP"));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (herald("mailbox", "list", "olaf@herald.test").stdout.length == 0) {   // delivered (asynchronously)?
            if (System.nanoTime() > deadline) fail("not delivered:\n" + server.log());
            Thread.sleep(200);
        }
        // STARTTLS port (2143 + offset): greeting with STARTTLS and LOGINDISABLED before TLS
        try (Socket plain = new Socket("127.0.0.1", 2143 + offset)) {
            plain.setSoTimeout(20_000);
            BufferedReader r = new BufferedReader(new InputStreamReader(plain.getInputStream(), StandardCharsets.US_ASCII));
            assertThat(r.readLine()).startsWith("* OK [CAPABILITY IMAP4rev1").contains("STARTTLS", "LOGINDISABLED");
        }
        // implicit TLS port (2993 + offset): log in as olaf, find the message delivered over SMTP
        javax.net.ssl.SSLContext ctx = io.herald.e2e.NotifyPeers.trustAll();
        try (Socket tls = ctx.getSocketFactory().createSocket("127.0.0.1", 2993 + offset)) {
            tls.setSoTimeout(20_000);
            BufferedReader r = new BufferedReader(new InputStreamReader(tls.getInputStream(), StandardCharsets.UTF_8));
            OutputStream w = tls.getOutputStream();
            assertThat(r.readLine()).startsWith("* OK [CAPABILITY IMAP4rev1").contains("AUTH=PLAIN");
            w.write(("a LOGIN olaf@herald.test \"" + demo.getProperty("olaf@herald.test") + "\"\r\nb SELECT INBOX\r\n"
                    + "c SEARCH SUBJECT \"read me over IMAP\"\r\nd LOGOUT\r\n").getBytes(StandardCharsets.UTF_8));
            w.flush();
            List<String> lines = new ArrayList<>();
            for (String l; (l = r.readLine()) != null; ) lines.add(l);
            assertThat(lines).anyMatch(l -> l.startsWith("a OK")).anyMatch(l -> l.startsWith("b OK [READ-WRITE]"))
                    .contains("* SEARCH 1").anyMatch(l -> l.startsWith("d OK"));
        }
        assertThat(server.log()).contains("IMAP listener imaps on /127.0.0.1:" + (2993 + offset));
    }

    /**
     * A user added with {@code herald user add} while the server runs receives mail over real SMTP and logs in over
     * IMAP and POP3 to an INBOX with the special-use folders, without a restart; an alias to an address that cannot
     * receive is refused at RCPT (550 5.1.1) and nothing is accepted, so no bounce can go to a forged sender.
     */
    @Test
    void aUserAddedWhileTheServerRunsReceivesMailAndLogsInAndADeadAliasIsRefusedAtRcpt() throws Exception {
        Server server = start();
        server.awaitSmtp(START_TIMEOUT);
        int offset = server.smtpPort - DEFAULT_SMTP_PORT;
        Result add = heraldWithInput("Anna-pass-123456\n", "user", "add", "anna@herald.test");
        assertThat(add.exit).as(add.stderr()).isZero();
        Result alias = heraldWithInput("", "user", "alias", "info@herald.test", "anna@herald.test");
        assertThat(alias.exit).as(alias.stderr()).isZero();
        Result dead = heraldWithInput("", "user", "alias", "ghost@herald.test", "nobody@herald.test");
        assertThat(dead.exit).as(dead.stderr()).isZero();
        Thread.sleep(1100); // the running server reads the user file again at most once a second

        SmtpClient.send(server.smtpPort, "elsa@herald.test", "anna@herald.test", message("for anna"));
        SmtpClient.send(server.smtpPort, "elsa@herald.test", "info@herald.test", message("for info"));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (listLinesOf(this::herald, "anna@herald.test").size() < 2) {
            if (System.nanoTime() > deadline) fail("not delivered to anna:\n" + server.log());
            Thread.sleep(200);
        }

        try (Socket s = new Socket("127.0.0.1", server.smtpPort)) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
            OutputStream out = s.getOutputStream();
            SmtpClient.expect(in, 220);
            SmtpClient.command(out, in, "EHLO client.herald.test", 250);
            SmtpClient.command(out, in, "MAIL FROM:<forged@victim.example>", 250);
            out.write("RCPT TO:<ghost@herald.test>\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            assertThat(in.readLine()).startsWith("550 5.1.1").contains("ghost@herald.test");
            out.write("DATA\r\n".getBytes(StandardCharsets.US_ASCII));       // no recipient: nothing can be accepted
            out.flush();
            assertThat(in.readLine()).matches("(503|554) .*");
            SmtpClient.command(out, in, "QUIT", 221);
        }
        assertThat(server.log()).doesNotContain("no such mailbox: nobody@herald.test");

        javax.net.ssl.SSLContext ctx = io.herald.e2e.NotifyPeers.trustAll();
        try (Socket tls = ctx.getSocketFactory().createSocket("127.0.0.1", 2993 + offset)) {
            tls.setSoTimeout(20_000);
            BufferedReader r = new BufferedReader(new InputStreamReader(tls.getInputStream(), StandardCharsets.UTF_8));
            OutputStream w = tls.getOutputStream();
            assertThat(r.readLine()).startsWith("* OK");
            w.write(("a LOGIN anna@herald.test Anna-pass-123456\r\nb LIST \"\" \"*\"\r\nc SELECT INBOX\r\n"
                    + "d LOGOUT\r\n").getBytes(StandardCharsets.UTF_8));
            w.flush();
            List<String> lines = new ArrayList<>();
            for (String l; (l = r.readLine()) != null; ) lines.add(l);
            assertThat(lines).as(String.join("\n", lines)).anyMatch(l -> l.startsWith("a OK"))
                    .anyMatch(l -> l.startsWith("* LIST") && l.endsWith("INBOX"))
                    .anyMatch(l -> l.startsWith("* LIST") && l.contains("\\Sent"))
                    .anyMatch(l -> l.startsWith("* LIST") && l.contains("\\Junk"))
                    .contains("* 2 EXISTS").anyMatch(l -> l.startsWith("c OK [READ-WRITE]"));
        }
        try (Socket tls = ctx.getSocketFactory().createSocket("127.0.0.1", 2995 + offset)) {
            tls.setSoTimeout(20_000);
            BufferedReader r = new BufferedReader(new InputStreamReader(tls.getInputStream(), StandardCharsets.UTF_8));
            OutputStream w = tls.getOutputStream();
            assertThat(r.readLine()).startsWith("+OK");
            w.write("USER anna@herald.test\r\n".getBytes(StandardCharsets.US_ASCII));
            w.flush();
            assertThat(r.readLine()).startsWith("+OK");
            w.write("PASS Anna-pass-123456\r\nSTAT\r\nQUIT\r\n".getBytes(StandardCharsets.US_ASCII));
            w.flush();
            assertThat(r.readLine()).startsWith("+OK");
            assertThat(r.readLine()).startsWith("+OK 2 ");
        }
    }

    /**
     * With {@code --port-offset}, a plugin's port changed while the server runs is moved like one read at start-up,
     * and a bad one is not silently ignored: a value that is not a port, and a port in use, are each logged naming
     * the file, the key and the value, {@code herald plugins} shows the plugin running on its last good
     * configuration with the refusal, and IMAP keeps answering on its old port.
     */
    @Test
    void aBadPortChangedWhileRunningWithAPortOffsetIsReportedAndTheLastGoodOneKept() throws Exception {
        Server server = start();
        server.awaitSmtp(START_TIMEOUT);
        int offset = server.smtpPort - DEFAULT_SMTP_PORT;
        Path imapCfg = home.resolve("conf/imap.cfg");

        DistHarness.writeAtomically(imapCfg, "port = 99999\n".getBytes(StandardCharsets.US_ASCII));
        server.awaitLog("plugin imap refused its new configuration", Duration.ofSeconds(60));
        assertThat(lineWith(server.log(), "plugin imap refused its new configuration"))
                .contains("imap.cfg: port = '99999' is not allowed");
        assertThat(awaitPluginDetail("imap", "refused")).contains("runs with its last good configuration", "imap.cfg: port = '99999'");
        imapAnswers(2143 + offset);

        // a port in use: 2525 is moved to the server's own SMTP port
        DistHarness.writeAtomically(imapCfg, ("port = " + DEFAULT_SMTP_PORT + "\n").getBytes(StandardCharsets.US_ASCII));
        String inUse = "imap.cfg: port = '" + DEFAULT_SMTP_PORT + "' (in effect: " + server.smtpPort + ")";
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!server.log().contains(inUse)) {
            if (System.nanoTime() > deadline) fail("no '" + inUse + "' in the log:\n" + server.log());
            Thread.sleep(200);
        }
        assertThat(lineWith(server.log(), inUse)).contains("refused its new configuration").containsIgnoringCase("already in use");
        assertThat(awaitPluginDetail("imap", inUse)).contains("runs with its last good configuration");
        imapAnswers(2143 + offset);

        // a good port is moved by the offset, and the note is gone
        DistHarness.writeAtomically(imapCfg, "port = 2144\n".getBytes(StandardCharsets.US_ASCII));
        server.awaitLog("IMAP listener imap on /127.0.0.1:" + (2144 + offset), Duration.ofSeconds(60));
        imapAnswers(2144 + offset);
        assertThat(awaitPluginDetail("imap", "")).isEmpty();
    }

    private static String lineWith(String log, String text) {
        return log.lines().filter(l -> l.contains(text)).reduce((a, b) -> b).orElseThrow();
    }

    /** The DETAIL column of a plugin in {@code herald plugins}, once it contains {@code text} (empty: once it is empty). */
    private String awaitPluginDetail(String plugin, String text) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = "";
        while (System.nanoTime() < deadline) {
            Path state = home.resolve("data/plugins.state");
            for (String line : Files.readAllLines(state, StandardCharsets.UTF_8)) {
                String[] f = line.split("\t", -1);
                if (f.length > 4 && f[0].equals(plugin) && f[2].equals("active")) {
                    last = f[4];
                    if (text.isEmpty() ? last.isEmpty() : last.contains(text)) {
                        Result shown = herald("plugins");
                        assertThat(new String(shown.stdout, StandardCharsets.UTF_8)).contains(last);
                        return last;
                    }
                }
            }
            Thread.sleep(200);
        }
        return fail("herald plugins: " + plugin + " has detail '" + last + "', expected '" + text + "'");
    }

    private static void imapAnswers(int port) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            BufferedReader r = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            assertThat(r.readLine()).startsWith("* OK");
        }
    }

    /**
     * The offline tools load the plugins with a plain class loader: one that cannot start (imap, with a refused value)
     * is one line on stderr with its name and the reason, never a Guice trace, and the tool does its job.
     */
    @Test
    void anOfflineToolReportsAFailedPluginInOneLineAndDoesItsJob() throws Exception {
        Files.writeString(home.resolve("conf/imap.cfg"), "maxBadCommands = 0\n");
        Result r = herald("mailbox", "reindex");
        assertThat(r.exit).as(r.stderr()).isZero();
        assertThat(new String(r.stdout, StandardCharsets.UTF_8)).startsWith("reindexed 0 messages in 0 mailboxes");
        assertThat(r.stderr().lines().toList()).as(r.stderr()).singleElement().satisfies(line -> assertThat(line)
                .contains("plugin imap not started", "imap.cfg: maxBadCommands = '0' is not allowed"));
    }

    /**
     * A logs/ that cannot be written (here a file, not a folder: tests run as root) is one clear line, no page of
     * Logback's status messages, and the server runs and logs to the console.
     */
    @Test
    void aLogsFolderThatCannotBeWrittenIsOneLineAndTheServerLogsToTheConsole() throws Exception {
        Files.writeString(home.resolve("logs"), "not a folder\n");
        Server server = start();
        server.awaitSmtp(START_TIMEOUT);
        String log = server.log();
        assertThat(log).doesNotContain("|-INFO", "|-WARN", "|-ERROR", "ch.qos.logback");
        assertThat(log.lines().filter(l -> l.contains("logs go to the console only")).toList()).singleElement()
                .satisfies(l -> assertThat(l).contains(home.resolve("logs/herald.log") + " (Not a directory)"));
        assertThat(log).contains("Herald started", "logs in the console only");
        SmtpClient.send(server.smtpPort, "elsa@herald.test", "olaf@herald.test", message("console only"));
    }

    /**
     * The README's hub (herald.cfg: hostname = hub.test, domains = hub.test) makes its demo users in its own local
     * domain, where they log in and receive mail, not in herald.test, which it relays: no user outside its local
     * domains, no warning about one.
     */
    @Test
    void theReadmeHubMakesItsDemoUsersInItsOwnDomain() throws Exception {
        Files.writeString(home.resolve("conf/herald.cfg"), "hostname = hub.test\ndomains = hub.test\n");
        Server server = start();
        server.awaitSmtp(START_TIMEOUT);
        assertThat(server.log()).contains("demo account elsa@hub.test password:", "demo account olaf@hub.test password:")
                .doesNotContain("elsa@herald.test", "not in a local domain");
        Result users = herald("user", "list");
        assertThat(users.exit).as(users.stderr()).isZero();
        assertThat(new String(users.stdout, StandardCharsets.UTF_8).lines()).contains("elsa@hub.test", "olaf@hub.test");
        Result add = heraldWithInput("Anna-pass-123456\n", "user", "add", "anna@hub.test");
        assertThat(add.exit).as(add.stderr()).isZero();
        assertThat(add.stderr()).doesNotContain("not a local domain");
        SmtpClient.send(server.smtpPort, "someone@hub.test", "olaf@hub.test", message("the hub's own olaf"));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (listLinesOf(this::herald, "olaf@hub.test").isEmpty()) {
            if (System.nanoTime() > deadline) fail("not delivered to olaf@hub.test:\n" + server.log());
            Thread.sleep(200);
        }
    }

    static List<String> listLinesOf(Tool herald, String address) throws Exception {
        Result r = herald.run("mailbox", "list", address);
        assertThat(r.exit).as(r.stderr()).isZero();
        return new String(r.stdout, StandardCharsets.UTF_8).lines().toList();
    }

    Server start() throws Exception {
        int offset = freeOffset();
        Path out = tmp.resolve("server-" + servers.size() + ".log");
        ProcessBuilder pb = new ProcessBuilder(herald.toString(), "--home", home.toString(), "run",
                "--port-offset", Integer.toString(offset))
                .directory(tmp.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
        environment(pb);
        Server s = new Server(pb.start(), out, DEFAULT_SMTP_PORT + offset);
        servers.add(s);
        return s;
    }

    Result herald(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(herald.toString(), "--home", home.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, tmp, Duration.ofSeconds(60));
    }

    /** {@code bin/herald} with {@code input} on its standard input (a password for {@code user add}). */
    Result heraldWithInput(String input, String... args) throws Exception {
        Path in = Files.createTempFile(tmp, "in", ".txt");
        Files.writeString(in, input);
        List<String> cmd = new ArrayList<>(List.of("sh", "-c", "exec \"$0\" \"$@\" < \"" + in + "\"", herald.toString(),
                "--home", home.toString()));
        cmd.addAll(List.of(args));
        return run(cmd, tmp, Duration.ofSeconds(60));
    }

    static void environment(ProcessBuilder pb) {
        pb.environment().remove("HERALD_HOME");
        pb.environment().remove("HERALD_JAVA_OPTS");
        // the build's loopback default resolver (dns.server in the parent POM) for the started server too: its
        // dns.cfg names no servers, and no test's lookup may leave the machine
        String dnsServer = System.getProperty("dns.server");
        if (dnsServer != null) pb.environment().put("HERALD_JAVA_OPTS", "-Ddns.server=" + dnsServer);
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    }

    record Result(int exit, byte[] stdout, byte[] err) {
        String stderr() {
            return new String(err, StandardCharsets.UTF_8);
        }
    }

    static Result run(List<String> cmd, Path dir, Duration timeout) throws Exception {
        Path o = Files.createTempFile(dir, "out", ".bin");
        Path e = Files.createTempFile(dir, "err", ".txt");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile()).redirectOutput(o.toFile()).redirectError(e.toFile());
        environment(pb);
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            fail(cmd + " did not finish in " + timeout);
        }
        return new Result(p.exitValue(), Files.readAllBytes(o), Files.readAllBytes(e));
    }

    static boolean commandExists(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            if (Files.isExecutable(Path.of(dir, name))) return true;
        }
        return false;
    }

    /**
     * An offset that moves every listener ({@link io.herald.launcher.Ports#LISTENERS}: SMTP, submission, IMAP, POP3,
     * HTTP) to a port free right now, all of them below Linux's ephemeral range (32768) so that no outgoing
     * connection of another test takes one of them meanwhile.
     */
    static int freeOffset() throws IOException {
        java.util.Random random = new java.util.Random();
        int highest = io.herald.launcher.Ports.LISTENERS.stream().mapToInt(io.herald.launcher.Ports.Listener::defaultPort).max().orElseThrow();
        for (int i = 0; i < 200; i++) {
            int offset = 1_000 + random.nextInt(32_000 - highest - 1_000);
            if (io.herald.launcher.Ports.LISTENERS.stream().allMatch(l -> free(l.defaultPort() + offset))) return offset;
        }
        throw new IOException("no offset found at which every listener's port is free");
    }

    private static boolean free(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A server started by bin/herald. */
    static final class Server {
        final Process process;
        final Path output;
        final int smtpPort;

        Server(Process process, Path output, int smtpPort) {
            this.process = process;
            this.output = output;
            this.smtpPort = smtpPort;
        }

        String log() {
            try {
                return Files.readString(output);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        void awaitLog(String text, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!log().contains(text)) {
                if (!process.isAlive()) fail("the server exited with " + process.exitValue() + ":\n" + log());
                if (System.nanoTime() > deadline) fail("no '" + text + "' in the server's log after " + timeout + ":\n" + log());
                Thread.sleep(100);
            }
        }

        /**
         * Waits until the server accepts mail: "Herald started" is logged (the plugins present at start-up have
         * started; before that the listener may already answer, with 451 4.3.0 for every recipient) and the port answers.
         */
        void awaitSmtp(Duration timeout) throws InterruptedException {
            awaitLog("Herald started", timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                if (!process.isAlive()) fail("the server exited with " + process.exitValue() + ":\n" + log());
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", smtpPort), 1000);
                    return;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) fail("SMTP port " + smtpPort + " not accepting after " + timeout + ":\n" + log());
                    Thread.sleep(100);
                }
            }
        }

        /** kill -9. */
        void kill() {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** SIGTERM, and the exit code. */
        int stop() throws InterruptedException {
            if (!process.isAlive()) return process.exitValue();
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                fail("the server did not stop within 30 s of SIGTERM:\n" + log());
            }
            return process.exitValue();
        }
    }

    /** A minimal SMTP client on a plain socket, checking every reply code. */
    static final class SmtpClient {

        static void send(int port, String from, String to, byte[] message) throws IOException {
            sendThen(port, from, to, message, null);
        }

        /** Sends one message; when {@code afterAccepted} is given, runs it right after the 250 to the end of data instead of QUIT. */
        static void sendThen(int port, String from, String to, byte[] message, Runnable afterAccepted) throws IOException {
            try (Socket s = new Socket("127.0.0.1", port)) {
                s.setSoTimeout(30_000);
                BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = s.getOutputStream();
                expect(in, 220);
                command(out, in, "EHLO client.herald.test", 250);
                command(out, in, "MAIL FROM:<" + from + ">", 250);
                command(out, in, "RCPT TO:<" + to + ">", 250);
                command(out, in, "DATA", 354);
                out.write(dotStuff(message));
                out.write(".\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                expect(in, 250);
                if (afterAccepted != null) {
                    afterAccepted.run();
                    return;
                }
                command(out, in, "QUIT", 221);
            }
        }

        static byte[] dotStuff(byte[] message) {
            String s = new String(message, StandardCharsets.ISO_8859_1);
            if (s.startsWith(".")) s = "." + s;
            s = s.replace("\r\n.", "\r\n..");
            if (!s.endsWith("\r\n")) s += "\r\n";
            return s.getBytes(StandardCharsets.ISO_8859_1);
        }

        static void command(OutputStream out, BufferedReader in, String line, int expected) throws IOException {
            out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            expect(in, expected);
        }

        static void expect(BufferedReader in, int expected) throws IOException {
            StringBuilder reply = new StringBuilder();
            String line;
            do {
                line = in.readLine();
                if (line == null) throw new IOException("connection closed; expected " + expected + " after: " + reply);
                reply.append(line).append('\n');
            } while (line.length() > 3 && line.charAt(3) == '-');
            if (!line.startsWith(Integer.toString(expected))) {
                throw new IOException("expected " + expected + ", got: " + reply);
            }
        }
    }
}

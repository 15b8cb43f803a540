package io.herald.launcher;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxException;
import io.herald.config.ConfigStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LauncherTest {

    @TempDir
    Path tmp;

    @Test
    void userCommandIsAttachedAndTakesTheHome() {
        // framework alone has no user database plugin: the command is found and fails with a message (1), not a usage error (2)
        assertThat(Main.execute("--home", tmp.toString(), "user", "list")).isEqualTo(ExitCodes.FAILURE);
        assertThat(Main.execute("user", "--help")).isEqualTo(ExitCodes.OK);
    }

    @Test
    void portOffsetMovesDefaultsAndConfiguredPortsButNotAnyFreePort() throws Exception {
        assertThat(port(ConfigStore.defaults(), "smtp", "port", 2525)).isEqualTo(2525);
        ConfigStore moved = new ConfigStore(null, Map.of(), Ports.offset(100));
        assertThat(Map.of("smtp", port(moved, "smtp", "port", 2525), "submission", port(moved, "submission", "port", 2587),
                "submissions", port(moved, "submissions", "port", 2465), "imap", port(moved, "imap", "port", 2143),
                "imaps", port(moved, "imap", "tls.port", 2993), "pop3", port(moved, "pop3", "port", 2110),
                "pop3s", port(moved, "pop3", "tls.port", 2995), "http", port(moved, "http", "port", 8025)))
                .isEqualTo(Map.of("smtp", 2625, "submission", 2687, "submissions", 2565, "imap", 2243, "imaps", 3093,
                        "pop3", 2210, "pop3s", 3095, "http", 8125));

        Path conf = tmp.resolve("conf");
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("smtp.cfg"), "port = 3000\n");
        ConfigStore files = new ConfigStore(conf, Map.of(), Ports.offset(7));
        assertThat(port(files, "smtp", "port", 2525)).isEqualTo(3007);
        assertThat(port(files, "submission", "port", 2587)).isEqualTo(2594);
        assertThat(files.fileValues("smtp")).isEqualTo(Map.of("port", "3000"));   // what the operator wrote

        Files.writeString(conf.resolve("smtp.cfg"), "port = 0\n");
        Files.writeString(conf.resolve("submission.cfg"), "port = -1\n");
        Files.writeString(conf.resolve("imap.cfg"), "port = -1\ntls.port = 3993\n");
        files = new ConfigStore(conf, Map.of(), Ports.offset(7));
        assertThat(port(files, "smtp", "port", 2525)).isZero();
        assertThat(port(files, "submission", "port", 2587)).isEqualTo(-1);
        assertThat(port(files, "imap", "port", 2143)).isEqualTo(-1);
        assertThat(port(files, "imap", "tls.port", 2993)).isEqualTo(4000);

        assertThatThrownBy(() -> Ports.offset(-1)).hasMessageContaining("--port-offset");
        assertThatThrownBy(() -> Ports.offset(70000)).hasMessageContaining("--port-offset");
    }

    /**
     * The offset is applied to each file as it is read, also when it changes while the server runs: a changed port is
     * moved, a value that is not a port reaches its component unchanged (which refuses it naming file, key and value),
     * and a port the offset would move beyond 65535 is refused, the listeners told, the last good configuration kept.
     */
    @Test
    void aPortChangedWhileRunningIsMovedOrRefusedLikeOneReadAtStartUp() throws Exception {
        Path conf = tmp.resolve("live");
        Files.createDirectories(conf);
        Files.writeString(conf.resolve("imap.cfg"), "port = 3143\n");
        ConfigStore files = new ConfigStore(conf, Map.of(), Ports.offset(1000));
        List<String> applied = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<String> refused = new java.util.concurrent.CopyOnWriteArrayList<>();
        files.addListener("imap", new ConfigStore.Listener() {
            @Override public void apply(io.herald.api.config.Configuration next) { applied.add(next.get("port").orElse("")); }
            @Override public void refused(String reason) { refused.add(reason); }
        });
        assertThat(port(files, "imap", "port", 2143)).isEqualTo(4143);

        rewrite(conf.resolve("imap.cfg"), "port = 3144\n");
        files.reload();
        assertThat(applied).containsExactly("4144");

        rewrite(conf.resolve("imap.cfg"), "port = 99999\n");
        files.reload();
        assertThat(applied).containsExactly("4144", "99999");   // the plugin refuses it, as without the offset
        assertThatThrownBy(() -> files.get("imap").getInt("port", 2143, -1, 65535))
                .hasMessage("imap.cfg: port = '99999' is not allowed; expected a whole number from -1 to 65535");

        rewrite(conf.resolve("imap.cfg"), "port = 65000\n");
        files.reload();
        assertThat(applied).hasSize(2);
        assertThat(refused).containsExactly("imap.cfg: port = '65000' is not allowed; expected a port from 1 to 64535: "
                + "--port-offset 1000 would move it to 66000");
        assertThat(files.get("imap").get("port")).contains("99999");   // the last configuration the store accepted
    }

    private static int port(ConfigStore files, String pid, String key, int defaultPort) {
        return files.get(pid).getInt(key, defaultPort, -1, 65535);
    }

    /** A changed file with a new modification time (the store looks at size, time and content). */
    private static void rewrite(Path file, String content) throws Exception {
        Files.writeString(file, content);
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 1000 * content.length()));
    }

    @Test
    void homeIsTheOptionThenTheEnvironmentThenTheDistribution() {
        Path opt = tmp.resolve("a");
        assertThat(Home.resolve(opt, Map.of(Home.ENV, "/b"), "/c")).isEqualTo(opt);
        assertThat(Home.resolve(null, Map.of(Home.ENV, "/b"), "/c")).isEqualTo(Path.of("/b"));
        assertThat(Home.resolve(null, Map.of(), "/c")).isEqualTo(Path.of("/c"));
        assertThat(Home.resolve(null, Map.of(), null)).isEqualTo(Path.of("").toAbsolutePath());
    }

    @Test
    void pluginJarsAreTheJarsInPlugins() throws Exception {
        assertThat(Home.pluginJars(tmp)).isEmpty();
        Files.createDirectories(tmp.resolve("plugins"));
        Files.write(tmp.resolve("plugins/b.jar"), new byte[0]);
        Files.write(tmp.resolve("plugins/a.jar"), new byte[0]);
        Files.write(tmp.resolve("plugins/readme.txt"), new byte[0]);
        assertThat(Home.pluginJars(tmp)).extracting(p -> p.getFileName().toString()).containsExactly("a.jar", "b.jar");

        Path dist = tmp.resolve("dist");
        Files.createDirectories(dist.resolve("plugins"));
        Files.write(dist.resolve("plugins/a.jar"), new byte[0]);
        Files.write(dist.resolve("plugins/c.jar"), new byte[0]);
        assertThat(Home.pluginJars(tmp, dist)).containsExactly(tmp.resolve("plugins/a.jar"), tmp.resolve("plugins/b.jar"),
                dist.resolve("plugins/c.jar"));
        assertThat(Home.pluginJars(tmp, null)).hasSize(2);
    }

    /** A plugin module of these tests (package io.herald.host), named in a service file. */
    static final String ECHO_PLUGIN = "io.herald.host.ProtocolServiceTest$EchoPlugin";

    @Test
    void aJarOfPluginsThatIsNoPluginIsReportedAndNeverCrashesATool() throws Exception {
        Path plugins = Files.createDirectories(tmp.resolve("plugins"));
        byte[] noise = new byte[3000];
        new java.util.Random(3).nextBytes(noise);
        noise[0] = 'X';   // never a zip's "PK" by chance
        Files.write(plugins.resolve("garbage.jar"), noise);
        java.util.jar.Manifest mf = new java.util.jar.Manifest();
        mf.getMainAttributes().put(java.util.jar.Attributes.Name.MANIFEST_VERSION, "1.0");
        try (java.util.jar.JarOutputStream j = new java.util.jar.JarOutputStream(Files.newOutputStream(plugins.resolve("x.jar")), mf)) {
            j.putNextEntry(new java.util.jar.JarEntry("a.txt"));
            j.write('a');
        }
        // a plugin for the plain host: its service file names a module (a class of these tests, found through the parent)
        try (java.util.jar.JarOutputStream j = new java.util.jar.JarOutputStream(Files.newOutputStream(plugins.resolve("echo.jar")), mf)) {
            j.putNextEntry(new java.util.jar.JarEntry(io.herald.host.PluginJars.SERVICES));
            j.write((ECHO_PLUGIN + "\n").getBytes(StandardCharsets.UTF_8));
        }
        ch.qos.logback.classic.Logger homeLog = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Home.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        homeLog.addAppender(seen);
        try {
            try (java.net.URLClassLoader loader = Home.pluginLoader(tmp)) {
                assertThat(loader.getURLs()).extracting(u -> Path.of(u.toURI()).getFileName().toString())
                        .as("the jar that is no jar is left off the class path").containsExactly("echo.jar", "x.jar");
                assertThat(io.herald.host.PlainHost.discover(loader)).singleElement()
                        .satisfies(p -> assertThat(p.getClass().getName()).isEqualTo(ECHO_PLUGIN));
            }
            assertThat(seen.list).extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).hasSize(2)
                    .anyMatch(m -> m.startsWith(plugins.resolve("garbage.jar") + ": not a jar (zip) file: ") && m.endsWith(" (ignored)"))
                    .contains(plugins.resolve("x.jar") + ": not a Herald plugin: no " + io.herald.host.PluginJars.SERVICES
                            + " in it (nothing is started from it)");
            assertThat(seen.list).allMatch(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN);
            seen.list.clear();
            try (java.net.URLClassLoader quiet = Home.pluginLoader(tmp, false)) {
                assertThat(quiet.getURLs()).hasSize(2);
            }
            assertThat(seen.list).isEmpty();
        } finally {
            homeLog.detachAppender(seen);
        }
        // a tool goes on with its job: here it finds no store plugin and says so (exit 1), as without the bad jars
        Files.delete(plugins.resolve("echo.jar"));
        java.io.StringWriter err = new java.io.StringWriter();
        assertThat(Main.execute(new java.io.PrintWriter(err, true), "--home", tmp.toString(), "mailbox", "list", "olaf@herald.test"))
                .isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).isEqualTo("herald: no mailbox store plugin is active (looked in " + plugins
                + " and the class path)" + System.lineSeparator());
    }

    @Test
    void demoAccountsAreCreatedOnceWithPrivatePasswords() throws Exception {
        InMemoryStore store = new InMemoryStore();
        Path data = tmp.resolve("data");
        var log = LoggerFactory.getLogger(LauncherTest.class);

        Map<String, String> first = DemoAccounts.ensure(data, store, "postmaster@localhost", Set.of("localhost", "herald.test"), log);
        assertThat(first).containsOnlyKeys("elsa@herald.test", "olaf@herald.test");
        assertThat(first.get("elsa@herald.test")).hasSizeGreaterThanOrEqualTo(16).isNotEqualTo(first.get("olaf@herald.test"));
        assertThat(store.mailboxes()).containsExactly("elsa@herald.test", "olaf@herald.test", "postmaster@localhost");
        Path file = data.resolve(DemoAccounts.FILE);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(DemoAccounts.read(data)).isEqualTo(first);

        assertThat(DemoAccounts.ensure(data, store, "postmaster@localhost", Set.of("localhost", "herald.test"), log)).isEmpty();
        assertThat(DemoAccounts.read(data)).isEqualTo(first);
    }

    /**
     * The README's hub (herald.cfg domains = hub.test) gets its demo users in its own domain, where they receive mail,
     * not in herald.test, which it relays: no user outside the local domains on a stock example.
     */
    @Test
    void demoAccountsAreMadeInALocalDomain() throws Exception {
        assertThat(DemoAccounts.users(new java.util.LinkedHashSet<>(List.of("localhost", "herald.test"))))
                .isEqualTo(DemoAccounts.USERS);
        assertThat(DemoAccounts.users(new java.util.LinkedHashSet<>(List.of("hub.test", "other.test"))))
                .containsExactly("elsa@hub.test", "olaf@hub.test");
        assertThat(DemoAccounts.users(Set.of())).isEmpty();

        InMemoryStore store = new InMemoryStore();
        Path data = tmp.resolve("hub-data");
        Map<String, String> first = DemoAccounts.ensure(data, store, "postmaster@localhost", Set.of("hub.test"),
                LoggerFactory.getLogger(LauncherTest.class));
        assertThat(first).containsOnlyKeys("elsa@hub.test", "olaf@hub.test");
        assertThat(store.mailboxes()).contains("elsa@hub.test", "olaf@hub.test").doesNotContain("elsa@herald.test");
        // a later start with other domains keeps the users of the file (and warns about them in the log)
        assertThat(DemoAccounts.ensure(data, store, "postmaster@localhost", Set.of("other.test"),
                LoggerFactory.getLogger(LauncherTest.class))).isEmpty();
        assertThat(DemoAccounts.read(data)).containsOnlyKeys("elsa@hub.test", "olaf@hub.test");
    }

    @Test
    void listAndShowAMailbox() throws Exception {
        InMemoryStore store = new InMemoryStore();
        store.create("olaf@herald.test");
        byte[] msg = "Subject: hi\r\n\r\nbody \u00e9\r\n".getBytes(StandardCharsets.UTF_8);
        store.deliver(new Delivery("olaf@herald.test", Folders.INBOX, MessageContent.of(msg), "k1",
                Instant.parse("2026-12-03T10:15:30.5Z"), Set.of()));
        store.deliver(new Delivery("olaf@herald.test", Folders.INBOX, MessageContent.of(new byte[] {1, 2}), "k2",
                Instant.parse("2026-12-03T10:16:00Z"), Set.of()));

        ByteArrayOutputStream listed = new ByteArrayOutputStream();
        MailboxTool.list(store, "Olaf@HERALD.test", Folders.INBOX, new PrintStream(listed, true, StandardCharsets.UTF_8));
        assertThat(listed.toString(StandardCharsets.UTF_8).lines()).hasSize(2).first().asString()
                .matches("\\s+1\\s+1 2026-12-03T10:15:30\\s+" + msg.length + "\\s+someone@example.org\\s+subject 1");

        ByteArrayOutputStream shown = new ByteArrayOutputStream();
        MailboxTool.show(store, "olaf@herald.test", Folders.INBOX, 1, shown);
        assertThat(shown.toByteArray()).isEqualTo(msg);

        assertThatThrownBy(() -> MailboxTool.show(store, "olaf@herald.test", Folders.INBOX, 3, shown))
                .isInstanceOf(Main.CommandFailedException.class).hasMessageContaining("no message 3");
        assertThatThrownBy(() -> MailboxTool.list(store, "nobody@herald.test", Folders.INBOX, System.out))
                .isInstanceOf(Main.CommandFailedException.class).hasMessage("no mailbox nobody@herald.test");
        assertThatThrownBy(() -> MailboxTool.list(store, "olaf@herald.test", "Nope", System.out))
                .isInstanceOf(Main.CommandFailedException.class).hasMessageContaining("has no folder Nope");
        assertThatThrownBy(() -> MailboxTool.list(store, "olaf", Folders.INBOX, System.out))
                .isInstanceOf(Main.CommandFailedException.class).hasMessageContaining("not a mail address");
    }

    @Test
    void reindexPrintsWhatItDidAndRefusesWhileTheServerRuns() throws Exception {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        InMemoryStore indexing = new InMemoryStore() {
            @Override public io.herald.api.mailbox.Reindexed reindex() {
                return new io.herald.api.mailbox.Reindexed(3, 1234, java.time.Duration.ofMillis(2560));
            }
        };
        MailboxTool.reindex(indexing, new PrintStream(printed, true, StandardCharsets.UTF_8));
        assertThat(printed.toString(StandardCharsets.UTF_8)).isEqualTo("reindexed 1234 messages in 3 mailboxes in 2.6 s"
                + System.lineSeparator());

        InMemoryStore held = new InMemoryStore() {
            @Override public io.herald.api.mailbox.Reindexed reindex() throws MailboxException {
                throw new io.herald.api.mailbox.StoreInUseException("the store in /x is held for writing", null);
            }
        };
        assertThatThrownBy(() -> MailboxTool.reindex(held, System.out)).isInstanceOf(Main.CommandFailedException.class)
                .hasMessage("cannot reindex while the server runs: the store in /x is held for writing; stop the server first");
        InMemoryStore broken = new InMemoryStore() {
            @Override public io.herald.api.mailbox.Reindexed reindex() throws MailboxException {
                throw new MailboxException(MailboxException.Reason.STORAGE, "disk full", true);
            }
        };
        assertThatThrownBy(() -> MailboxTool.reindex(broken, System.out)).isInstanceOf(MailboxException.class).hasMessage("disk full");
        // a store without an index (API 1.1): a clear failure
        assertThatThrownBy(() -> MailboxTool.reindex(new InMemoryStore(), System.out))
                .isInstanceOf(Main.CommandFailedException.class).hasMessageContaining("has no index to rebuild");
        // no store plugin: exit 1
        assertThat(Main.execute("--home", tmp.toString(), "mailbox", "reindex")).isEqualTo(ExitCodes.FAILURE);
    }

    @Test
    void exitCodes() {
        // No store plugin on this class path: a clear failure, code 1; --home accepted before and after the command.
        assertThat(Main.execute("--home", tmp.toString(), "mailbox", "list", "olaf@herald.test")).isEqualTo(ExitCodes.FAILURE);
        java.io.StringWriter err = new java.io.StringWriter();
        assertThat(Main.execute(new java.io.PrintWriter(err, true), "mailbox", "list", "olaf@herald.test", "--home", tmp.toString()))
                .isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).isEqualTo("herald: no mailbox store plugin is active (looked in " + tmp.resolve("plugins")
                + " and the class path)" + System.lineSeparator());
        assertThat(Main.execute("mailbox", "show")).isEqualTo(ExitCodes.USAGE);
        assertThat(Main.execute("--no-such-option")).isEqualTo(ExitCodes.USAGE);
        // an offset out of range is a wrong command line like one that is not a number
        java.io.StringWriter offsetErr = new java.io.StringWriter();
        assertThat(Main.execute(new java.io.PrintWriter(offsetErr, true), "--home", tmp.toString(), "run", "--port-offset", "-5"))
                .isEqualTo(ExitCodes.USAGE);
        assertThat(offsetErr.toString()).startsWith("--port-offset must be from 0 to " + Ports.MAX_OFFSET + ", not -5");
        assertThat(Main.execute("--home", tmp.toString(), "run", "--port-offset", "70000")).isEqualTo(ExitCodes.USAGE);
        assertThat(Main.execute("--home", tmp.toString(), "run", "--port-offset", "abc")).isEqualTo(ExitCodes.USAGE);
        assertThat(Main.execute("--help")).isEqualTo(ExitCodes.OK);
        assertThat(tmp.resolve("data")).doesNotExist(); // the tools write nothing
    }

    @Test
    void aStartUpFailureIsDescribedForPeople() {
        // a read-only data/ (tests run as root, who may write anything; bin/herald run as nobody shows the real refusal)
        assertThat(RunCommand.describe(new java.nio.file.AccessDeniedException("/srv/herald/data/queue/lock")))
                .isEqualTo("permission denied: /srv/herald/data/queue/lock; the user running the server must be able to "
                        + "write the home's data/ and logs/");
        assertThat(RunCommand.describe(new java.nio.file.NoSuchFileException("/srv/herald/data")))
                .isEqualTo("NoSuchFileException: /srv/herald/data");
        assertThat(RunCommand.describe(new java.io.IOException("cannot listen on 127.0.0.1:2525 (smtp): Address already in use")))
                .isEqualTo("cannot listen on 127.0.0.1:2525 (smtp): Address already in use");
    }

    @Test
    void aRefusedValueAtStartIsOneLineInTheLogWithoutAStackTrace() throws Exception {
        Path home = tmp.resolve("bad-value");
        Files.createDirectories(home.resolve("conf"));
        for (String pid : List.of("submission", "submissions", "http")) Files.writeString(home.resolve("conf/" + pid + ".cfg"), "port = 0\n");
        Files.writeString(home.resolve("conf/smtp.cfg"), "port = 0\nmaxRecipients = abc\n");
        ch.qos.logback.classic.Logger runLog = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(RunCommand.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        runLog.addAppender(seen);
        java.io.StringWriter err = new java.io.StringWriter();
        try {
            assertThat(Main.execute(new java.io.PrintWriter(err, true), "--home", home.toString(), "run")).isEqualTo(ExitCodes.CONFIG);
        } finally {
            runLog.detachAppender(seen);
        }
        assertThat(err.toString()).isEqualTo("herald: invalid configuration: smtp.cfg: maxRecipients = 'abc' is not allowed; "
                + "expected a whole number from 1 to 1000000" + System.lineSeparator());
        ch.qos.logback.classic.spi.ILoggingEvent error = seen.list.stream()
                .filter(e -> e.getLevel() == ch.qos.logback.classic.Level.ERROR).findFirst().orElseThrow();
        assertThat(error.getFormattedMessage()).isEqualTo("Herald could not start: smtp.cfg: maxRecipients = 'abc' is not allowed; "
                + "expected a whole number from 1 to 1000000");
        assertThat(error.getThrowableProxy()).isNull();
    }

    @Test
    void aRefusedPortValueIsAConfigurationErrorAlsoWithAPortOffset() throws Exception {
        // --port-offset reads the ports before the server starts: a wrong one is still exit code 3 with file and key
        Path home = tmp.resolve("bad-port");
        Files.createDirectories(home.resolve("conf"));
        Files.writeString(home.resolve("conf/smtp.cfg"), "port = abc\n");
        java.io.StringWriter err = new java.io.StringWriter();
        assertThat(Main.execute(new java.io.PrintWriter(err, true), "--home", home.toString(), "run", "--port-offset", "10"))
                .isEqualTo(ExitCodes.CONFIG);
        assertThat(err.toString()).startsWith("herald: invalid configuration: smtp.cfg: port = 'abc' is not allowed");
        Files.writeString(home.resolve("conf/smtp.cfg"), "");
        Files.writeString(home.resolve("conf/imap.cfg"), "tls.port = 99999\n");
        assertThat(Main.execute("--home", home.toString(), "run", "--port-offset", "10")).isEqualTo(ExitCodes.CONFIG);
    }
}

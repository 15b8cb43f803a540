package io.herald.testkit;

import io.herald.api.plugin.HeraldPlugin;
import io.herald.host.Plugin;
import io.herald.launcher.Ports;
import io.herald.server.HeraldServer;
import io.herald.testkit.dns.DnsResponder;
import io.herald.testkit.http.WebhookReceiver;
import io.herald.testkit.smtp.SmtpClient;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A JUnit 5 extension that boots a real Herald server in this JVM (the plain-Java host) with the plugin under test
 * and the built-in plugins the test chooses, on free loopback ports and in a temporary home folder, and gives the
 * test ready clients: SMTP ({@link #smtp()}, {@link #submission()} with STARTTLS and AUTH), mailboxes
 * ({@link #mailbox(String)}), a DNS responder the server resolves through ({@link #dns()}) and a webhook receiver
 * ({@link #webhooks()}).
 *
 * <pre>{@code
 * class GreylistTest {
 *     @RegisterExtension
 *     static final HeraldExtension herald = HeraldExtension.builder()
 *             .plugin(new GreylistPlugin())
 *             .builtIns(BuiltIn.ROUTE_LOCAL, BuiltIn.MAILBOX_LUCENE)
 *             .mailboxes("olaf@herald.test")
 *             .set("greylist", "delay", "1s")
 *             .build();
 *
 *     @Test
 *     void firstAttemptIsDeferred() throws Exception {
 *         assertThat(herald.send("elsa@example.org", "olaf@herald.test", "Subject: hi\r\n\r\nhello\r\n").last().code())
 *                 .isEqualTo(451);
 *     }
 * }
 * }</pre>
 *
 * <h2>Lifecycle</h2>
 * Registered on a {@code static} field, one server serves all tests of the class (started before the first, stopped
 * after the last); on an instance field, every test gets a fresh server and home. The DNS responder and the webhook
 * receiver start before the server, so their addresses can be put into its configuration: the core's resolver is
 * pointed at the responder ({@code dns.servers}, cache off) without further ado.
 *
 * <h2>Built-in plugins</h2>
 * The built-ins are found on the test class path with {@link java.util.ServiceLoader} by their configuration pid (see
 * {@link BuiltIn}); add their artifacts ({@code io.herald:herald-route-local}, ...) as test dependencies. The plugin
 * under test is passed as an instance, so it starts exactly once even though its own
 * {@code META-INF/services} file names it too. A plugin that fails to start fails the test (its cause is logged by
 * {@code io.herald.host.PlainHost}).
 *
 * <h2>Threading</h2>
 * The accessors may be called from any thread once the server runs; the SMTP clients are one-session, one-thread.
 */
public final class HeraldExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

    /** Configuration pids of the built-in plugins, for {@link Builder#builtIns(String...)}. */
    public static final class BuiltIn {
        /** Local delivery: a recipient in a local domain goes to its mailbox, an unknown one gets 550 5.1.1. */
        public static final String ROUTE_LOCAL = "route-local";
        /** The mailbox store (files and a Lucene index). */
        public static final String MAILBOX_LUCENE = "mailbox-lucene";
        /** Users and aliases in a file: SMTP AUTH and {@link Builder#user(String, String)}. */
        public static final String AUTH_FILE = "auth-file";
        /** The Bayesian spam filter and learner. */
        public static final String SPAM_BAYES = "spam-bayes";

        private BuiltIn() { }
    }

    /** How long {@link #awaitIdle()} waits for the queue by default. */
    public static final Duration IDLE_TIMEOUT = Duration.ofSeconds(60);

    private final List<HeraldPlugin> plugins;
    private final Set<String> builtIns;
    private final boolean discover;
    private final Map<String, Map<String, String>> settings;
    private final List<Function<HeraldExtension, Map<String, Map<String, String>>>> lateSettings;
    private final Map<String, String> users;
    private final List<String> mailboxes;

    private boolean perClass;
    private Path home;
    private DnsResponder dns;
    private WebhookReceiver webhooks;
    private HeraldServer server;
    private final List<AutoCloseable> clients = new ArrayList<>();

    private HeraldExtension(Builder b) {
        this.plugins = List.copyOf(b.plugins);
        this.builtIns = Set.copyOf(b.builtIns);
        this.discover = b.discover;
        this.settings = new LinkedHashMap<>();
        b.settings.forEach((pid, kv) -> settings.put(pid, Map.copyOf(kv)));
        this.lateSettings = List.copyOf(b.lateSettings);
        this.users = Map.copyOf(b.users);
        this.mailboxes = List.copyOf(b.mailboxes);
    }

    public static Builder builder() {
        return new Builder();
    }

    // ------------------------------------------------------------------------------------------------ JUnit

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        perClass = true;
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        stop();
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (!perClass) start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        closeClients();
        if (!perClass) stop();
    }

    /**
     * Starts the DNS responder, the webhook receiver and the server. JUnit calls this; call it yourself only when
     * using the extension outside JUnit (then {@link #stop()} too).
     */
    public void start() throws IOException {
        if (server != null) throw new IllegalStateException("already started");
        boolean ok = false;
        try {
            home = Files.createTempDirectory("herald-test-");
            dns = DnsResponder.start();
            webhooks = WebhookReceiver.start();
            HeraldServer.Builder b = HeraldServer.builder().home(home);
            // Every listener the server knows on a free port (new listeners are added to Ports.LISTENERS by the core).
            for (Ports.Listener l : Ports.LISTENERS) b.set(l.pid(), l.key(), "0");
            b.set("dns", "servers", "127.0.0.1:" + dns.port()).set("dns", "cache", "false");
            apply(b, settings);
            for (Function<HeraldExtension, Map<String, Map<String, String>>> f : lateSettings) apply(b, f.apply(this));
            List<HeraldPlugin> modules = new ArrayList<>(plugins);
            if (discover) {
                modules.addAll(discoverExcept(plugins));
            } else {
                modules.addAll(builtIns(builtIns));
            }
            b.plugins(modules);
            server = b.start();
            Set<String> started = new LinkedHashSet<>();
            for (Plugin p : server.registry().plugins()) started.add(p.name());
            for (HeraldPlugin m : modules) {
                if (!started.contains(m.configPid())) {
                    throw new IllegalStateException("plugin " + m.configPid() + " (" + m.getClass().getName()
                            + ") did not start: its module failed while Herald built its injector (the cause is logged above"
                            + " by io.herald.host.PlainHost)");
                }
            }
            for (String mailbox : mailboxes) {
                try {
                    server.mailboxStore().create(mailbox);
                } catch (io.herald.api.mailbox.MailboxException e) {
                    throw new IllegalStateException("cannot create mailbox " + mailbox + " (is a store plugin such as "
                            + BuiltIn.MAILBOX_LUCENE + " running?): " + e.getMessage(), e);
                }
            }
            if (!users.isEmpty()) {
                List<String> added = server.ensureUsers(users);
                if (added.size() != users.size()) {
                    throw new IllegalStateException("users " + users.keySet() + " need a user database plugin such as "
                            + BuiltIn.AUTH_FILE + " (builtIns(BuiltIn.AUTH_FILE) and io.herald:herald-auth-file on the test class path)");
                }
            }
            ok = true;
        } finally {
            if (!ok) stop();
        }
    }

    /** Stops the server and the peers and deletes the home folder. Idempotent. */
    public void stop() {
        closeClients();
        if (server != null) server.close();
        server = null;
        if (webhooks != null) webhooks.close();
        webhooks = null;
        if (dns != null) dns.close();
        dns = null;
        if (home != null) deleteTree(home);
        home = null;
    }

    // ------------------------------------------------------------------------------------------------ the server

    /** The server (framework API: its registry, queue, configuration) for what the test kit does not wrap. */
    public HeraldServer server() {
        if (server == null) throw new IllegalStateException("the Herald server is not running (outside a test?)");
        return server;
    }

    /** The temporary home folder: {@code conf/}, {@code data/}. */
    public Path home() {
        server();
        return home;
    }

    public int smtpPort() { return server().smtpPort(); }

    public int submissionPort() { return server().submissionPort(); }

    public int submissionsPort() { return server().submissionsPort(); }

    /** The DNS responder the server's resolver asks; add the records your plugin looks up. */
    public DnsResponder dns() {
        if (dns == null) throw new IllegalStateException("the DNS responder is not running (outside a test?)");
        return dns;
    }

    /** A webhook receiver on loopback; {@code webhooks().url("/x")} is the URL to configure. */
    public WebhookReceiver webhooks() {
        if (webhooks == null) throw new IllegalStateException("the webhook receiver is not running (outside a test?)");
        return webhooks;
    }

    /** A mailbox of the server, read through the mailbox store (a store plugin must be running). */
    public Mailbox mailbox(String address) {
        server();
        return new Mailbox(this, address);
    }

    /** Waits until the queue has delivered everything accepted so far; fails the test after {@link #IDLE_TIMEOUT}. */
    public void awaitIdle() {
        try {
            if (!server().awaitIdle(IDLE_TIMEOUT)) throw new AssertionError("the queue is still busy after " + IDLE_TIMEOUT + ": " + server.queue());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the queue", e);
        }
    }

    /**
     * Changes configuration keys of a running server the way an operator does: writes {@code conf/<pid>.cfg} (the
     * whole file: keys left out go back to their defaults) and reloads; the listeners of the pid apply it (the core's
     * listeners, such as {@code smtp}'s limits). Keys given to the builder with {@link Builder#set} keep winning over
     * the file. Plugins are restarted with a changed configuration by the OSGi host, not by the plain-Java host this
     * test kit runs: a plugin's reaction to a new configuration is tested with a new server (an instance-field
     * extension) or in the distribution.
     *
     * @return the pids whose configuration changed (as {@code ConfigStore.reload} reports them)
     */
    public List<String> reconfigure(String pid, Map<String, String> values) throws IOException {
        Path conf = home().resolve("conf");
        Files.createDirectories(conf);
        StringBuilder text = new StringBuilder("# written by HeraldExtension.reconfigure\n");
        values.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
        Path file = conf.resolve(pid + ".cfg");
        Path part = conf.resolve("." + pid + ".cfg.part");
        Files.writeString(part, text, StandardCharsets.UTF_8);
        Files.move(part, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return server().configs().reload();
    }

    // ------------------------------------------------------------------------------------------------ clients

    /** An SMTP session on the MTA listener (port {@link #smtpPort()}), greeting read and {@code EHLO client.test} said. */
    public SmtpClient smtp() throws IOException {
        SmtpClient c = track(SmtpClient.connect(loopback(smtpPort()), clientTls()));
        c.ehlo("client.test");
        return c;
    }

    /**
     * A session on the submission listener, after STARTTLS and a second EHLO (RFC 3207), not yet authenticated:
     * {@code herald.submission().authPlain("elsa@herald.test", "secret")}.
     */
    public SmtpClient submission() throws IOException {
        SmtpClient c = track(SmtpClient.connect(loopback(submissionPort()), clientTls()));
        c.ehlo("client.test");
        var r = c.starttls();
        if (r.code() != 220) throw new IOException("STARTTLS refused: " + r);
        c.ehlo("client.test");
        return c;
    }

    /** A session on the implicit-TLS submission listener (RFC 8314), EHLO said, not yet authenticated. */
    public SmtpClient submissions() throws IOException {
        SmtpClient c = track(SmtpClient.connectTls(loopback(submissionsPort()), clientTls()));
        c.ehlo("client.test");
        return c;
    }

    /** A TLS client context trusting exactly the server's certificate (self-signed in the temporary home). */
    public SSLContext clientTls() {
        var tls = server().tls();
        if (tls == null) throw new IllegalStateException("the server has no TLS (every listener disabled?)");
        return SmtpClient.trusting(tls.certificate());
    }

    /** One transaction on a new MTA session: MAIL, RCPT, DATA; the session is closed with QUIT afterwards. */
    public SmtpClient.Transaction send(String from, String to, String message) throws IOException {
        return send(from, List.of(to), message.getBytes(StandardCharsets.UTF_8));
    }

    /** One transaction on a new MTA session, several recipients, raw bytes. */
    public SmtpClient.Transaction send(String from, List<String> to, byte[] message) throws IOException {
        try (SmtpClient c = smtp()) {
            SmtpClient.Transaction t = c.send(from, to, message);
            c.quit();
            return t;
        }
    }

    // ------------------------------------------------------------------------------------------------

    private <T extends AutoCloseable> T track(T client) {
        synchronized (clients) {
            clients.add(client);
        }
        return client;
    }

    private void closeClients() {
        synchronized (clients) {
            for (AutoCloseable c : clients) {
                try {
                    c.close();
                } catch (Exception e) {
                    // a client the test already closed, or whose server went away: nothing left to free
                }
            }
            clients.clear();
        }
    }

    private static InetSocketAddress loopback(int port) {
        return new InetSocketAddress("127.0.0.1", port);
    }

    private static void apply(HeraldServer.Builder b, Map<String, Map<String, String>> settings) {
        settings.forEach((pid, kv) -> kv.forEach((k, v) -> b.set(pid, k, v)));
    }

    private static List<HeraldPlugin> builtIns(Set<String> pids) {
        List<HeraldPlugin> found = new ArrayList<>();
        Set<String> missing = new LinkedHashSet<>(pids);
        for (HeraldPlugin p : io.herald.host.PlainHost.discover(Thread.currentThread().getContextClassLoader())) {
            if (missing.remove(p.configPid())) found.add(p);
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("built-in plugins " + missing + " are not on the test class path: add their artifacts"
                    + " (io.herald:herald-<pid>, version from herald-bom) as test dependencies");
        }
        return found;
    }

    private static List<HeraldPlugin> discoverExcept(List<HeraldPlugin> given) {
        Set<Class<?>> classes = new LinkedHashSet<>();
        for (HeraldPlugin p : given) classes.add(p.getClass());
        List<HeraldPlugin> out = new ArrayList<>();
        for (HeraldPlugin p : io.herald.host.PlainHost.discover(Thread.currentThread().getContextClassLoader())) {
            if (!classes.contains(p.getClass())) out.add(p);
        }
        return out;
    }

    private static void deleteTree(Path root) {
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    Files.delete(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete the test home " + root, e);
        }
    }

    /** Configures a {@link HeraldExtension}. */
    public static final class Builder {
        private final List<HeraldPlugin> plugins = new ArrayList<>();
        private final Set<String> builtIns = new LinkedHashSet<>();
        private boolean discover;
        private final Map<String, Map<String, String>> settings = new LinkedHashMap<>();
        private final List<Function<HeraldExtension, Map<String, Map<String, String>>>> lateSettings = new ArrayList<>();
        private final Map<String, String> users = new LinkedHashMap<>();
        private final List<String> mailboxes = new ArrayList<>();

        private Builder() { }

        /** The plugin(s) under test, as module instances; each starts once, under its {@code configPid()}. */
        public Builder plugin(HeraldPlugin... modules) {
            plugins.addAll(List.of(modules));
            return this;
        }

        /** Built-in plugins to start beside, by configuration pid ({@link BuiltIn}); found on the test class path. */
        public Builder builtIns(String... pids) {
            builtIns.addAll(List.of(pids));
            return this;
        }

        /** Instead of {@link #builtIns}: every plugin on the test class path (besides those given to {@link #plugin}). */
        public Builder discoverPlugins() {
            this.discover = true;
            return this;
        }

        /** One configuration key ({@code conf/<pid>.cfg}), winning over the files. */
        public Builder set(String pid, String key, String value) {
            settings.computeIfAbsent(pid, k -> new LinkedHashMap<>()).put(key, value);
            return this;
        }

        /**
         * Configuration that needs the running peers, computed just before the server starts: {@code
         * .set(h -> Map.of("notify-webhook", Map.of("url", h.webhooks().url("/hook"))))}. Only {@link #dns()} and
         * {@link #webhooks()} may be used in the function (the server does not run yet).
         */
        public Builder set(Function<HeraldExtension, Map<String, Map<String, String>>> settings) {
            lateSettings.add(settings);
            return this;
        }

        /** The local domains ({@code herald.domains}); default {@code localhost, herald.test}. */
        public Builder domains(String... domains) {
            return set("herald", "domains", String.join(", ", domains));
        }

        /** Mailboxes to create once the store runs (route-local accepts only recipients that have one). */
        public Builder mailboxes(String... addresses) {
            mailboxes.addAll(List.of(addresses));
            return this;
        }

        /** A user with a password for SMTP AUTH (at least 8 characters: auth-file's {@code password.minLength}); needs {@link BuiltIn#AUTH_FILE}. */
        public Builder user(String address, String password) {
            users.put(address, password);
            return this;
        }

        public HeraldExtension build() {
            return new HeraldExtension(this);
        }
    }
}

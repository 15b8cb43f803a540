package io.herald.itest.osgi;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import io.herald.itest.osgi.activator.QuietPlugin;
import io.herald.itest.osgi.activator.ThrowingActivator;
import io.herald.itest.osgi.failing.ThrowingPlugin;
import io.herald.itest.osgi.lucene.LuceneProbePlugin;
import io.herald.itest.osgi.unresolved.NeedsAbsentPlugin;
import io.herald.osgi.FelixHost;
import io.herald.osgi.PluginExtender;
import io.herald.osgi.PluginState;
import io.herald.osgi.PluginStatus;
import io.herald.osgi.SystemPackages;
import io.herald.server.HeraldServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.osgi.framework.Bundle;
import org.osgi.framework.FrameworkUtil;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The OSGi host with a real Felix in this JVM: the bundles the reactor built are dropped into a watched
 * {@code plugins/} folder, FileInstall installs and starts them, the extender puts their contributions in the
 * registry. Times are printed (copy to active), never asserted.
 */
class FelixHostTest {

    private static final Duration PATIENCE = Duration.ofSeconds(60);

    @TempDir Path home;
    @TempDir Path work;
    private HeraldServer server;
    private FelixHost felix;

    @BeforeEach
    void start() throws Exception {
        server = HeraldServer.builder().home(home).start();  // no plain-host plugins: the bundles are the plugins
        felix = FelixHost.builder(server.paths(), server.host())
                .systemBundles(Path.of(System.getProperty("herald.system.bundles")))
                .pollMillis(200)
                .start();
    }

    @AfterEach
    void stop() {
        if (felix != null) felix.close();
        if (server != null) server.close();
    }

    @Test
    void aPluginJarDroppedIntoPluginsIsStartedAndItsRouterRegisteredThenWithdrawnWhenDeleted() throws Exception {
        Path jar = TestBundles.asJar(TestBundles.built("route-local"), work);

        long t0 = System.nanoTime();
        Path deployed = felix.deploy(jar);
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5)).until(() -> !server.registry().snapshot().routers().isEmpty());
        long activeMs = (System.nanoTime() - t0) / 1_000_000;

        Router router = server.registry().snapshot().routers().get(0);
        assertThat(router.getClass().getName()).isEqualTo("io.herald.plugin.routelocal.LocalRouter");
        Bundle bundle = FrameworkUtil.getBundle(router.getClass());
        assertThat(bundle).as("the router's class comes from the bundle, not the class path").isNotNull();
        assertThat(bundle.getSymbolicName()).isEqualTo("io.herald.plugin.routelocal");
        // It works through the core's services: no mailbox store is active, so the router cannot know the user and
        // fails (the SMTP core answers 451 4.3.0) rather than refusing her permanently.
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> router.route(
                        new Envelope(Optional.empty(), List.of(new MailAddress("anna", "herald.test")), Map.of()),
                        new MailAddress("anna", "herald.test")))
                .isInstanceOf(io.herald.host.ActiveMailboxStore.NoStoreException.class);
        assertThat(router.route(new Envelope(Optional.empty(), List.of(), Map.of()), new MailAddress("anna", "example.org")))
                .as("other domains are left to the next router").isInstanceOf(Route.Pass.class);

        assertThat(felix.plugins()).singleElement().satisfies(p -> {
            assertThat(p.symbolicName()).isEqualTo("io.herald.plugin.routelocal");
            assertThat(p.module()).isEqualTo("io.herald.plugin.routelocal.RouteLocalPlugin");
            assertThat(p.state()).isInstanceOf(PluginState.Active.class);
            assertThat(((PluginState.Active) p.state()).plugin().name()).isEqualTo("route-local");
        });
        assertThat(server.registry().plugins()).extracting(io.herald.host.Plugin::name).containsExactly("route-local");

        long t1 = System.nanoTime();
        Files.delete(deployed);
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5)).until(() -> server.registry().snapshot().routers().isEmpty());
        long withdrawnMs = (System.nanoTime() - t1) / 1_000_000;
        assertThat(server.registry().plugins()).isEmpty();
        await().atMost(PATIENCE).until(() -> felix.plugins().isEmpty());
        System.out.printf("[measure] route-local: jar renamed into plugins/ -> Router registered in %d ms;"
                + " jar deleted -> withdrawn in %d ms (FileInstall poll 200 ms)%n", activeMs, withdrawnMs);
    }

    @Test
    void theStateFileKeepsThePluginsAsTheyRanWhenTheHostStops() throws Exception {
        felix.deploy(TestBundles.asJar(TestBundles.built("route-local"), work));
        Path state = server.paths().data().resolve("plugins.state");
        await().atMost(PATIENCE).until(() -> Files.isRegularFile(state) && Files.readString(state).contains("route-local\t"));
        felix.close();
        felix = null;
        // 'herald plugins' of a stopped server shows "its last state": the plugins as they ran, not an empty list
        assertThat(Files.readString(state)).as("plugins.state after the stop")
                .containsPattern("(?m)^route-local\t[^\t]*\tactive\tRouter\t");
    }

    @Test
    void aModuleThatThrowsIsReportedFailedWithTheReasonAndTheHostStaysUp() throws Exception {
        Path bad = TestBundles.write(work.resolve("throwing.jar"), TestBundles.manifest(Map.of(
                "Bundle-SymbolicName", "test.throwing",
                "Bundle-Version", "1.0.0",
                "Import-Package", "io.herald.api.plugin;version=\"[1.0,2)\"",
                PluginExtender.HEADER, ThrowingPlugin.class.getName())), TestBundles.classesOf(ThrowingPlugin.class));
        felix.deploy(bad);

        await().atMost(PATIENCE).until(() -> state("test.throwing") instanceof PluginState.Failed);
        PluginState.Failed failed = (PluginState.Failed) state("test.throwing");
        assertThat(failed.reason()).contains(ThrowingPlugin.class.getName())
                .contains("IllegalStateException").contains("boom: this module refuses to start");
        assertThat(server.registry().plugins()).isEmpty();

        // The host is still up: a good plugin deployed next starts.
        felix.deploy(TestBundles.asJar(TestBundles.built("route-local"), work));
        await().atMost(PATIENCE).until(() -> state("io.herald.plugin.routelocal") instanceof PluginState.Active);
        assertThat(state("test.throwing")).isInstanceOf(PluginState.Failed.class);
        assertThat(server.registry().snapshot().routers()).hasSize(1);
    }

    @Test
    void aBundleWithAnUnsatisfiableImportIsReportedUnresolvedNamingTheMissingPackage() throws Exception {
        Path jar = TestBundles.write(work.resolve("needs-absent.jar"), TestBundles.manifest(Map.of(
                "Bundle-SymbolicName", "test.needs.absent",
                "Bundle-Version", "1.0.0",
                "Import-Package", "io.herald.api.plugin;version=\"[1.0,2)\",com.example.absent;version=\"[1.0,2)\"",
                PluginExtender.HEADER, NeedsAbsentPlugin.class.getName())), TestBundles.classesOf(NeedsAbsentPlugin.class));
        try (Warnings warnings = new Warnings()) {
            Path deployed = felix.deploy(jar);

            await().atMost(PATIENCE).until(() -> state("test.needs.absent") instanceof PluginState.Resolving);
            PluginState.Resolving resolving = (PluginState.Resolving) state("test.needs.absent");
            assertThat(resolving.missing()).singleElement().asString()
                    .contains("osgi.wiring.package").contains("com.example.absent").contains("version>=1.0.0");
            assertThat(resolving.missing()).noneMatch(m -> m.contains("io.herald.api.plugin"));
            assertThat(server.registry().plugins()).isEmpty();
            // one warning, when FileInstall's start of it fails, naming the jar and what is missing
            String missing = resolving.missing().get(0);
            await().atMost(PATIENCE).until(() -> !warnings.lines().isEmpty());
            assertThat(warnings.lines()).containsExactly(deployed + ": bundle test.needs.absent 1.0.0 cannot be resolved: missing "
                    + missing + " (resolving; see 'herald plugins')");
            await().atMost(PATIENCE).until(() -> stateFile().contains("test.needs.absent\t1.0.0\tresolving\t-\tmissing " + missing + "\t"));
            assertThat(felix.settled()).isTrue();
            System.out.println("[status] " + felix.plugins());
        }
    }

    @Test
    void aPluginBundleWhoseActivatorThrowsIsReportedFailedWithTheActivatorsExceptionUntilItIsReplaced() throws Exception {
        Path jar = TestBundles.write(work.resolve("activator.jar"), TestBundles.manifest(Map.of(
                "Bundle-SymbolicName", "test.activator",
                "Bundle-Version", "1.0.0",
                "Bundle-Activator", ThrowingActivator.class.getName(),
                "Import-Package", "io.herald.api.plugin;version=\"[1.0,2)\",org.osgi.framework",
                PluginExtender.HEADER, QuietPlugin.class.getName())), TestBundles.classesOf(ThrowingActivator.class));
        try (Warnings warnings = new Warnings()) {
            Path deployed = felix.deploy(jar);

            String reason = "bundle test.activator 1.0.0 cannot start: Bundle-Activator " + ThrowingActivator.class.getName()
                    + ": java.lang.IllegalStateException: no licence key in conf/";
            await().atMost(PATIENCE).until(() -> state("test.activator") instanceof PluginState.Failed f && f.reason().equals(reason));
            assertThat(server.registry().plugins()).as("its module is not started: the bundle is not active").isEmpty();
            assertThat(felix.settled()).isTrue();
            assertThat(warnings.lines()).containsExactly(deployed + ": " + reason + " (failed; see 'herald plugins')");
            await().atMost(PATIENCE).until(() -> stateFile().contains("test.activator\t1.0.0\tfailed\t-\t" + reason + "\t"));

            // the same jar without the activator, written over it: FileInstall updates the bundle, the plugin starts
            Path fixed = TestBundles.write(work.resolve("fixed/activator.jar"), TestBundles.manifest(Map.of(
                    "Bundle-SymbolicName", "test.activator",
                    "Bundle-Version", "1.0.1",
                    "Import-Package", "io.herald.api.plugin;version=\"[1.0,2)\",org.osgi.framework",
                    PluginExtender.HEADER, QuietPlugin.class.getName())), TestBundles.classesOf(ThrowingActivator.class));
            writeAs(fixed, deployed);
            await().atMost(PATIENCE).until(() -> state("test.activator") instanceof PluginState.Active);
            assertThat(warnings.lines()).hasSize(1);
        }
    }

    @Test
    void aSecondJarOfTheSameSymbolicNameAndVersionIsReportedRefusedNamingTheInstalledOne() throws Exception {
        Path jar = Files.copy(TestBundles.asJar(TestBundles.built("route-local"), work), work.resolve("route-local.jar"));
        felix.deploy(jar);
        await().atMost(PATIENCE).until(() -> state("io.herald.plugin.routelocal") instanceof PluginState.Active);
        String version = felix.plugins().get(0).version();
        try (Warnings warnings = new Warnings(); Warnings fileInstall = new Warnings("org.apache.felix.fileinstall")) {
            // the same plugin again under another name (an operator's copy, or a rebuilt jar of an unchanged version)
            Path copy = felix.deploy(Files.copy(jar, work.resolve("route-local-copy.jar")));

            await().atMost(PATIENCE).until(() -> state("route-local-copy.jar") instanceof PluginState.Refused);
            String reason = "not installed: bundle io.herald.plugin.routelocal " + version + " is installed already from"
                    + " route-local.jar (one symbolic name and version is installed once: remove one of the two jars)";
            assertThat(((PluginState.Refused) state("route-local-copy.jar")).reason()).isEqualTo(reason);
            await().atMost(PATIENCE).until(() -> state("io.herald.plugin.routelocal") instanceof PluginState.Active);
            assertThat(server.registry().snapshot().routers()).hasSize(1);
            assertThat(warnings.lines()).containsExactly(copy + ": " + reason + " (refused; see 'herald plugins')");
            await().atMost(PATIENCE).until(() -> stateFile().contains("route-local-copy.jar\t" + version + "\trefused\t-\t" + reason + "\t"));

            // FileInstall takes the copy for an update of the installed bundle (once the file has stayed unchanged for a
            // poll: the extender's scan may refuse it before that, so the test waits for FileInstall's own line, else
            // the copy is gone before FileInstall saw it): removing it uninstalls that bundle, and FileInstall does not
            // install route-local.jar again. That jar is listed as refused, with the way out.
            await().atMost(PATIENCE).until(() -> fileInstall.lines().stream().anyMatch(l -> l.contains("Updating this bundle instead")));
            Files.delete(copy);
            Path original = server.paths().plugins().resolve("route-local.jar");
            String lost = "not installed: FileInstall does not install it (as when it took it for the same bundle as another"
                    + " jar of the same symbolic name and version, since removed); move it out of the folder and back, or"
                    + " restart the server";
            await().atMost(PATIENCE).until(() -> state("route-local.jar") instanceof PluginState.Refused r && r.reason().equals(lost));
            assertThat(state("route-local-copy.jar")).isNull();
            assertThat(server.registry().snapshot().routers()).isEmpty();
            assertThat(warnings.lines()).containsExactly(copy + ": " + reason + " (refused; see 'herald plugins')",
                    original + ": " + lost + " (refused; see 'herald plugins')");

            // the way out works
            Path aside = Files.move(original, work.resolve("aside.jar"));
            await().atMost(PATIENCE).until(() -> state("route-local.jar") == null);
            Thread.sleep(1000);   // FileInstall forgets the file
            writeAs(aside, original);
            await().atMost(PATIENCE).until(() -> state("io.herald.plugin.routelocal") instanceof PluginState.Active);
            assertThat(server.registry().snapshot().routers()).hasSize(1);
        }
    }

    @Test
    void aJarFelixRefusesToInstallIsReportedRefusedWithFelixsReason() throws Exception {
        Path jar = TestBundles.write(work.resolve("twice.jar"), TestBundles.manifest(Map.of(
                "Bundle-SymbolicName", "test.twice",
                "Bundle-Version", "1.0.0",
                "Import-Package", "io.herald.api.plugin;version=\"[1.0,2)\",io.herald.api.plugin",
                PluginExtender.HEADER, NeedsAbsentPlugin.class.getName())), TestBundles.classesOf(NeedsAbsentPlugin.class));
        try (Warnings warnings = new Warnings()) {
            Path deployed = felix.deploy(jar);

            await().atMost(PATIENCE).until(() -> state("twice.jar") instanceof PluginState.Refused);
            String reason = ((PluginState.Refused) state("twice.jar")).reason();
            System.out.println("[status] " + felix.plugins());
            assertThat(reason).startsWith("not installed: ").contains("io.herald.api.plugin");
            assertThat(warnings.lines()).containsExactly(deployed + ": " + reason + " (refused; see 'herald plugins')");
            await().atMost(PATIENCE).until(() -> stateFile().contains("twice.jar\t1.0.0\trefused\t-\t" + reason + "\t"));
        }
    }

    private String stateFile() throws java.io.IOException {
        return Files.readString(server.paths().data().resolve("plugins.state"));
    }

    /** The warnings the extender logs while open. */
    private static final class Warnings implements AutoCloseable {
        private final ch.qos.logback.classic.Logger logger;
        private final ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();

        /** The extender's warnings. */
        Warnings() {
            this(PluginExtender.class.getName());
        }

        /** The warnings of the named logger. */
        Warnings(String loggerName) {
            logger = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(loggerName);
            seen.start();
            logger.addAppender(seen);
        }

        List<String> lines() {
            synchronized (seen) {
                return seen.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                        .map(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage).toList();
            }
        }

        @Override
        public void close() {
            logger.detachAppender(seen);
        }
    }

    @Test
    void luceneWorksInsideABundleBuiltWithTheMailboxPluginsEmbeddingRecipe() throws Exception {
        Path built = TestBundles.built("mailbox-lucene");
        Manifest builtManifest = TestBundles.manifest(built);
        Attributes builtHeaders = builtManifest.getMainAttributes();
        assertThat(builtHeaders.getValue("Bundle-ClassPath")).contains("lib/lucene-core-").contains("lib/lucene-analysis-common-");
        assertThat(builtHeaders.getValue("Export-Package")).as("Lucene is never exported").isNull();
        assertThat(builtHeaders.getValue("Import-Package")).contains("jdk.incubator.vector;resolution:=optional");

        // 1. The mailbox plugin's bundle as built resolves in the host: every import it has is satisfied.
        Bundle mailbox;
        try (InputStream in = Files.newInputStream(TestBundles.asJar(built, work))) {
            mailbox = felix.context().installBundle("test:mailbox-lucene", in);
        }
        mailbox.start();
        assertThat(mailbox.getState()).isEqualTo(Bundle.ACTIVE);
        mailbox.uninstall();

        // 2. The same embedded jars and manifest, plus a probe store that indexes and searches through Lucene's SPI.
        Map<String, byte[]> entries = TestBundles.entries(built);
        entries.putAll(TestBundles.classesOf(LuceneProbePlugin.class));
        Map<String, String> headers = new LinkedHashMap<>();
        builtHeaders.forEach((k, v) -> headers.put(k.toString(), v.toString()));
        headers.put("Bundle-SymbolicName", "test.lucene.probe");
        headers.put(PluginExtender.HEADER, LuceneProbePlugin.class.getName());
        headers.put("Import-Package", withImports(headers.get("Import-Package"),
                "io.herald.api.mail;version=\"[1.0,2)\"", "io.herald.api.mailbox;version=\"[1.0,2)\"",
                "io.herald.api.plugin;version=\"[1.0,2)\"", "jakarta.inject;version=\"[2.0,3)\"",
                "com.google.inject.binder;version=\"[1.4,2)\""));
        headers.remove("Private-Package");
        Path probe = TestBundles.write(work.resolve("lucene-probe.jar"), TestBundles.manifest(headers), entries);

        long t0 = System.nanoTime();
        felix.deploy(probe);
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5))
                .until(() -> state("test.lucene.probe") instanceof PluginState.Active || state("test.lucene.probe") instanceof PluginState.Failed);
        long activeMs = (System.nanoTime() - t0) / 1_000_000;
        assertThat(state("test.lucene.probe")).isInstanceOf(PluginState.Active.class);

        MailboxStore store = server.registry().snapshot().mailboxStore().orElseThrow();
        assertThat(FrameworkUtil.getBundle(store.getClass()).getSymbolicName()).isEqualTo("test.lucene.probe");
        byte[] message = ("From: olaf@herald.test\r\nTo: elsa@herald.test\r\nSubject: spring\r\n\r\n"
                + "The Snowman melts when spring comes.\r\n").getBytes(StandardCharsets.UTF_8);
        store.deliver(new Delivery("elsa@herald.test", "INBOX", MessageContent.of(message), "k1", Instant.now(), Set.of()));

        List<StoredMessage> hits = store.list("elsa@herald.test", "SNOWMAN");
        assertThat(hits).singleElement().satisfies(h -> assertThat(h.subject()).startsWith("Lucene912 on "));
        assertThat(store.list("elsa@herald.test", "winter")).isEmpty();
        assertThat(store.list("olaf@herald.test", "snowman")).isEmpty();
        System.out.printf("[measure] lucene probe (%d KB bundle): renamed into plugins/ -> store active in %d ms; %s%n",
                Files.size(probe) / 1024, activeMs, hits.get(0).subject());

        // Deleting the jar withdraws the store and closes it (its IndexWriter lock is released).
        Files.delete(server.paths().plugins().resolve(probe.getFileName()));
        await().atMost(PATIENCE).until(() -> server.registry().snapshot().mailboxStore().isEmpty());
        // Closed: the index's write lock is free again (an IndexWriter cannot be opened while another holds it).
        try (org.apache.lucene.store.Directory dir = org.apache.lucene.store.FSDirectory.open(
                server.paths().pluginData("lucene-probe").resolve("index"));
             org.apache.lucene.index.IndexWriter w = new org.apache.lucene.index.IndexWriter(dir,
                     new org.apache.lucene.index.IndexWriterConfig())) {
            assertThat(w.getDocStats().numDocs).isEqualTo(1);
        }
    }

    @Test
    void stoppingAPluginBundleWithdrawsItAndStartingItAgainRegistersIt() throws Exception {
        felix.deploy(TestBundles.asJar(TestBundles.built("route-local"), work));
        await().atMost(PATIENCE).until(() -> state("io.herald.plugin.routelocal") instanceof PluginState.Active);
        Bundle bundle = java.util.Arrays.stream(felix.context().getBundles())
                .filter(b -> "io.herald.plugin.routelocal".equals(b.getSymbolicName())).findFirst().orElseThrow();

        bundle.stop();
        assertThat(server.registry().snapshot().routers()).isEmpty();
        assertThat(state("io.herald.plugin.routelocal")).isInstanceOf(PluginState.Stopped.class);

        bundle.start();
        assertThat(server.registry().snapshot().routers()).hasSize(1);
        assertThat(state("io.herald.plugin.routelocal")).isInstanceOf(PluginState.Active.class);
    }

    @Test
    void aJarThatIsNoPluginIsReportedAndListedAsIgnoredUntilItIsReplaced() throws Exception {
        ch.qos.logback.classic.Logger extenderLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(PluginExtender.class);
        ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
        seen.start();
        extenderLog.addAppender(seen);
        try {
            // 1. random bytes named .jar; 2. a jar with no OSGi headers (jar cf x.jar a.txt); 3. a bundle without Herald-Plugin
            byte[] noise = new byte[3000];
            new java.util.Random(7).nextBytes(noise);
            noise[0] = 'X';   // never a zip's "PK" by chance
            Path garbage = work.resolve("garbage.jar");
            Files.write(garbage, noise);
            Manifest plain = new Manifest();
            plain.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
            Path notBundle = TestBundles.write(work.resolve("x.jar"), plain, Map.of("a.txt", "a\n".getBytes(StandardCharsets.US_ASCII)));
            Path library = TestBundles.write(work.resolve("library.jar"), TestBundles.manifest(Map.of(
                    "Bundle-SymbolicName", "test.library", "Bundle-Version", "1.0.0")), Map.of("a.txt", new byte[] {'a'}));
            for (Path jar : List.of(garbage, notBundle, library)) felix.deploy(jar);

            await().atMost(PATIENCE).until(() -> felix.plugins().stream().filter(p -> p.state() instanceof PluginState.Ignored).count() == 3);
            Map<String, String> ignored = felix.plugins().stream().filter(p -> p.state() instanceof PluginState.Ignored)
                    .collect(Collectors.toMap(PluginStatus::symbolicName, p -> ((PluginState.Ignored) p.state()).reason()));
            assertThat(ignored.get("garbage.jar")).startsWith("not a jar (zip) file: ");
            assertThat(ignored.get("x.jar")).isEqualTo("not an OSGi bundle: no Bundle-SymbolicName in META-INF/MANIFEST.MF");
            assertThat(ignored.get("test.library")).isEqualTo("not a Herald plugin: bundle test.library 1.0.0 has no Herald-Plugin header");
            assertThat(server.registry().plugins()).isEmpty();
            Path plugins = server.paths().plugins();
            assertThat(seen.list).filteredOn(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                    .extracting(ch.qos.logback.classic.spi.ILoggingEvent::getFormattedMessage)
                    .contains(plugins.resolve("x.jar") + ": not an OSGi bundle: no Bundle-SymbolicName in META-INF/MANIFEST.MF (ignored; see 'herald plugins')",
                            plugins.resolve("library.jar") + ": not a Herald plugin: bundle test.library 1.0.0 has no Herald-Plugin header (ignored; see 'herald plugins')")
                    .anyMatch(m -> m.startsWith(plugins.resolve("garbage.jar") + ": not a jar (zip) file: "));
            // what `herald plugins` prints: the server's state file
            await().atMost(PATIENCE).until(() -> Files.readString(server.paths().data().resolve("plugins.state")).contains("garbage.jar\t\tignored\t-\tnot a jar (zip) file"));
            assertThat(Files.readString(server.paths().data().resolve("plugins.state")))
                    .contains("x.jar\t\tignored\t-\tnot an OSGi bundle").contains("test.library\t1.0.0\tignored\t-\tnot a Herald plugin");

            // replaced by plugins under the same names: no longer ignored
            Files.copy(TestBundles.asJar(TestBundles.built("route-local"), work), work.resolve("route.jar"));
            writeAs(work.resolve("route.jar"), plugins.resolve("garbage.jar"));
            Path throwing = TestBundles.write(work.resolve("throwing.jar"), TestBundles.manifest(Map.of(
                    "Bundle-SymbolicName", "test.library", "Bundle-Version", "1.1.0",
                    "Import-Package", "io.herald.api.plugin;version=\"[1.0,2)\"",
                    PluginExtender.HEADER, ThrowingPlugin.class.getName())), TestBundles.classesOf(ThrowingPlugin.class));
            writeAs(throwing, plugins.resolve("library.jar"));
            Files.delete(plugins.resolve("x.jar"));
            await().atMost(PATIENCE).until(() -> state("io.herald.plugin.routelocal") instanceof PluginState.Active
                    && state("test.library") instanceof PluginState.Failed
                    && felix.plugins().stream().noneMatch(p -> p.state() instanceof PluginState.Ignored));
            assertThat(felix.plugins()).hasSize(2);
            await().atMost(PATIENCE).until(() -> !Files.readString(server.paths().data().resolve("plugins.state")).contains("ignored"));
        } finally {
            extenderLog.detachAppender(seen);
        }
    }

    /** Copies {@code from} to {@code target} through a temporary name in the same folder, then a rename. */
    private static void writeAs(Path from, Path target) throws java.io.IOException {
        Path tmp = target.resolveSibling("." + target.getFileName() + ".part");
        Files.copy(from, tmp, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.move(tmp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void theSystemBundleExportsTheApiAtItsDeclaredVersion() {
        String extra = felix.context().getProperty("org.osgi.framework.system.packages.extra");
        assertThat(SystemPackages.split(extra, ',')).contains(
                "io.herald.api.plugin;version=\"1.2.0\"", "io.herald.api.routing;version=\"1.2.0\"", "io.herald.api.dns;version=\"1.0.0\"",
                "io.herald.api.config;version=\"1.1.0\"",
                "com.google.inject;version=\"1.4\"", "jakarta.inject;version=\"2.0.1\"", "org.slf4j;version=\"2.0.20\"");
    }

    private PluginState state(String symbolicName) {
        return felix.plugins().stream().filter(p -> p.symbolicName().equals(symbolicName))
                .map(PluginStatus::state).findFirst().orElse(null);
    }

    /** Adds import clauses for packages the header does not import yet. */
    private static String withImports(String header, String... clauses) {
        List<String> existing = header == null ? List.of() : SystemPackages.split(header, ',');
        Set<String> packages = existing.stream().map(c -> c.split(";")[0].trim()).collect(Collectors.toSet());
        List<String> all = new java.util.ArrayList<>(existing);
        for (String c : clauses) if (!packages.contains(c.split(";")[0])) all.add(c);
        return String.join(",", all);
    }
}

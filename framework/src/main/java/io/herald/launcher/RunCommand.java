package io.herald.launcher;

import io.herald.api.config.ConfigurationException;
import io.herald.api.mailbox.MailboxException;
import io.herald.config.ConfigStore;
import io.herald.host.ActiveMailboxStore;
import io.herald.osgi.FelixHost;
import io.herald.server.HeraldServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.net.URLClassLoader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code herald run}: starts the server and runs until stopped (Ctrl-C, SIGTERM).
 *
 * <p>The core (SMTP, queue, delivery, configuration) starts first, with no plugin; then the OSGi host: Felix with
 * ConfigAdmin and FileInstall from {@code system/}, FileInstall watching {@code <home>/plugins} (hot deploy), the
 * extender starting each plugin bundle into the core's registry as it becomes active. Plugins therefore start
 * asynchronously: until the mailbox store plugin is active, local recipients get {@code 451 4.3.0} (try again later),
 * never {@code 550}, and the demo mailboxes are created once it is (waiting at most {@code --store-timeout}).
 * {@code conf/} is re-read every half second (hot reconfiguration).
 */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Start the server in the foreground; it stops cleanly on Ctrl-C or SIGTERM.")
final class RunCommand implements Callable<Integer> {

    @ParentCommand
    Main parent;

    @Spec
    CommandSpec spec;

    @Option(names = "--port-offset", paramLabel = "N", defaultValue = "0",
            description = "Add N to every listening port (SMTP 2525 -> 2525+N, ...), to run several servers side by side.")
    int portOffset;

    @Option(names = "--plain-host", description = "Load plugins/*.jar once with a plain class loader instead of the "
            + "OSGi host (no hot deploy; for diagnosis).")
    boolean plainHost;

    @Option(names = "--store-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to wait at start-up for a mailbox store plugin before giving up on the demo mailboxes (default: ${DEFAULT-VALUE}).")
    int storeTimeout;

    @Override
    public Integer call() throws Exception {
        Path home = parent.home();
        Logging.forServer(home);
        Logger log = LoggerFactory.getLogger(RunCommand.class);
        Logging.reportProblems(log);
        long t0 = System.nanoTime();

        ConfigStore.Adjustment ports;
        try {
            ports = Ports.offset(portOffset);
            Ports.check(new ConfigStore(home.resolve("conf"), Map.of(), ports));
        } catch (ConfigurationException e) {
            // a refused port value in conf/<pid>.cfg: exit code 3 like every other refused value, not 1
            log.error("Herald could not start: {}", e.getMessage());
            throw e;
        } catch (IllegalArgumentException e) {
            // an offset out of range is a wrong command line (exit code 2), like --port-offset abc
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        Path dist = Home.distribution();
        URLClassLoader plugins = plainHost ? Home.pluginLoader(home) : null;
        log.info("Herald starting: home {}, {} host", home, plainHost ? "plain" : "OSGi");
        HeraldServer.Builder builder = HeraldServer.builder().home(home).watchConfiguration(Duration.ofMillis(500)).httpListener();
        if (plugins != null) builder.discoverPlugins(plugins);
        else builder.gateUntilPluginsStarted();
        builder.adjust(ports);
        HeraldServer server;
        FelixHost felix = null;
        try {
            server = builder.start();
        } catch (java.io.IOException e) {
            // e.g. a port in use: the log has the stack trace, the terminal gets one line (exit code 1)
            log.error("Herald could not start: {}", e.toString(), e);
            if (plugins != null) plugins.close();
            throw new Main.CommandFailedException(describe(e));
        } catch (ConfigurationException e) {
            // a refused value: the message names file, key, value and what is allowed; a stack trace adds nothing
            log.error("Herald could not start: {}", e.getMessage());
            if (plugins != null) plugins.close();
            throw e;
        } catch (RuntimeException e) {
            log.error("Herald could not start: {}", e.toString(), e);
            if (plugins != null) plugins.close();
            throw e;
        }
        if (!plainHost) {
            try {
                felix = FelixHost.builder(server.paths(), server.host())
                        .systemBundles((dist != null ? dist : home).resolve("system"))
                        .builtInPlugins(dist == null ? null : dist.resolve("plugins"))
                        .start();
            } catch (Exception e) {
                log.error("Herald could not start the OSGi host: {}", e.toString(), e);
                server.close();
                throw e;
            }
        }

        FelixHost osgi = felix;
        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            log.info("Herald stopping");
            try {
                server.close();
                if (osgi != null) osgi.close();
                if (plugins != null) plugins.close();
            } catch (Exception e) {
                log.warn("while stopping: {}", e.toString());
            } finally {
                log.info("Herald stopped");
                stopped.countDown();
            }
        }, "herald-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        boolean store = awaitStore(server, osgi, Duration.ofSeconds(storeTimeout), log);
        server.pluginsStarted();
        if (store) {
            try {
                String postmaster = server.configs().get("route-local").get("postmaster", "postmaster@localhost");
                DemoAccounts.ensure(server.paths().data(), server.mailboxStore(), postmaster, server.identity().localDomains(), log);
                // the demo accounts can log in (auth-file); under OSGi its classes are read from the plugin jars
                if (plugins != null) {
                    server.ensureUsers(DemoAccounts.read(server.paths().data()), plugins);
                } else {
                    try (URLClassLoader jars = Home.pluginLoader(home, false)) {   // the OSGi host reported the bad jars
                        server.ensureUsers(DemoAccounts.read(server.paths().data()), jars);
                    }
                }
            } catch (MailboxException | java.io.IOException e) {
                log.error("cannot create the demo mailboxes: {}", e.toString(), e);
            }
        }
        log.info("Herald started in {} ms: data in {}, logs in {}", (System.nanoTime() - t0) / 1_000_000,
                server.paths().data(), Logging.destination(server.paths().logs()));
        stopped.await();
        return ExitCodes.OK;
    }

    /**
     * A start-up failure for people: a port in use, or a file the server may not write (a read-only {@code data/}:
     * the JDK's {@code AccessDeniedException} says only the path).
     */
    static String describe(java.io.IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException a) {
            return "permission denied: " + a.getFile() + (a.getReason() == null ? "" : " (" + a.getReason() + ")")
                    + "; the user running the server must be able to write the home's data/ and logs/";
        }
        if (e instanceof java.nio.file.FileSystemException f) return f.getClass().getSimpleName() + ": " + f.getMessage();
        return e.getMessage() != null ? e.getMessage() : e.toString();
    }

    /**
     * Waits for a mailbox store plugin to become active and for every plugin bundle present at start-up to have
     * started, failed or be waiting for a requirement (plugins start asynchronously under the OSGi host).
     */
    private static boolean awaitStore(HeraldServer server, FelixHost osgi, Duration timeout, Logger log) throws InterruptedException {
        if (!(server.mailboxStore() instanceof ActiveMailboxStore active)) return true;
        long t0 = System.nanoTime();
        long deadline = t0 + timeout.toNanos();
        while (!active.isPresent() || (osgi != null && !osgi.settled())) {
            if (System.nanoTime() > deadline) {
                if (active.isPresent()) {
                    log.warn("plugins still starting after {} s; see 'herald plugins'", timeout.toSeconds());
                    return true;
                }
                log.warn("no mailbox store plugin became active within {} s: local recipients are answered 451 4.3.0 "
                        + "(try again later) and the demo mailboxes are not created; see 'herald plugins'", timeout.toSeconds());
                return false;
            }
            Thread.sleep(20);
        }
        log.debug("mailbox store active after {} ms", (System.nanoTime() - t0) / 1_000_000);
        return true;
    }
}

package io.herald.launcher;

import io.herald.api.mailbox.MailboxException;
import io.herald.config.ConfigStore;
import io.herald.host.ActiveMailboxStore;
import io.herald.server.HeraldServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code herald run}: starts the server and runs until stopped (Ctrl-C, SIGTERM). */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Start the server in the foreground; it stops cleanly on Ctrl-C or SIGTERM.")
final class RunCommand implements Callable<Integer> {

    @ParentCommand
    Main parent;

    @Option(names = "--port-offset", paramLabel = "N", defaultValue = "0",
            description = "Add N to every listening port (SMTP 2525 -> 2525+N, ...), to run several servers side by side.")
    int portOffset;

    @Override
    public Integer call() throws Exception {
        Path home = parent.home();
        Logging.forServer(home);
        Logger log = LoggerFactory.getLogger(RunCommand.class);
        long t0 = System.nanoTime();

        Map<String, Map<String, String>> ports;
        try {
            ports = Ports.offsetOverrides(new ConfigStore(home.resolve("conf"), Map.of()), portOffset);
        } catch (IllegalArgumentException e) {
            throw new Main.CommandFailedException(e.getMessage());
        }
        URLClassLoader plugins = Home.pluginLoader(home);
        log.info("Herald starting: home {}, plugin jars {}", home,
                Home.pluginJars(home, Home.distribution()).stream().map(p -> p.getFileName().toString()).toList());
        HeraldServer.Builder builder = HeraldServer.builder().home(home).discoverPlugins(plugins);
        ports.forEach((pid, kv) -> kv.forEach((k, v) -> builder.set(pid, k, v)));
        builder.beforeListening(s -> createDemoAccounts(s, log));
        HeraldServer server;
        try {
            server = builder.start();
        } catch (RuntimeException | java.io.IOException e) {
            log.error("Herald could not start: {}", e.toString(), e);
            plugins.close();
            throw e;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            log.info("Herald stopping");
            try {
                server.close();
                plugins.close();
            } catch (Exception e) {
                log.warn("while stopping: {}", e.toString());
            } finally {
                log.info("Herald stopped");
                stopped.countDown();
            }
        }, "herald-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);

        log.info("Herald started in {} ms: data in {}, logs in {}", (System.nanoTime() - t0) / 1_000_000,
                server.paths().data(), server.paths().logs());
        stopped.await();
        return ExitCodes.OK;
    }

    /** On first start, the demo mailboxes exist before the SMTP listener accepts anyone. */
    private static void createDemoAccounts(HeraldServer server, Logger log) {
        if (server.mailboxStore() instanceof ActiveMailboxStore active && !active.isPresent()) {
            log.warn("no mailbox store plugin is active: local delivery is impossible, demo mailboxes not created");
            return;
        }
        try {
            String postmaster = server.configs().get("route-local").get("postmaster", "postmaster@localhost");
            DemoAccounts.ensure(server.paths().data(), server.mailboxStore(), postmaster, log);
            server.ensureUsers(DemoAccounts.read(server.paths().data()));   // the demo accounts can log in (auth-file)
        } catch (MailboxException | java.io.IOException e) {
            log.error("cannot create the demo mailboxes: {}", e.toString(), e);
        }
    }
}

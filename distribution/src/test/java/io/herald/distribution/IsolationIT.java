package io.herald.distribution;

import io.herald.distribution.testplugins.hangingrouter.HangingRouterPlugin;
import io.herald.distribution.testplugins.missingimport.MissingImportPlugin;
import io.herald.distribution.testplugins.throwingmodule.ThrowingModulePlugin;
import io.herald.distribution.testplugins.throwingrouter.ThrowingRouterPlugin;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * One bad plugin per test, hot-deployed into a running distribution under load: mail keeps being accepted and
 * delivered (a client retries a 4xx, as an MTA does), and {@code bin/herald plugins} shows the plugin and why.
 */
class IsolationIT extends DistHarness {

    DistributionIT.Server isolates(String file, byte[] jar, String expectedLinePattern) throws Exception {
        return isolates(file, jar, expectedLinePattern, null);
    }

    /**
     * @param activeFirst when given, the plugin is deployed and seen active (listed under this name) before the load
     *                    starts. Used for the hanging router, so that it is quarantined by RCPT-time calls (limited by
     *                    {@code hookTimeout = 1s} here): delivery asks the routers again with its own time limit
     *                    ({@code queue.cfg: delivery.routerTimeout}, default 10s; DeliveryAgentTest shows a hung
     *                    delivery-time call deferring the recipient and counting for the circuit breaker), and a
     *                    message accepted just before the router registered would wait that long per attempt.
     */
    DistributionIT.Server isolates(String file, byte[] jar, String expectedLinePattern, String activeFirst) throws Exception {
        Path smtpCfg = home.resolve("conf/smtp.cfg");
        // A short time limit for plugin calls, so that a hanging plugin costs seconds, not minutes.
        Files.writeString(smtpCfg, Files.readString(smtpCfg) + "\nhookTimeout = 1s\n");
        DistributionIT.Server server = start();
        int port = server.smtpPort;
        if (activeFirst != null) {
            writeAtomically(home.resolve("plugins").resolve(file), jar);
            long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!plugins().lines().anyMatch(l -> l.startsWith(activeFirst + " ") && l.contains(" active "))) {
                if (System.nanoTime() > until) fail(activeFirst + " not active:\n" + plugins());
                Thread.sleep(100);
            }
        }
        try (Load load = new Load(port, "olaf@herald.test", true, 60, Duration.ofMinutes(3), 50)) {
            Thread.sleep(500);
            if (activeFirst == null) writeAtomically(home.resolve("plugins").resolve(file), jar);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            String listing;
            while (!(listing = plugins()).lines().anyMatch(l -> l.matches(expectedLinePattern))) {
                if (System.nanoTime() > deadline) fail("herald plugins never showed " + expectedLinePattern + ":\n" + listing + "\n" + server.log());
                Thread.sleep(500);
            }
            load.awaitDone(Duration.ofMinutes(3));
            System.out.printf("%s: %d accepted, %d retries after 4xx%n", file, load.accepted.get(), load.retries.get());
            assertThat(load.failures).as("failed transactions of the load").isEmpty();
            assertThat(load.accepted.get()).isEqualTo(60);
            awaitMessageCount("olaf@herald.test", 60, Duration.ofSeconds(60));
            assertThat(plugins()).contains("mailbox-lucene").contains("route-local");
        }
        return server;
    }

    @Test
    void aPluginThatCannotResolveIsListedWithTheMissingImport() throws Exception {
        DistributionIT.Server server = isolates("missing-import.jar", bundle(MissingImportPlugin.class, "io.herald.test.missing", "1.0.0",
                        API_IMPORTS + ",io.herald.absent;version=\"[1.0,2)\"", Map.of()),
                "io\\.herald\\.test\\.missing\\s+1\\.0\\.0\\s+resolving\\s+-\\s+missing .*io\\.herald\\.absent.*");
        // one warning in the server's log naming the jar and what is missing (FileInstall's own report goes there too)
        server.awaitLog("missing-import.jar: bundle io.herald.test.missing 1.0.0 cannot be resolved: missing osgi.wiring.package;"
                + " (&(osgi.wiring.package=io.herald.absent)", Duration.ofSeconds(10));
        assertThat(server.log()).containsOnlyOnce("cannot be resolved").doesNotContain("Error while starting bundle");
    }

    @Test
    void aPluginWhoseModuleThrowsIsListedAsFailed() throws Exception {
        isolates("throwing-module.jar", bundle(ThrowingModulePlugin.class, "io.herald.test.throwingmodule", "1.0.0",
                        API_IMPORTS, Map.of()),
                "io\\.herald\\.test\\.throwingmodule\\s+1\\.0\\.0\\s+failed\\s+-\\s+.*test plugin: broken module.*");
    }

    @Test
    void aRouterThatThrowsOnEveryCallIsQuarantined() throws Exception {
        isolates("throwing-router.jar", bundle(ThrowingRouterPlugin.class, "io.herald.test.throwingrouter", "1.0.0",
                        API_IMPORTS, Map.of()),
                "io\\.herald\\.test\\.throwingrouter\\s+1\\.0\\.0\\s+failed\\s+-\\s+quarantined: 5 consecutive failed calls.*router always throws.*");
    }

    @Test
    void aRouterThatHangsOnEveryCallIsQuarantined() throws Exception {
        isolates("hanging-router.jar", bundle(HangingRouterPlugin.class, "io.herald.test.hangingrouter", "1.0.0",
                        API_IMPORTS, Map.of()),
                "io\\.herald\\.test\\.hangingrouter\\s+1\\.0\\.0\\s+failed\\s+-\\s+quarantined: 5 consecutive failed calls.*TimeoutException.*",
                "hanging-router");
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}

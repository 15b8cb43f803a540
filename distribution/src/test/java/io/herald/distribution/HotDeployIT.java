package io.herald.distribution;

import io.herald.distribution.testplugins.marker.MarkerPlugin;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Hot deploy and hot reconfiguration on the unzipped distribution, with a load of SMTP transactions running
 * throughout: not one transaction of the load may fail or be lost.
 */
class HotDeployIT extends DistHarness {

    static final Duration EFFECT_WITHIN = Duration.ofSeconds(10);

    static byte[] marker(String version, String marker) {
        return bundle(MarkerPlugin.class, "io.herald.test.marker", version, API_IMPORTS,
                Map.of("io/herald/distribution/testplugins/marker/marker.txt", marker.getBytes(StandardCharsets.US_ASCII)));
    }

    /** The reply to MAIL FROM:&lt;probe@herald.test&gt;: the marker plugin refuses it naming its marker. */
    static String probe(int port) throws Exception {
        try (Smtp smtp = new Smtp(port)) {
            String r = smtp.command("MAIL FROM:<probe@herald.test>");
            smtp.command("RSET");
            return r;
        }
    }

    /** Waits until the probe's reply contains {@code expected}; returns how long that took. */
    static long awaitProbe(int port, String expected) throws Exception {
        long t0 = System.nanoTime();
        String r;
        while (!(r = probe(port)).contains(expected)) {
            if (System.nanoTime() - t0 > EFFECT_WITHIN.toNanos()) fail("after " + EFFECT_WITHIN + " the probe still gets: " + r);
            Thread.sleep(50);
        }
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static void sendTo(int port, String to, String subject) throws Exception {
        try (Smtp smtp = new Smtp(port)) {
            String r = smtp.send("elsa@herald.test", List.of(to),
                    ("From: elsa@herald.test\r\nSubject: " + subject + "\r\n\r\n" + subject + "\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(r).startsWith("250");
        }
    }

    @Test
    void aPluginIsInstalledUpdatedAndRemovedWhileMailFlows() throws Exception {
        DistributionIT.Server server = start();
        int port = server.smtpPort;
        Path jar = home.resolve("plugins/test-marker.jar");
        assertThat(probe(port)).startsWith("250");

        try (Load load = new Load(port, "olaf@herald.test", false, 3000, Duration.ofMinutes(3), 30)) {
            Thread.sleep(1000);
            writeAtomically(jar, marker("1.0.0", "v1"));
            long v1 = awaitProbe(port, "marker v1");
            sendTo(port, "elsa@herald.test", "with v1");
            assertThat(plugins()).containsPattern("test-marker\\s+1\\.0\\.0\\s+active\\s+SmtpHook");

            Thread.sleep(1000);
            writeAtomically(jar, marker("2.0.0", "v2"));
            long v2 = awaitProbe(port, "marker v2");
            sendTo(port, "elsa@herald.test", "with v2");
            assertThat(plugins()).containsPattern("test-marker\\s+2\\.0\\.0\\s+active\\s+SmtpHook").doesNotContainPattern("test-marker\\s+1\\.0\\.0");

            Thread.sleep(1000);
            Files.delete(jar);
            long removed = awaitProbe(port, "250");
            sendTo(port, "elsa@herald.test", "after removal");
            assertThat(plugins()).doesNotContain("test-marker");
            Thread.sleep(1000);
            load.close();
            System.out.printf("hot deploy: v1 effective after %d ms, v2 after %d ms, removal after %d ms; load: %d accepted%n",
                    v1, v2, removed, load.accepted.get());
            assertThat(load.failures).as("failed transactions of the load").isEmpty();
            assertThat(load.accepted.get()).isGreaterThan(50);
            awaitMessageCount("olaf@herald.test", load.accepted.get(), Duration.ofSeconds(60));
        }

        awaitMessageCount("elsa@herald.test", 3, Duration.ofSeconds(30));
        assertThat(show("elsa@herald.test", 1)).contains("X-Herald-Test: v1\r\n").doesNotContain("X-Herald-Test: v2");
        assertThat(show("elsa@herald.test", 2)).contains("X-Herald-Test: v2\r\n").doesNotContain("X-Herald-Test: v1");
        assertThat(show("elsa@herald.test", 3)).doesNotContain("X-Herald-Test");
    }

    @Test
    void configurationChangesApplyWithoutRestartAndAWrongValueIsRefused() throws Exception {
        DistributionIT.Server server = start();
        int port = server.smtpPort;
        Path smtpCfg = home.resolve("conf/smtp.cfg");
        Path heraldCfg = home.resolve("conf/herald.cfg");
        String smtpOriginal = Files.readString(smtpCfg);
        String heraldOriginal = Files.readString(heraldCfg);
        assertThat(thirdRecipient(port)).startsWith("250");
        assertThat(rcpt(port, "someone@example.org")).startsWith("550 5.7.1");

        try (Load load = new Load(port, "olaf@herald.test", false, 3000, Duration.ofMinutes(3), 30)) {
            writeAtomically(smtpCfg, (smtpOriginal + "\nmaxRecipients = 2\n").getBytes(StandardCharsets.UTF_8));
            awaitReply(() -> thirdRecipient(port), "452 4.5.3");

            writeAtomically(smtpCfg, (smtpOriginal + "\nmaxRecipients = abc\n").getBytes(StandardCharsets.UTF_8));
            server.awaitLog("smtp.cfg: maxRecipients = 'abc' is not allowed; expected a whole number from 1 to 1000000", EFFECT_WITHIN);
            assertThat(server.log()).contains("smtp keeps its last good configuration");
            assertThat(thirdRecipient(port)).as("the last good value (2) still applies").startsWith("452 4.5.3");

            writeAtomically(heraldCfg, (heraldOriginal + "\ndomains = localhost, herald.test, example.org\n").getBytes(StandardCharsets.UTF_8));
            awaitReply(() -> rcpt(port, "someone@example.org"), "550 5.1.1");

            Thread.sleep(1000);
            load.close();
            assertThat(load.failures).as("failed transactions of the load").isEmpty();
            awaitMessageCount("olaf@herald.test", load.accepted.get(), Duration.ofSeconds(60));
        }
    }

    interface Reply {
        String get() throws Exception;
    }

    static void awaitReply(Reply reply, String expected) throws Exception {
        long t0 = System.nanoTime();
        String r;
        while (!(r = reply.get()).startsWith(expected)) {
            if (System.nanoTime() - t0 > EFFECT_WITHIN.toNanos()) fail("after " + EFFECT_WITHIN + " still: " + r);
            Thread.sleep(100);
        }
    }

    /** The reply to a transaction's third RCPT. */
    static String thirdRecipient(int port) throws Exception {
        try (Smtp smtp = new Smtp(port)) {
            Smtp.expect(smtp.command("MAIL FROM:<elsa@herald.test>"), "250");
            Smtp.expect(smtp.command("RCPT TO:<olaf@herald.test>"), "250");
            Smtp.expect(smtp.command("RCPT TO:<elsa@herald.test>"), "250");
            String r = smtp.command("RCPT TO:<postmaster@herald.test>");
            smtp.command("RSET");
            return r;
        }
    }

    static String rcpt(int port, String to) throws Exception {
        try (Smtp smtp = new Smtp(port)) {
            Smtp.expect(smtp.command("MAIL FROM:<elsa@herald.test>"), "250");
            String r = smtp.command("RCPT TO:<" + to + ">");
            smtp.command("RSET");
            return r;
        }
    }

    String show(String address, int n) throws Exception {
        DistributionIT.Result r = herald("mailbox", "show", address, Integer.toString(n));
        assertThat(r.exit()).as(r.stderr()).isZero();
        return new String(r.stdout(), StandardCharsets.ISO_8859_1);
    }
}

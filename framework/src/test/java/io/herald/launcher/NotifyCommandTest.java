package io.herald.launcher;

import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.notify.NotificationSink;
import io.herald.api.notify.RetryLaterException;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.server.HeraldServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code herald notify test|sinks} against a running server, through its admin API. */
class NotifyCommandTest {

    @TempDir
    Path home;

    /** A sink that takes every event. */
    static NotificationSink fine() {
        return new NotificationSink() {
            @Override public void onEvent(MailboxEvent e) { }
            @Override public String name() { return "fine"; }
        };
    }

    public static final class TwoSinksPlugin extends HeraldPlugin {
        @Override
        protected void configure() {
            notificationSink().toInstance(fine());
            notificationSink().toInstance(new NotificationSink() {
                @Override public void onEvent(MailboxEvent e) throws RetryLaterException { throw new RetryLaterException("HTTP 503 from the receiver"); }
                @Override public String name() { return "down"; }
            });
        }
    }

    /** A sink that delivers, and one that lacks its configuration (like the webhook without a url). */
    public static final class UnconfiguredPlugin extends HeraldPlugin {
        @Override
        protected void configure() {
            notificationSink().toInstance(fine());
            notificationSink().toInstance(new NotificationSink() {
                @Override public void onEvent(MailboxEvent e) { throw new AssertionError("an unconfigured sink is not sent the test event"); }
                @Override public boolean accepts(MailboxEvent e) { return false; }
                @Override public java.util.Optional<String> notConfigured() { return java.util.Optional.of("no url: set url in conf/unconfigured.cfg"); }
                @Override public String name() { return "hook"; }
            });
        }
    }

    record Run(int exit, String out) { }

    static Run herald(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.execute(args);
            return new Run(exit, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
    }

    /**
     * A sink without the configuration it needs is reported as not configured, with what to set, not as "not
     * accepted"; the exit code (4) tells it from a receiver that refused (1) and from success (0).
     */
    @Test
    void anUnconfiguredSinkIsSaidToBeAndHasItsOwnExitCode() throws Exception {
        try (HeraldServer server = HeraldServer.builder().home(home)
                .set("smtp", "port", "-1").set("submission", "port", "-1").set("submissions", "port", "-1")
                .set("http", "port", "0").plugins(List.of(new UnconfiguredPlugin())).start()) {
            Run r = herald("--home", home.toString(), "notify", "test", "olaf@herald.test", "--wait", "2");
            assertThat(r.out().lines()).anyMatch(l -> l.startsWith("unconfigured/fine") && l.contains("delivered (attempt 1"))
                    .anyMatch(l -> l.startsWith("unconfigured/hook") && l.endsWith("not configured: no url: set url in conf/unconfigured.cfg"));
            assertThat(r.out()).doesNotContain("not accepted");
            assertThat(r.exit()).isEqualTo(ExitCodes.NOT_CONFIGURED);
        }
    }

    @Test
    void printsWhatEachSinkDidAndFailsWhenOneDidNotDeliver() throws Exception {
        assertThat(herald("--home", home.toString(), "notify", "test", "olaf@herald.test").exit())
                .as("no running server").isEqualTo(ExitCodes.FAILURE);
        String admin;
        try (HeraldServer server = HeraldServer.builder().home(home)
                .set("smtp", "port", "-1").set("submission", "port", "-1").set("submissions", "port", "-1")
                .set("http", "port", "0").plugins(List.of(new TwoSinksPlugin())).start()) {
            Run r = herald("--home", home.toString(), "notify", "test", "olaf@herald.test", "--wait", "2");
            assertThat(r.out()).contains("two-sinks/fine", "delivered (attempt 1").contains("two-sinks/down")
                    .containsPattern("retrying: [1-9] attempt\\(s\\) failed, the last: HTTP 503 from the receiver; next in [0-9]+ ms");
            assertThat(r.exit()).isEqualTo(ExitCodes.FAILURE);
            Run sinks = herald("--home", home.toString(), "notify", "sinks");
            assertThat(sinks.exit()).isZero();
            assertThat(sinks.out().lines().filter(l -> l.startsWith("two-sinks/fine"))).singleElement().asString().contains(" 1 ");
            assertThat(herald("--home", home.toString(), "notify", "test", "not-an-address").exit()).isEqualTo(ExitCodes.FAILURE);
            admin = Files.readString(home.resolve("data/admin.properties"));
        }
        // a killed server leaves its admin.properties behind: one line naming the address, exit code 1, no stack trace
        Files.writeString(home.resolve("data/admin.properties"), admin);
        java.io.StringWriter err = new java.io.StringWriter();
        assertThat(Main.execute(new java.io.PrintWriter(err, true), "--home", home.toString(), "notify", "sinks"))
                .isEqualTo(ExitCodes.FAILURE);
        assertThat(err.toString()).startsWith("herald: the server's admin API at http://127.0.0.1:")
                .endsWith(" does not answer (is the server running?)" + System.lineSeparator());
    }
}

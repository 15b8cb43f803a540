package io.herald.config;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.herald.api.config.Configuration;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.smtp.SmtpHook;
import io.herald.server.HeraldServer;
import io.herald.smtp.SmtpSettings;
import jakarta.inject.Inject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A key of a {@code conf/*.cfg} file that no reader asks for is reported (a warning, the file is not refused): at start
 * and after each change, for the core's files and plugins' alike, naming the file, the key and the nearest known key.
 */
class UnknownKeysTest {

    @TempDir Path home;
    private final ListAppender<ILoggingEvent> seen = new ListAppender<>();
    private final Logger storeLog = (Logger) LoggerFactory.getLogger(ConfigStore.class);

    @BeforeEach
    void capture() throws IOException {
        Files.createDirectories(home.resolve("conf"));
        seen.start();
        storeLog.addAppender(seen);
    }

    @AfterEach
    void release() {
        storeLog.detachAppender(seen);
    }

    /** A plugin that reads one key, a family ({@code zone.<zone>.weight}) and, only when {@code mode = strict}, one more. */
    public static final class ZonesPlugin extends HeraldPlugin {
        @Override public String configPid() { return "zones"; }
        @Override protected void configure() { smtpHook().to(ZonesHook.class); }
    }

    public static final class ZonesHook implements SmtpHook {
        @Inject
        public ZonesHook(Configuration c) {
            c.get("mode", "lax");
            c.keys("zone.");
        }
    }

    /** A plugin written against API 1.0: it reads its keys through {@code keys()}, so any key may be its. */
    public static final class AnyKeyPlugin extends HeraldPlugin {
        @Override public String configPid() { return "anykey"; }
        @Override protected void configure() { smtpHook().to(AnyKeyHook.class); }
    }

    public static final class AnyKeyHook implements SmtpHook {
        @Inject
        public AnyKeyHook(Configuration c) {
            for (String k : c.keys()) if (k.startsWith("x.")) c.get(k);
        }
    }

    private HeraldServer start() throws IOException {
        return HeraldServer.builder().home(home)
                .set("smtp", "port", "0").set("submission", "port", "-1").set("submissions", "port", "-1")
                .set("smtp", "maxErorrs", "3")   // an override given in code is not the operator's file: never reported
                .plugins(List.of(new ZonesPlugin(), new AnyKeyPlugin())).start();
    }

    private void write(String pid, String content) throws IOException {
        Path tmp = home.resolve("conf/." + pid + ".part");
        Files.writeString(tmp, content);
        Files.move(tmp, home.resolve("conf/" + pid + ".cfg"), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private List<String> warnings() {
        List<String> out = seen.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage).toList();
        seen.list.clear();
        return out;
    }

    @Test
    void aMisspeltKeyOfACoreFileIsReportedAtStartAndAfterEachChangeOnce() throws Exception {
        write("smtp", "maxRecipent = 5\nmaxMessageSize = 1000\n");
        write("queue", "retry.inital = 10s\n");
        write("notinstalled", "anything = 1\n");   // a plugin not installed yet: nobody owns it, nothing to say
        try (HeraldServer server = start()) {
            assertThat(warnings()).containsExactly(
                    "queue.cfg: unknown key 'retry.inital' (ignored); did you mean 'retry.initial'?",
                    "smtp.cfg: unknown key 'maxRecipent' (ignored); did you mean 'maxRecipients'?");
            // the file is applied all the same: the known key is in effect, the unknown one changes nothing
            assertThat(SmtpSettings.from(server.configs().get("smtp")).maxRecipients()).isEqualTo(100);
            assertThat(SmtpSettings.from(server.configs().get("smtp")).maxMessageSize()).isEqualTo(1000);

            assertThat(server.configs().reload()).isEmpty();
            assertThat(warnings()).as("nothing changed: nothing said again").isEmpty();

            // a live change: the typo fixed, another made; the new one is reported, and the change applied
            write("smtp", "maxRecipients = 5\nmaxMessageSize = 1000\nMAXERRORS = 3\nhelo.name = x\n");
            assertThat(server.configs().reload()).containsExactly("smtp");
            assertThat(warnings()).containsExactly(
                    "smtp.cfg: unknown key 'MAXERRORS' (ignored); did you mean 'maxErrors'?",
                    "smtp.cfg: unknown key 'helo.name' (ignored)");
            assertThat(server.configs().unknownKeys("smtp")).hasSize(2);

            // a refused change (a wrong value) is still read: its unknown key is reported with it
            write("smtp", "maxRecipients = abc\nmaxRecipent = 5\n");
            assertThat(server.configs().reload()).isEmpty();
            assertThat(warnings()).contains("smtp.cfg: unknown key 'maxRecipent' (ignored); did you mean 'maxRecipients'?");

            write("smtp", "maxRecipients = 7\n");
            assertThat(server.configs().reload()).containsExactly("smtp");
            assertThat(warnings()).isEmpty();
            assertThat(server.configs().unknownKeys("smtp")).isEmpty();
            assertThat(server.configs().unknownKeys("notinstalled")).as("nobody asked for any of its keys")
                    .containsExactly("notinstalled.cfg: unknown key 'anything' (ignored)");
        }
    }

    @Test
    void aPluginsFileIsCheckedAgainstWhatThePluginReadFamiliesIncluded() throws Exception {
        write("zones", "mode = strict\nzone.bl.example.net.weight = 2\nzone.other.example.reason = X\nzones.bl.example.net.codes = 127.0.0.2\nmdoe = lax\n");
        write("anykey", "x.one = 1\nwhatever = 2\n");
        try (HeraldServer server = start()) {
            assertThat(warnings()).containsExactly(
                    "zones.cfg: unknown key 'mdoe' (ignored); did you mean 'mode'?",
                    "zones.cfg: unknown key 'zones.bl.example.net.codes' (ignored); did you mean 'zone.bl.example.net.codes'?");

            // a live change of a plugin's file: checked against the keys the plugin asked for
            write("zones", "mode = lax\nzone.a.example.weight = 1\nmodes = x\n");
            server.configs().reload();
            assertThat(warnings()).containsExactly("zones.cfg: unknown key 'modes' (ignored); did you mean 'mode'?");
        }
    }

    @Test
    void theNearestKeyIsSuggestedOnlyWhenItIsNearEnough() {
        KnownKeys k = new KnownKeys();
        List.of("maxRecipients", "maxErrors", "port", "relayNetworks").forEach(k::asked);
        k.askedFamily("route.");
        assertThat(k.closest("maxRecipent")).isEqualTo("maxRecipients");
        assertThat(k.closest("maxrecipients")).isEqualTo("maxRecipients");
        assertThat(k.closest("prot")).as("a swap of neighbours is one edit").isEqualTo("port");
        assertThat(k.closest("rout.example.org")).isEqualTo("route.example.org");
        assertThat(k.closest("timeout")).isNull();
        assertThat(k.closest("maxMessages")).isNull();
        assertThat(k.knows("route.example.org")).isTrue();
        assertThat(k.knows("routes.example.org")).isFalse();
        assertThat(k.unknown("smtp", Map.of("relayNetwork", "x", "port", "1")))
                .containsExactly("smtp.cfg: unknown key 'relayNetwork' (ignored); did you mean 'relayNetworks'?");
    }
}

package io.herald.host;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.herald.server.HeraldServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The plugins' lifecycle lines are logged under {@code io.herald.plugins}, whichever host starts them: they read
 * "PlainHost" in a server running Felix, whose extender starts each plugin through {@link PlainHost} too.
 */
class PluginLoggerTest {

    @TempDir Path home;
    final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    final ListAppender<ILoggingEvent> seen = new ListAppender<>();

    @BeforeEach void listen() {
        seen.start();
        root.addAppender(seen);
    }

    @AfterEach void stopListening() {
        root.detachAppender(seen);
    }

    private HeraldServer server(String fail) throws Exception {
        return HeraldServer.builder().home(home).set("smtp", "port", "0").set("submission", "port", "0")
                .set("submissions", "port", "0").set("echo", "fail", fail)
                .plugins(List.of(new ProtocolServiceTest.EchoPlugin())).start();
    }

    private List<ILoggingEvent> about(String plugin) {
        return seen.list.stream().filter(e -> e.getFormattedMessage().startsWith("plugin " + plugin)).toList();
    }

    @Test
    void startedAndStoppedLinesAreLoggedUnderIoHeraldPlugins() throws Exception {
        try (HeraldServer server = server("false")) {
            assertThat(server.registry().plugins()).hasSize(1);
        }
        List<ILoggingEvent> lines = about("echo");
        assertThat(lines).extracting(ILoggingEvent::getFormattedMessage)
                .anyMatch(m -> m.matches("plugin echo \\S+ started: .*"))
                .anyMatch(m -> m.startsWith("plugin echo: protocol service echo listening on"))
                .anyMatch(m -> m.startsWith("plugin echo: protocol service echo stopped"));
        assertThat(lines).extracting(ILoggingEvent::getLoggerName).containsOnly(PlainHost.PLUGIN_LOGGER);
        assertThat(PlainHost.PLUGIN_LOGGER).isEqualTo("io.herald.plugins");
        assertThat(seen.list).extracting(ILoggingEvent::getLoggerName).doesNotContain(PlainHost.class.getName());
    }

    @Test
    void aPluginThatFailsToStartIsLoggedThereToo() throws Exception {
        try (HeraldServer server = server("true")) {
            assertThat(server.registry().plugins()).isEmpty();
        }
        assertThat(about("echo")).filteredOn(e -> e.getLevel() == Level.ERROR)
                .singleElement().satisfies(e -> {
                    assertThat(e.getFormattedMessage()).startsWith("plugin echo failed to start");
                    assertThat(e.getLoggerName()).isEqualTo("io.herald.plugins");
                });
    }
}

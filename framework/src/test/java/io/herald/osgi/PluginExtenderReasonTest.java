package io.herald.osgi;

import com.google.inject.AbstractModule;
import com.google.inject.CreationException;
import com.google.inject.Guice;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.Stage;
import io.herald.api.config.ConfigurationException;
import io.herald.host.PluginFailures;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The one-line reason a failed or refused plugin is listed and logged with. */
class PluginExtenderReasonTest {

    record Settings(int maxBadCommands) { }

    record UsesSettingsA(Settings s) { }

    record UsesSettingsB(Settings s) { }

    /** Like a plugin module whose settings refuse a value: two eager singletons need the settings. */
    static final class RefusingModule extends AbstractModule {
        @Provides @Singleton Settings settings() {
            throw new ConfigurationException("imap.cfg", "maxBadCommands", "0", "a whole number from 1 to 1000");
        }
        @Provides @Singleton UsesSettingsA a(Settings s) { return new UsesSettingsA(s); }
        @Provides @Singleton UsesSettingsB b(Settings s) { return new UsesSettingsB(s); }
    }

    @Test
    void aGuiceCreationFailureIsReportedByTheConfigurationValueThatCausedIt() {
        CreationException e = assertThrows(CreationException.class, () -> Guice.createInjector(Stage.PRODUCTION, new RefusingModule()));
        assertThat(PluginFailures.reason("io.herald.plugin.imap.ImapPlugin", e)).isEqualTo("io.herald.plugin.imap.ImapPlugin: "
                + "io.herald.api.config.ConfigurationException: imap.cfg: maxBadCommands = '0' is not allowed; expected a whole number from 1 to 1000");
    }

    @Test
    void otherwiseTheInnermostCause() {
        Exception e = new RuntimeException("outer", new IllegalStateException("inner\nsecond line"));
        assertThat(PluginFailures.reason("m.Module", e)).isEqualTo("m.Module: java.lang.IllegalStateException: inner");
    }
}

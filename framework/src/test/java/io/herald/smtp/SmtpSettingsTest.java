package io.herald.smtp;

import io.herald.api.config.ConfigurationException;
import io.herald.config.ConfigStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SmtpSettingsTest {

    static SmtpSettings read(Map<String, String> values) {
        return SmtpSettings.from(new ConfigStore.MapConfiguration("smtp", values));
    }

    @Test
    void defaults() {
        SmtpSettings s = read(Map.of());
        assertThat(s).isEqualTo(new SmtpSettings("smtp", "127.0.0.1", 2525, 52_428_800L, 100, 512, 65_536, 10,
                Duration.ofMinutes(5), Duration.ofMinutes(3), Duration.ofSeconds(10), 16,
                ListenerRole.MTA, true, true, false, false, false, List.of(), 50, 1000, 65_536, Duration.ofSeconds(5)));
    }

    @Test
    void values() {
        SmtpSettings s = read(Map.of("port", "0", "maxLineLength", "0", "hookTimeout", "250ms", "listener", "mx"));
        assertThat(s.port()).isZero();
        assertThat(s.maxLineLength()).isZero();
        assertThat(s.hookTimeout()).isEqualTo(Duration.ofMillis(250));
        assertThat(s.listener()).isEqualTo("mx");
    }

    @ParameterizedTest
    @CsvSource({"port,70000", "port,abc", "maxMessageSize,0", "maxRecipients,0", "maxCommandLength,100",
            "maxLineLength,500", "maxErrors,-1", "commandTimeout,5", "dataTimeout,0s", "hookTimeout,soon", "listener,a b",
            "maxConnectionsPerAddress,0", "maxSessions,0", "maxUnsentReplyBytes,100",
            "shutdownGrace,0s", "shutdownGrace,-1s", "shutdownGrace,later"})
    void wrongValuesAreRefusedNamingFileKeyAndValue(String key, String value) {
        assertThatThrownBy(() -> read(Map.of(key, value)))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("smtp.cfg")
                .hasMessageContaining(key)
                .hasMessageContaining(value);
    }
}

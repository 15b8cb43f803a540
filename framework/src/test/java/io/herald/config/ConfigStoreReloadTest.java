package io.herald.config;

import io.herald.smtp.SmtpSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigStoreReloadTest {

    @TempDir
    Path conf;

    @Test
    void aChangedFileIsAppliedAndAWrongValueKeepsTheLastGoodConfiguration() throws Exception {
        Files.writeString(conf.resolve("smtp.cfg"), "maxRecipients = 50\n");
        ConfigStore store = new ConfigStore(conf, Map.of("smtp", Map.of("port", "0")));
        List<Integer> applied = new ArrayList<>();
        store.addListener("smtp", ConfigStore.listener(SmtpSettings::from, c -> applied.add(SmtpSettings.from(c).maxRecipients())));
        assertThat(store.reload()).isEmpty();

        Files.writeString(conf.resolve("smtp.cfg"), "maxRecipients = 2\n");
        assertThat(store.reload()).containsExactly("smtp");
        assertThat(applied).containsExactly(2);
        assertThat(store.get("smtp").get("port", "")).as("overrides still win").isEqualTo("0");

        Files.writeString(conf.resolve("smtp.cfg"), "maxRecipients = abc\n");
        assertThat(store.reload()).isEmpty();
        assertThat(applied).containsExactly(2);
        assertThat(store.get("smtp").get("maxRecipients", "")).isEqualTo("2");
    }

    @Test
    void theLiveIdentityFollowsTheDomains() throws Exception {
        ConfigStore store = new ConfigStore(conf, Map.of());
        LiveIdentity identity = LiveIdentity.following(store);
        assertThat(identity.isLocal("example.org")).isFalse();
        Files.writeString(conf.resolve("herald.cfg"), "domains = herald.test, example.org\n");
        store.reload();
        assertThat(identity.isLocal("example.org")).isTrue();
        Files.writeString(conf.resolve("herald.cfg"), "domains = not a domain!\n");
        store.reload();
        assertThat(identity.localDomains()).containsExactly("herald.test", "example.org");
    }
}

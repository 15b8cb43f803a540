package org.example.herald.attachments;

import io.herald.testkit.HeraldExtension;
import io.herald.testkit.HeraldExtension.BuiltIn;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** conf/attachment-blocker.cfg: a site's own list replaces the default one; a wrong value stops the plugin from starting. */
class ConfigurationTest {

    @RegisterExtension
    final HeraldExtension herald = HeraldExtension.builder()
            .plugin(new AttachmentBlockerPlugin())
            .builtIns(BuiltIn.ROUTE_LOCAL, BuiltIn.MAILBOX_LUCENE)
            .mailboxes("olaf@herald.test")
            .set("attachment-blocker", "extensions", "zip, iso")
            .build();

    @Test
    void theConfiguredListReplacesTheDefault() throws Exception {
        String zip = AttachmentBlockerTest.withAttachment("zip", "Content-Type: application/zip; name=\"photos.ZIP\"");
        String exe = AttachmentBlockerTest.withAttachment("exe", "Content-Type: application/octet-stream; name=\"tool.exe\"");
        assertThat(herald.send("elsa@example.org", "olaf@herald.test", zip).last().code()).isEqualTo(550);
        assertThat(herald.send("elsa@example.org", "olaf@herald.test", exe).last().code()).isEqualTo(250);
    }

    @Test
    void aWrongValueIsRefusedNamingFileKeyAndValue() {
        HeraldExtension wrong = HeraldExtension.builder().plugin(new AttachmentBlockerPlugin())
                .set("attachment-blocker", "extensions", ".exe").build();
        assertThatThrownBy(wrong::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("plugin attachment-blocker").hasMessageContaining("did not start");
        assertThatThrownBy(() -> new AttachmentBlockerHook(new MapConfiguration("attachment-blocker", java.util.Map.of("extensions", ".exe"))))
                .hasMessageContaining("attachment-blocker.cfg").hasMessageContaining("extensions").hasMessageContaining(".exe");
    }

    /** A configuration in memory, for constructing the hook directly. */
    record MapConfiguration(String pid, java.util.Map<String, String> values) implements io.herald.api.config.Configuration {
        @Override public java.util.Optional<String> get(String key) { return java.util.Optional.ofNullable(values.get(key)); }
        @Override public java.util.Set<String> keys() { return values.keySet(); }
    }
}

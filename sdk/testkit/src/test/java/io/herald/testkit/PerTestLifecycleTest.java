package io.herald.testkit;

import io.herald.api.plugin.HeraldPlugin;
import io.herald.testkit.sample.TaggingPlugin;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** An instance field: a fresh server and home for every test; a failing plugin fails the start. */
class PerTestLifecycleTest {

    static final Set<Path> homes = new HashSet<>();

    @RegisterExtension
    final HeraldExtension herald = HeraldExtension.builder().plugin(new TaggingPlugin()).mailboxes("olaf@herald.test").build();

    @RepeatedTest(2)
    void everyTestGetsAnEmptyServerOfItsOwn() throws Exception {
        assertThat(homes.add(herald.home())).as("a new home").isTrue();
        assertThat(herald.mailbox("olaf@herald.test").inbox()).isEmpty();
        assertThat(herald.send("elsa@example.org", "olaf@herald.test", "Subject: x\r\n\r\nx\r\n").accepted()).isTrue();
        assertThat(herald.mailbox("olaf@herald.test").inbox()).hasSize(1);
        for (Path h : homes) {
            if (!h.equals(herald.home())) assertThat(Files.exists(h)).as("the previous home is deleted").isFalse();
        }
    }

    public static final class ThrowingPlugin extends HeraldPlugin {
        @Override protected void configure() {
            throw new IllegalStateException("this module cannot be built");
        }
    }

    @Test
    void aPluginThatFailsToStartFailsTheTestAndLeavesNothingRunning() {
        HeraldExtension broken = HeraldExtension.builder().plugin(new ThrowingPlugin()).build();
        assertThatThrownBy(broken::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("plugin throwing").hasMessageContaining("did not start");
        assertThatThrownBy(broken::server).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aMissingBuiltInIsNamed() {
        HeraldExtension missing = HeraldExtension.builder().builtIns("no-such-plugin").build();
        assertThatThrownBy(missing::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("[no-such-plugin] are not on the test class path");
    }
}

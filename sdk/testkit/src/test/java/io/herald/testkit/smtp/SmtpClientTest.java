package io.herald.testkit.smtp;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SmtpClientTest {

    private static String stuff(String s) {
        return new String(SmtpClient.dotStuff(s.getBytes(StandardCharsets.US_ASCII)), StandardCharsets.US_ASCII);
    }

    @Test
    void dotStuffingAndLineEnds() {
        assertThat(stuff(".a\r\nb\r\n..c\r\n")).isEqualTo("..a\r\nb\r\n...c\r\n");
        assertThat(stuff("bare\nlf\n.x")).isEqualTo("bare\r\nlf\r\n..x\r\n");
        assertThat(stuff("")).isEmpty();
    }

    @Test
    void replies() {
        Reply r = new Reply(550, List.of("5.7.1 no thanks"));
        assertThat(r.enhancedCode()).contains("5.7.1");
        assertThat(r.isPermanentFailure()).isTrue();
        assertThat(r).hasToString("550 5.7.1 no thanks");
        Reply ehlo = new Reply(250, List.of("herald.test", "PIPELINING", "8BITMIME"));
        assertThat(ehlo.enhancedCode()).isEmpty();
        assertThat(ehlo).hasToString("250-herald.test\n250-PIPELINING\n250 8BITMIME");
        assertThatThrownBy(() -> new Reply(99, List.of("x"))).isInstanceOf(IllegalArgumentException.class);
    }
}

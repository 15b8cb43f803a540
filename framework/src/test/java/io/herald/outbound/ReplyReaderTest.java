package io.herald.outbound;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ReplyReaderTest {

    static List<Reply> feed(String... chunks) throws Exception {
        ReplyReader r = new ReplyReader();
        List<Reply> out = new ArrayList<>();
        for (String c : chunks) {
            byte[] b = c.getBytes(StandardCharsets.UTF_8);
            r.feed(b, 0, b.length, out::add);
        }
        return out;
    }

    @Test
    void multiLineRepliesSplitAnywhereAndPipelinedRepliesInOrder() throws Exception {
        List<Reply> r = feed("250-mx.example Hello\r\n250-PIPE", "LINING\r\n250-SIZE 1000\r\n250 STARTTLS\r\n25", "0 2.1.0 OK\r\n",
                "550 5.1.1 <x@y>: no such user\n", "354 go\r\n");
        assertThat(r).hasSize(4);
        assertThat(r.get(0).code()).isEqualTo(250);
        assertThat(r.get(0).lines()).containsExactly("mx.example Hello", "PIPELINING", "SIZE 1000", "STARTTLS");
        assertThat(r.get(1).enhancedCode()).contains("2.1.0");
        assertThat(r.get(2).oneLine()).isEqualTo("550 5.1.1 <x@y>: no such user");
        assertThat(r.get(2).permanentFailure()).isTrue();
        assertThat(r.get(3).code()).isEqualTo(354);
        assertThat(feed("220\r\n").get(0).lines()).containsExactly("");
    }

    @Test
    void whatIsNotAReplyIsRefused() {
        for (String bad : List.of("hello\r\n", "25 x\r\n", "2500 x\r\n", "250x\r\n", "199 too low\r\n", "700 too high\r\n",
                "250-first\r\n251 second\r\n")) {
            assertThatThrownBy(() -> feed(bad)).as(bad).isInstanceOf(ReplyReader.MalformedReplyException.class);
        }
    }

    @Test
    void endlessRepliesAndLinesAreBounded() throws Exception {
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < ReplyReader.MAX_LINES + 5; i++) many.append("250-x\r\n");
        assertThatThrownBy(() -> feed(many.toString())).isInstanceOf(ReplyReader.MalformedReplyException.class)
                .hasMessageContaining("lines");
        Reply longOne = feed("250 " + "y".repeat(10_000) + "\r\n").get(0);
        assertThat(longOne.lines().get(0)).hasSize(ReplyReader.MAX_LINE - 4);
    }
}

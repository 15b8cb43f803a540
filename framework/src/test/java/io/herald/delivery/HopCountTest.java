package io.herald.delivery;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class HopCountTest {

    static int count(String message) throws Exception {
        return HopCount.count(new ByteArrayInputStream(message.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void countsReceivedFieldsOfTheHeaderSectionOnly() throws Exception {
        assertThat(count("Received: from a\r\n\tby b; date\r\nRECEIVED: from c\r\nX-Received: no\r\nSubject: Received: no\r\n"
                + "received:x\r\n\r\nReceived: in the body does not count\r\n")).isEqualTo(3);
        assertThat(count("Subject: none\r\n\r\n")).isZero();
        assertThat(count("Received: bare LF\nReceived: again\n\nReceived: body\n")).isEqualTo(2);
        assertThat(count("Received: a message without body")).isEqualTo(1);
        assertThat(count("")).isZero();
    }

    @Test
    void dsnStatusComesFromTheEnhancedCodeElseTheReplyClass() {
        assertThat(DsnBounceSink.status("550 5.1.1 no such user")).isEqualTo("5.1.1");
        assertThat(DsnBounceSink.status("554 4.4.7 delivery time expired")).isEqualTo("4.4.7");
        assertThat(DsnBounceSink.status("550 no such user")).isEqualTo("5.0.0");
        assertThat(DsnBounceSink.status("452 try later")).isEqualTo("4.0.0");
    }
}

package io.herald.plugin.pop3;

import io.herald.api.mail.MessageContent;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class MessageTextTest {

    static String wire(String stored, long bodyLines, int bufferSize) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (MessageText.Reader r = MessageText.open(MessageContent.of(stored.getBytes(StandardCharsets.ISO_8859_1)), bodyLines)) {
            byte[] buf = new byte[bufferSize];
            int n;
            while ((n = r.read(buf, 0, buf.length)) > 0) out.write(buf, 0, n);
        }
        return out.toString(StandardCharsets.ISO_8859_1);
    }

    static long size(String stored) throws Exception {
        return MessageText.size(MessageContent.of(stored.getBytes(StandardCharsets.ISO_8859_1)));
    }

    /** What a client gets back after removing the stuffing (RFC 1939 §3). */
    static String unstuff(String wire) {
        return wire.replace("\r\n.", "\r\n").replaceFirst("^\\.", "");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "a\\r\\nb\\r\\n|a\\r\\nb\\r\\n",
            "a\\nb\\n|a\\r\\nb\\r\\n",
            "a\\rb\\r|a\\r\\nb\\r\\n",
            "a\\r\\r\\nb|a\\r\\n\\r\\nb\\r\\n",
            "a\\n\\rb|a\\r\\n\\r\\nb\\r\\n",
            "no newline|no newline\\r\\n",
            ".\\r\\n|..\\r\\n",
            ".a\\n..b\\n c.\\n|..a\\r\\n...b\\r\\n c.\\r\\n",
            "x\\r\\n.\\r\\n.|x\\r\\n..\\r\\n..\\r\\n",
    })
    void normalizesAndStuffs(String stored, String expected) throws Exception {
        String in = stored.replace("\\r", "\r").replace("\\n", "\n");
        String want = expected.replace("\\r", "\r").replace("\\n", "\n");
        for (int buf : new int[] {2, 3, 7, 8192}) {
            assertThat(wire(in, -1, buf)).as("buffer %d", buf).isEqualTo(want);
        }
        assertThat(size(in)).isEqualTo(unstuff(want).length());
    }

    @Test
    void emptyMessage() throws Exception {
        assertThat(wire("", -1, 100)).isEmpty();
        assertThat(size("")).isZero();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 5})
    void topCountsBodyLines(int n) throws Exception {
        String m = "A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3\r\n";
        String[] body = {"l1\r\n", "..l2\r\n", "l3\r\n"};
        StringBuilder want = new StringBuilder("A: 1\r\nB: 2\r\n\r\n");
        for (int i = 0; i < Math.min(n, 3); i++) want.append(body[i]);
        assertThat(wire(m, n, 4)).isEqualTo(want.toString());
        assertThat(wire(m.replace("\r\n", "\n"), n, 8192)).isEqualTo(want.toString());
    }

    @Test
    void topOfAMessageWithoutBody() throws Exception {
        assertThat(wire("A: 1\r\nB: 2", 0, 8192)).isEqualTo("A: 1\r\nB: 2\r\n");
    }

    @Test
    void randomInputsAgreeWithASimpleModel() throws Exception {
        Random random = new Random(42);
        String alphabet = "ab.\r\n";
        for (int round = 0; round < 2000; round++) {
            StringBuilder s = new StringBuilder();
            int len = random.nextInt(40);
            for (int i = 0; i < len; i++) s.append(alphabet.charAt(random.nextInt(alphabet.length())));
            String stored = s.toString();
            // the model: every CRLF, CR or LF is a line ending; a final one is added; then stuffing
            String crlf = stored.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\r\n");
            if (!crlf.isEmpty() && !crlf.endsWith("\r\n")) crlf += "\r\n";
            String stuffed = (crlf.startsWith(".") ? "." : "") + crlf.replace("\r\n.", "\r\n..");
            // a CRLF ending with "." then the added CRLF: replace() above stuffs every line start
            assertThat(wire(stored, -1, 2 + random.nextInt(5))).as("%s", stored.replace("\r", "\\r").replace("\n", "\\n")).isEqualTo(stuffed);
            assertThat(size(stored)).isEqualTo(crlf.length());
        }
    }
}

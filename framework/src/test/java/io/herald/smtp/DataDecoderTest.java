package io.herald.smtp;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class DataDecoderTest {

    record Result(String message, int consumed, boolean done, boolean bare, boolean tooLong) { }

    /** Feeds the input in pieces of {@code step} bytes, as the network may deliver it. */
    static Result decode(String input, int step, int maxLineLength) {
        byte[] in = input.getBytes(StandardCharsets.ISO_8859_1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataDecoder d = new DataDecoder(maxLineLength, out::write);
        int consumed = 0;
        while (consumed < in.length && !d.isDone()) {
            int n = Math.min(step, in.length - consumed);
            int used = d.feed(in, consumed, n);
            consumed += used;
            if (used < n) break;
        }
        return new Result(out.toString(StandardCharsets.ISO_8859_1), consumed, d.isDone(), d.sawBareCrOrLf(), d.sawLineTooLong());
    }

    @ParameterizedTest(name = "fed {0} byte(s) at a time")
    @ValueSource(ints = {1, 2, 3, 7, 4096})
    void unstuffsAndStopsAtTheEndOfData(int step) {
        Result r = decode("a\r\n..b\r\n..\r\n...\r\nc.\r\n.\r\nNOOP\r\n", step, 1000);
        assertThat(r.done()).isTrue();
        assertThat(r.message()).isEqualTo("a\r\n.b\r\n.\r\n..\r\nc.\r\n");
        assertThat(r.consumed()).isEqualTo("a\r\n..b\r\n..\r\n...\r\nc.\r\n.\r\n".length());   // NOOP is left for the command parser
        assertThat(r.bare()).isFalse();
    }

    @Test
    void anEmptyMessage() {
        Result r = decode(".\r\n", 1, 1000);
        assertThat(r.done()).isTrue();
        assertThat(r.message()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"x\n.\ny", "x\n.\r\ny", "x\r.\ry", "x\r\n.\ny", "x\r\n.\rx", "x\ry\n"})
    void bareCrOrLfNeverEndsTheData(String smuggle) {
        Result r = decode(smuggle + "\r\n.\r\n", 1, 1000);
        assertThat(r.done()).isTrue();
        assertThat(r.bare()).isTrue();
        assertThat(r.consumed()).isEqualTo(smuggle.length() + 5);
    }

    @Test
    void lineLengthCountsTheCrlfButNotTheDotAddedForTransparency() {
        assertThat(decode("x".repeat(998) + "\r\n.\r\n", 100, 1000).tooLong()).isFalse();
        assertThat(decode("x".repeat(999) + "\r\n.\r\n", 100, 1000).tooLong()).isTrue();
        // RFC 5321 §4.5.3.1.6: "not counting the leading dot duplicated for transparency": the message line is
        // "." + 997 x + CRLF (1000 octets), sent as 1001
        assertThat(decode(".." + "x".repeat(997) + "\r\n.\r\n", 100, 1000).tooLong()).isFalse();
        assertThat(decode(".." + "x".repeat(998) + "\r\n.\r\n", 100, 1000).tooLong()).isTrue();
        assertThat(decode("x".repeat(100_000) + "\r\n.\r\n", 100, 0).tooLong()).isFalse();      // 0 = unlimited
    }

    @Test
    void theFirstOverLongLineIsNamedAndTheBytesAreKeptAsSent() {
        String message = "Subject: long\r\n\r\nshort\r\n" + "a".repeat(5000) + "\r\n" + "b".repeat(3000) + "\r\nend\r\n";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataDecoder d = new DataDecoder(4000, out::write);
        byte[] in = (message + ".\r\n").getBytes(StandardCharsets.US_ASCII);
        assertThat(d.feed(in, 0, in.length)).isEqualTo(in.length);
        assertThat(d.isDone()).isTrue();
        assertThat(d.sawLineTooLong()).isTrue();
        assertThat(d.firstLongLine()).as("line 4: Subject, the empty line, short, then the long one").isEqualTo(4);
        assertThat(out.toString(StandardCharsets.US_ASCII)).isEqualTo(message);   // never folded or cut

        DataDecoder unlimited = new DataDecoder(0, (b, off, len) -> { });
        unlimited.feed(in, 0, in.length);
        assertThat(unlimited.firstLongLine()).isZero();
    }

    @ParameterizedTest(name = "fed {0} byte(s) at a time")
    @ValueSource(ints = {1, 3, 8191, 8192, 100_000})
    void runsLongerThanTheDecodersBlockArriveWholeAndInOrder(int step) {
        // the bytes inside a line are copied as runs; a run longer than the 8 KB block is handed on in blocks
        String message = "a".repeat(20_000) + "\r\n.x" + "b".repeat(8188) + "\r\n\r\n..\r\nc\nd\r\n";
        String stuffed = message.replace("\r\n.", "\r\n..");
        Result r = decode(stuffed + ".\r\nQUIT\r\n", step, 8192);
        assertThat(r.done()).isTrue();
        assertThat(r.message()).isEqualTo(message);
        assertThat(r.consumed()).isEqualTo(stuffed.length() + 3);
        assertThat(r.bare()).as("the LF after c").isTrue();
        assertThat(r.tooLong()).as("the 20,002-octet first line").isTrue();
        assertThat(decode(stuffed.substring(20_002) + ".\r\n", step, 8192).tooLong()).as(".x + 8188 b + CRLF: 8192 octets without the stuffed dot").isFalse();
    }
}

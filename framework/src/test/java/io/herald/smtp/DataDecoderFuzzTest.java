package io.herald.smtp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz test (Jazzer) of the DATA decoder (dot-unstuffing, the end of data, bare CR/LF, long lines), input an SMTP client controls before any plugin sees it.
 *
 * <p>The build runs it twice: in regression mode with the other tests (every input below
 * {@code DataDecoderFuzzTestInputs/} in the test resources: seeds and every crash found so far), and fuzzing for 5 s in the
 * {@code fuzz} execution ({@code JAZZER_FUZZ=1}, one JVM per class). Long runs: docs/reliability.md.
 */
class DataDecoderFuzzTest {

    // ------------------------------------------------------------------ DataDecoder

    /**
     * Whatever a message holds, stuffing it as a client must (RFC 5321 §4.5.2) and decoding it gives it back,
     * whatever the sizes of the reads: the end of data is found exactly at {@code <CRLF>.<CRLF>}, pipelined bytes
     * after it are not consumed, bare CR/LF and over-long lines are reported exactly when present.
     */
    @FuzzTest(maxDuration = "5s")
    void stuffedMessagesDecodeToThemselvesAtAnyReadSize(FuzzedDataProvider data) {
        int maxLine = data.pickValue(new int[] {0, 1000, 78});
        int readSize = data.consumeInt(1, 4096);
        byte[] message = data.consumeRemainingAsBytes();
        ByteArrayOutputStream m = new ByteArrayOutputStream();
        m.writeBytes(message);
        if (message.length == 0 || !endsWithCrlf(message)) m.writeBytes(new byte[] {'\r', '\n'});
        byte[] expected = m.toByteArray();
        byte[] stuffed = stuff(expected);
        byte[] terminator = ".\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] pipelined = "QUIT\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] wire = concat(stuffed, terminator, pipelined);

        Decoded d = decode(wire, readSize, maxLine);
        assertThat(d.done).as("end of data found").isTrue();
        assertThat(d.consumed).as("consumed up to the end of data, not the pipelined QUIT").isEqualTo(stuffed.length + terminator.length);
        assertThat(d.output).as("decoded message").isEqualTo(expected);
        assertThat(d.bare).as("bare CR or LF seen").isEqualTo(hasBareCrOrLf(expected));
        // RFC 5321 §4.5.3.1.6 counts a line without the dot added for transparency: the message's own lines
        assertThat(d.tooLong).as("line over " + maxLine).isEqualTo(maxLine > 0 && longestLine(expected) > maxLine);
    }

    record Decoded(byte[] output, int consumed, boolean done, boolean bare, boolean tooLong) { }

    static Decoded decode(byte[] wire, int readSize, int maxLine) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        DataDecoder decoder = new DataDecoder(maxLine, out::write);
        int consumed = 0;
        for (int p = 0; p < wire.length && !decoder.isDone(); p += readSize) {
            int n = Math.min(readSize, wire.length - p);
            int used = decoder.feed(wire, p, n);
            consumed += used;
            if (used < n) {
                assertThat(decoder.isDone()).as("bytes left unread only after the end of data").isTrue();
                break;
            }
        }
        return new Decoded(out.toByteArray(), consumed, decoder.isDone(), decoder.sawBareCrOrLf(), decoder.sawLineTooLong());
    }

    /** Dot-stuffing as a client does it: a dot at the start of a line (after CRLF, or first) is doubled. */
    static byte[] stuff(byte[] m) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        boolean lineStart = true;
        for (int i = 0; i < m.length; i++) {
            if (lineStart && m[i] == '.') out.write('.');
            out.write(m[i]);
            lineStart = m[i] == '\n' && i > 0 && m[i - 1] == '\r';
        }
        return out.toByteArray();
    }

    static boolean endsWithCrlf(byte[] m) {
        return m.length >= 2 && m[m.length - 2] == '\r' && m[m.length - 1] == '\n';
    }

    static boolean hasBareCrOrLf(byte[] m) {
        for (int i = 0; i < m.length; i++) {
            if (m[i] == '\r' && (i + 1 == m.length || m[i + 1] != '\n')) return true;
            if (m[i] == '\n' && (i == 0 || m[i - 1] != '\r')) return true;
        }
        return false;
    }

    /** The longest line, CRLF included; lines end only at CRLF. */
    static int longestLine(byte[] wire) {
        int longest = 0, start = 0;
        for (int i = 1; i < wire.length; i++) {
            if (wire[i] == '\n' && wire[i - 1] == '\r') {
                longest = Math.max(longest, i + 1 - start);
                start = i + 1;
            }
        }
        return Math.max(longest, wire.length - start);
    }

    static byte[] concat(byte[]... parts) {
        int n = Arrays.stream(parts).mapToInt(p -> p.length).sum();
        byte[] out = new byte[n];
        int p = 0;
        for (byte[] b : parts) {
            System.arraycopy(b, 0, out, p, b.length);
            p += b.length;
        }
        return out;
    }
}

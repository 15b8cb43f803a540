package io.herald.plugin.imap;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz test (Jazzer) of IMAP command framing ({@link CommandReader}): arbitrary octets, with
 * literal announcements {@code {n}} / {@code {n+}} (under and over the limit), over-long lines, bare LF, frame into
 * the same commands and verdicts whatever the sizes of the reads they arrive in (TCP may split anywhere), no
 * exception escapes, and every framed command's text outside its literals respects {@code maxCommandLength}.
 *
 * <p>Run like the other fuzz tests (regression mode with the normal tests, 5 s of fuzzing in the {@code fuzz}
 * execution); long runs: docs/reliability.md.
 */
class CommandReaderFuzzTest {

    static final int MAX_LITERAL = 64, MAX_COMMAND = 1024;

    @FuzzTest(maxDuration = "5s")
    void framingDoesNotDependOnHowTheOctetsArrive(FuzzedDataProvider data) {
        long seed = data.consumeLong();
        byte[] wire = data.consumeRemainingAsBytes();
        List<String> whole = frame(wire, new Random(seed), false);
        List<String> split = frame(wire, new Random(seed), true);
        assertThat(split).as("framed in random reads").isEqualTo(whole);
    }

    private static List<String> frame(byte[] wire, Random random, boolean split) {
        CommandReader reader = new CommandReader(MAX_LITERAL, MAX_COMMAND);
        List<String> out = new ArrayList<>();
        int at = 0;
        while (at < wire.length) {
            int n = split ? Math.min(wire.length - at, 1 + random.nextInt(40)) : wire.length;
            reader.append(wire, at, n);
            at += n;
            while (true) {
                CommandReader.Result r = reader.next();
                if (r instanceof CommandReader.Result.Incomplete) break;
                if (r instanceof CommandReader.Result.Command c) {
                    assertThat(textLength(c.bytes())).isLessThanOrEqualTo(MAX_COMMAND);
                    out.add("command " + Arrays.toString(c.bytes()));
                } else {
                    out.add(r.toString());
                }
            }
        }
        return out;
    }

    /** The octets of a framed command outside its literals (the framing's own reading of {n} at line ends). */
    private static int textLength(byte[] c) {
        int text = 0, i = 0;
        while (i < c.length) {
            int lf = i;
            while (lf < c.length && c[lf] != '\n') lf++;
            text += Math.min(lf + 1, c.length) - i;
            if (lf >= c.length) break;
            int e = lf > i && c[lf - 1] == '\r' ? lf - 1 : lf;
            int j = e - 1;
            if (j > i && c[j] == '}') {
                j--;
                if (c[j] == '+') j--;
                int digitsEnd = j + 1;
                while (j >= i && c[j] >= '0' && c[j] <= '9') j--;
                long n = 0;
                if (j >= i && c[j] == '{' && digitsEnd - j - 1 > 0 && digitsEnd - j - 1 <= 12) {
                    for (int d = j + 1; d < digitsEnd; d++) n = n * 10 + (c[d] - '0');
                }
                i = (int) Math.min(c.length, lf + 1 + n);
            } else {
                i = lf + 1;
            }
        }
        return text;
    }
}

package io.herald.plugin.imap;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz test (Jazzer) of the IMAP command parser as a client reaches it: octets framed by
 * {@link CommandReader} (literals {@code {n}} and {@code {n+}}, over-long lines, literals over the limit), tag and
 * command name, then each command's arguments ({@link Args}: atoms, quoted strings, literals, parenthesised lists;
 * sequence sets; SEARCH keys; FETCH items and sections; STORE flags; mailbox names in modified UTF-7), run by a real
 * session in the selected state over a real (read-only) Lucene store ({@link OfflineImap}).
 *
 * <p>The property: whatever the octets, every command either runs or is answered with a tagged {@code BAD} (with the
 * tag when it has one, {@code *} otherwise) — no exception escapes the parser (the session would answer {@code * BYE
 * Internal server error} and close), no command runs longer than {@link OfflineImap#TIME_LIMIT_SECONDS}, and the
 * answers stay proportional to the input (a sequence set or a SEARCH program is not multiplied out).
 *
 * <p>The first input octet chooses SELECT (even) or EXAMINE (odd); the rest is the wire. The build runs it twice:
 * in regression mode with the other tests (every input below {@code ImapCommandFuzzTestInputs/} in the test
 * resources: seeds and every crash found so far), and fuzzing for 5 s in the {@code fuzz} execution
 * ({@code JAZZER_FUZZ=1}, one JVM per class). Long runs: docs/reliability.md.
 */
class ImapCommandFuzzTest {

    private static OfflineImap imap;

    static synchronized OfflineImap imap() throws Exception {
        if (imap == null) imap = OfflineImap.start();
        return imap;
    }

    @AfterAll
    static void stop() throws Exception {
        if (imap != null) imap.close();
        imap = null;
    }

    @FuzzTest(maxDuration = "5s")
    void everyCommandRunsOrIsRefusedWithBad(byte[] input) throws Throwable {
        boolean readOnly = input.length > 0 && (input[0] & 1) == 1;
        byte[] wire = input.length > 0 ? Arrays.copyOfRange(input, 1, input.length) : input;
        String out = imap().run(readOnly, wire);
        assertThat(out).as("the session's answer").doesNotContain("Internal server error");
        // the SELECT before the input completed, and the answer is bounded by the input (no set multiplied out):
        // the three messages' octets may be fetched once per FETCH item the input names
        assertThat(out).contains("s0 OK [READ-");
        assertThat((long) out.length()).isLessThan(20_000L + 4_000L * (wire.length + 1));
    }
}

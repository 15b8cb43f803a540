package io.herald.smtp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.herald.api.mail.MailAddress;


import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz test (Jazzer) of the MAIL FROM / RCPT TO path parser, input an SMTP client controls before any plugin sees it.
 *
 * <p>The build runs it twice: in regression mode with the other tests (every input below
 * {@code PathParserFuzzTestInputs/} in the test resources: seeds and every crash found so far), and fuzzing for 5 s in the
 * {@code fuzz} execution ({@code JAZZER_FUZZ=1}, one JVM per class). Long runs: docs/reliability.md.
 */
class PathParserFuzzTest {

    // ------------------------------------------------------------------ PathParser

    /**
     * Any argument either parses or is refused with a {@link PathParser.SyntaxException} (anything else escaping is a
     * bug: it would become a 451 "internal error" or kill the session), and what parses respects the RFC 5321 limits
     * and survives a round trip: the address rendered back into a path parses to the same address.
     */
    @FuzzTest(maxDuration = "5s")
    void pathsParseOrAreRefusedAndRoundTrip(FuzzedDataProvider data) throws Exception {
        boolean reverse = data.consumeBoolean();
        String argument = data.consumeRemainingAsString();
        PathParser.Parsed parsed;
        try {
            parsed = reverse ? PathParser.reversePath(argument) : PathParser.forwardPath(argument);
        } catch (PathParser.SyntaxException refused) {
            return;
        }
        if (parsed.address().isEmpty()) return;
        MailAddress a = parsed.address().get();
        assertThat(PathParser.utf8Length(a.localPart())).isLessThanOrEqualTo(64);
        assertThat(PathParser.utf8Length(a.domain())).isLessThanOrEqualTo(255);
        PathParser.Parsed again = PathParser.reversePath("<" + a + ">");
        assertThat(again.address()).as("round trip of " + argument).contains(a);
    }

}

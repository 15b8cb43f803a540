package io.herald.smtp;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;


import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz test (Jazzer) of the DATA decoder's independence of read sizes, input an SMTP client controls before any plugin sees it.
 *
 * <p>The build runs it twice: in regression mode with the other tests (every input below
 * {@code DataDecoderSplitFuzzTestInputs/} in the test resources: seeds and every crash found so far), and fuzzing for 5 s in the
 * {@code fuzz} execution ({@code JAZZER_FUZZ=1}, one JVM per class). Long runs: docs/reliability.md.
 */
class DataDecoderSplitFuzzTest {

    /** Arbitrary bytes: the same result whatever the read sizes (the decoder keeps no state it should not). */
    @FuzzTest(maxDuration = "5s")
    void anyInputDecodesTheSameAtAnyReadSize(FuzzedDataProvider data) {
        int readSize = data.consumeInt(1, 64);
        byte[] wire = data.consumeRemainingAsBytes();
        DataDecoderFuzzTest.Decoded whole = DataDecoderFuzzTest.decode(wire, Math.max(1, wire.length), 1000);
        DataDecoderFuzzTest.Decoded split = DataDecoderFuzzTest.decode(wire, readSize, 1000);
        assertThat(split.output()).isEqualTo(whole.output());
        assertThat(split.consumed()).isEqualTo(whole.consumed());
        assertThat(split.done()).isEqualTo(whole.done());
        assertThat(split.bare()).isEqualTo(whole.bare());
        assertThat(split.tooLong()).isEqualTo(whole.tooLong());
        assertThat(whole.output().length).isLessThanOrEqualTo(wire.length);
    }

}

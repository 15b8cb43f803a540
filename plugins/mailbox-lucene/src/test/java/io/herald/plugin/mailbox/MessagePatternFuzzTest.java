package io.herald.plugin.mailbox;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.IOException;

/** Fuzz test (Jazzer) like {@link MessageParserFuzzTest}, with inputs that repeat a pattern up to 20,000 times. */
class MessagePatternFuzzTest {

    /** Huge inputs are where quadratic behaviour shows: this one builds them from a small pattern repeated. */
    @FuzzTest(maxDuration = "5s")
    void repeatedPatternsParseAndIndex(FuzzedDataProvider data) throws IOException {
        String head = data.consumeString(200);
        String pattern = data.consumeString(20);
        int times = data.consumeInt(0, 20_000);
        String tail = data.consumeRemainingAsString();
        byte[] raw = (head + pattern.repeat(pattern.isEmpty() ? 0 : times) + tail).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        new MessageParserFuzzTest().anyMessageParsesWithinItsLimitsAndIndexes(raw);
    }


    @org.junit.jupiter.api.AfterAll
    static void closeIndex() throws Exception {
        MessageParserFuzzTest.closeIndex();
    }
}

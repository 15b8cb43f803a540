package io.herald.plugin.mailbox;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;

import static org.assertj.core.api.Assertions.assertThat;

/** Fuzz test (Jazzer) of the HTML-to-text reduction the indexer applies to text/html parts: never throws, never grows. */
class HtmlToTextFuzzTest {

    @FuzzTest(maxDuration = "5s")
    void htmlReducesToNoMoreText(FuzzedDataProvider data) {
        String html = data.consumeRemainingAsString();
        String text = MessageParser.htmlToText(html);
        assertThat(text.length()).isLessThanOrEqualTo(html.length());
    }
}

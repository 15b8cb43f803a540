package io.herald.plugin.mailbox;

import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.AfterAll;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Coverage-guided fuzz tests (Jazzer) of the way a delivered message goes into the index: MIME and header parsing
 * ({@link MessageParser}), HTML reduction, and the Lucene document built from the result ({@link MessageIndex#add}).
 * Whatever the bytes: no exception escapes, the limits hold, and the document is accepted by Lucene (an "immense
 * term" would make a message unindexable, and the index rebuild at every start fail with it).
 *
 * <p>The build runs it twice: in regression mode with the other tests (every input below
 * {@code MessageParserFuzzTestInputs/} in the test resources: seeds and every crash found so far), and fuzzing for
 * 5 s in the {@code fuzz} execution ({@code JAZZER_FUZZ=1}, one JVM per class). Long runs: docs/reliability.md.
 */
class MessageParserFuzzTest {

    static final int MAX_TEXT = 2000, MAX_DEPTH = 5, MAX_PARTS = 20;
    static final MessageParser PARSER = new MessageParser(MAX_TEXT, MAX_DEPTH, MAX_PARTS);
    private static Path dir;
    private static MessageIndex index;

    static synchronized MessageIndex index() throws IOException {
        if (index == null) {
            dir = Files.createTempDirectory("herald-fuzz-index");
            index = new MessageIndex(dir, false);
            index.openWriter();
        }
        return index;
    }

    @AfterAll
    static void closeIndex() throws Exception {
        if (index != null) index.close();
        if (dir != null) LuceneMailboxStoreTest.deleteRecursively(dir);
        index = null;
    }

    @FuzzTest(maxDuration = "5s")
    void anyMessageParsesWithinItsLimitsAndIndexes(byte[] raw) throws IOException {
        ParsedMessage p = PARSER.parse(new ByteArrayInputStream(raw));
        assertThat(p.body().length()).isLessThanOrEqualTo(MAX_TEXT);
        assertThat(p.attachmentNames()).hasSizeLessThanOrEqualTo(MAX_PARTS);
        assertThat(p.headers()).hasSizeLessThanOrEqualTo(MessageParser.MAX_HEADERS);
        for (Map.Entry<String, String> h : p.headers()) assertThat(h.getValue().length()).isLessThanOrEqualTo(MessageParser.MAX_HEADER_VALUE);
        for (String v : new String[] {p.from(), p.to(), p.cc(), p.bcc(), p.subject(), p.messageId()}) {
            assertThat(v.length()).isLessThanOrEqualTo(MessageParser.MAX_ADDRESS_VALUE);
        }
        index().add("fuzz@herald.test", "f", 1, raw.length, Instant.EPOCH, p);
    }

}

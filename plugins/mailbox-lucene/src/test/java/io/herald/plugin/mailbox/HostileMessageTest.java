package io.herald.plugin.mailbox;

import io.herald.api.mailbox.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.herald.plugin.mailbox.TestSupport.inbox;
import static io.herald.plugin.mailbox.TestSupport.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Messages built to hurt a parser or an index (MIME bombs, immense header fields, pathological HTML): each is stored
 * byte for byte, the text before the trouble is still searchable, the limits of {@code index.*} hold, and the store
 * opens again afterwards (a message that breaks indexing must not break every later start). The time bound on each
 * test only guards against a hang (quadratic parsing would take hours); no test asserts on speed.
 */
class HostileMessageTest {

    static final String OLAF = "olaf@herald.test";
    static final Duration HANG = Duration.ofSeconds(120);

    @TempDir Path dir;
    final TestSupport.Events events = new TestSupport.Events();

    LuceneMailboxStore open(Map<String, String> config) {
        return new LuceneMailboxStore(dir, new TestSupport.MapConfig(config), events);
    }

    /** Delivers the message, checks it is stored exactly and findable by its marker, reopens, checks again. */
    void storedAndFindable(Map<String, String> config, byte[] message, String marker) throws Exception {
        assertTimeoutPreemptively(HANG, () -> {
            try (LuceneMailboxStore store = open(config)) {
                store.create(OLAF);
                StoredMessage m = store.deliver(inbox(OLAF, message, "k1"));
                assertThat(read(store.content(OLAF, "INBOX", m.uid()).orElseThrow())).isEqualTo(message);
                assertThat(store.search(OLAF, "INBOX", marker)).extracting(StoredMessage::uid).containsExactly(m.uid());
                store.deliver(inbox(OLAF, TestSupport.message("after", "the next message is indexed too"), "k2"));
                assertThat(store.search(OLAF, "INBOX", "next")).hasSize(1);
            }
            // the index is rebuilt from the message files: the same message must not stop the store from opening
            LuceneMailboxStoreTest.deleteRecursively(dir.resolve("index"));
            try (LuceneMailboxStore store = open(config)) {
                assertThat(store.list(OLAF, "INBOX")).hasSize(2);
                assertThat(store.search(OLAF, "INBOX", marker)).hasSize(1);
                assertThat(store.search(OLAF, "INBOX", "next")).hasSize(1);
            }
        });
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void anImmenseMessageIdIsStoredAndTheStoreStillOpens() throws Exception {
        // Lucene refuses a keyword term over 32766 octets ("immense term"): an uncapped Message-ID field would fail
        // the document, and the reindex at every later start with it
        String id = "<" + "x".repeat(40_000) + "@herald.test>";
        storedAndFindable(Map.of(), bytes("From: a@b.test\r\nSubject: snowflake\r\nMessage-ID: " + id
                + "\r\n\r\nbody\r\n"), "snowflake");
    }

    @Test
    void hugeHeaderFieldsAreStoredAndCapped() throws Exception {
        StringBuilder m = new StringBuilder("From: a@b.test\r\nSubject: avalanche\r\n");
        m.append("X-Huge: ").append("word ".repeat(200_000)).append("\r\n");             // 1 MB, one field
        for (int i = 0; i < 20_000; i++) m.append("X-Many-").append(i).append(": v\r\n"); // 20,000 fields
        m.append("Date: ").append("(".repeat(100_000)).append("\r\n");                     // a date to choke a regex
        m.append("\r\nbody after the headers\r\n");
        storedAndFindable(Map.of(), bytes(m.toString()), "avalanche");
    }

    @Test
    void deepMimeNestingIsStoredAndReadOnlyToTheDepthLimit() throws Exception {
        int depth = 2_000;
        StringBuilder m = new StringBuilder("From: a@b.test\r\nSubject: matryoshka\r\nMIME-Version: 1.0\r\n");
        for (int i = 0; i < depth; i++) {
            m.append("Content-Type: multipart/mixed; boundary=\"b").append(i).append("\"\r\n\r\n--b").append(i).append("\r\n");
        }
        m.append("Content-Type: text/plain\r\n\r\ninnermost\r\n");
        for (int i = depth - 1; i >= 0; i--) m.append("--b").append(i).append("--\r\n");
        storedAndFindable(Map.of("index.max-mime-depth", "10"), bytes(m.toString()), "matryoshka");
        try (LuceneMailboxStore store = open(Map.of("index.max-mime-depth", "10"))) {
            assertThat(store.search(OLAF, "INBOX", "innermost")).as("text below the depth limit is not indexed").isEmpty();
        }
    }

    @Test
    void manyTinyPartsAreStoredAndIndexedUpToThePartLimit() throws Exception {
        StringBuilder m = new StringBuilder("From: a@b.test\r\nSubject: confetti\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: multipart/mixed; boundary=\"p\"\r\n\r\n");
        for (int i = 0; i < 30_000; i++) {
            m.append("--p\r\nContent-Type: text/plain; name=\"part").append(i).append(".txt\"\r\n\r\nword").append(i).append("\r\n");
        }
        m.append("--p--\r\n");
        storedAndFindable(Map.of("index.max-parts", "100"), bytes(m.toString()), "confetti");
        try (LuceneMailboxStore store = open(Map.of("index.max-parts", "100"))) {
            assertThat(store.search(OLAF, "INBOX", "word5")).hasSize(1);
            assertThat(store.search(OLAF, "INBOX", "word20000")).as("parts after the limit are not indexed").isEmpty();
        }
    }

    @Test
    void pathologicalHtmlIsReducedToTextInLinearTime() throws Exception {
        // unclosed <script, <!-- and < by the hundred thousand: a backtracking regex would scan to the end from each
        String html = "<p>visible frost</p>" + "<script>".repeat(50_000) + "<!--".repeat(50_000) + "<".repeat(200_000);
        storedAndFindable(Map.of(), bytes("From: a@b.test\r\nSubject: glacier\r\nMIME-Version: 1.0\r\n"
                + "Content-Type: text/html\r\n\r\n" + html + "\r\n"), "frost");
    }

    @Test
    void htmlToTextKeepsTextAndDropsMarkup() {
        String text = MessageParser.htmlToText("<p>Hello&nbsp;<b>Anna</b></p><script type=x>var x = '<p>no</p>';</SCRIPT>"
                + "<style>p{}</style><!-- hidden --> &amp; &#x263A; &#9731; &#99999999; &bogus &lt;tag&gt; <a href='x>y'>link</a> <unclosed");
        assertThat(text.split("\\s+")).containsSubsequence("Hello", "Anna", "&", "\u263A", "\u2603", "&bogus", "<tag>", "link");
        assertThat(text).doesNotContain("var", "no", "p{}", "hidden", "href", "unclosed", "y'");
    }

    @Test
    void parserLimitsHoldOnTheParsedMessage() {
        MessageParser p = new MessageParser(1000, 5, 3);
        StringBuilder m = new StringBuilder("Subject: s\r\nContent-Type: multipart/mixed; boundary=\"p\"\r\n\r\n");
        for (int i = 0; i < 10; i++) m.append("--p\r\nContent-Disposition: attachment; filename=\"f").append(i).append("\"\r\n\r\nx\r\n");
        m.append("--p--\r\n");
        ParsedMessage parsed = p.parse(new java.io.ByteArrayInputStream(bytes(m.toString())));
        assertThat(parsed.attachmentNames()).containsExactly("f0", "f1", "f2");
        assertThat(parsed.messageId()).isEmpty();
        List<Map.Entry<String, String>> headers = parsed.headers();
        assertThat(headers).hasSize(2);
    }
}

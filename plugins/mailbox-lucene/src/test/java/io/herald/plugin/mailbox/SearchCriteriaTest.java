package io.herald.plugin.mailbox;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.FlagOp;
import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.SearchCriteria;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.mailbox.UidSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.herald.api.mailbox.SearchCriteria.*;
import static org.assertj.core.api.Assertions.assertThat;

/** Every SEARCH key against corpus messages, including German, Russian and Japanese text and attachment names. */
class SearchCriteriaTest {

    static final String OLAF = "olaf@herald.test";
    static final Map<String, String> FILES = Map.of(
            "german", "mime-edge/mail-mime-parser/m4001.txt",                 // iso-8859-1 "Frösche"
            "russian", "real/sisimai-bounces/lhost-mailru-01.eml",            // utf-8 Cyrillic body and RFC 2047 subject
            "japanese", "mime-edge/ruby-mail/multi_charset/japanese_iso_2022.eml", // iso-2022-jp subject and body
            "japanese2", "mime-edge/mimekit/messages/japanese.txt",
            "attachment", "real/hunnysoft-mua-samples/m0011.eml",             // blueball.png, greenball.png, redball.png
            "cyrillic1251", "spam/spamassassin/spam_2/00281.d5147756d766fba6dbc649f786e38bc2",
            "ham", "ham/spamassassin/easy_ham/00236.0d42e8e99de86aae42a4f3e3cdc2465b"); // From HAMILTON,DAVID, [ILUG]

    @TempDir static Path dir;
    static LuceneMailboxStore store;
    static final Map<String, Long> uid = new HashMap<>();
    static final Map<String, StoredMessage> msg = new HashMap<>();

    @BeforeAll
    static void load() throws Exception {
        store = new LuceneMailboxStore(dir, TestSupport.CONFIG, e -> { });
        store.create(OLAF);
        int day = 1;
        for (String k : List.of("german", "russian", "japanese", "japanese2", "attachment", "cyrillic1251", "ham")) {
            byte[] b = Files.readAllBytes(TestSupport.corpus().resolve(FILES.get(k)));
            StoredMessage m = store.append(OLAF, "INBOX", MessageContent.of(b), Set.of(),
                    Instant.parse(String.format("2026-01-%02dT12:00:00Z", day++)));
            uid.put(k, m.uid());
            msg.put(k, m);
        }
        byte[] own = ("From: Elsa Arendelle <elsa@herald.test>\r\nTo: olaf@herald.test\r\nCc: anna@herald.test\r\n"
                + "Bcc: kristoff@herald.test\r\nSubject: Snowman building instructions\r\nX-Mood: frosty and cheerful\r\n"
                + "Date: Mon, 15 Dec 2025 10:00:00 +0000\r\nMessage-ID: <snow@herald.test>\r\n\r\nBring a carrot for the nose.\r\n")
                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        StoredMessage m = store.append(OLAF, "INBOX", MessageContent.of(own), Set.of(Flags.SEEN, "$Important"),
                Instant.parse("2026-02-01T00:00:00Z"));
        uid.put("own", m.uid());
        msg.put("own", m);
    }

    @AfterAll
    static void close() throws Exception {
        store.close();
    }

    static List<Long> search(SearchCriteria c) throws Exception {
        return store.search(OLAF, "INBOX", c);
    }

    static long u(String k) {
        return uid.get(k);
    }

    @Test
    void allMatchesEverything() throws Exception {
        assertThat(search(all())).hasSize(8).isSorted();
    }

    @Test
    void headerFields() throws Exception {
        assertThat(search(from("elsa"))).containsExactly(u("own"));
        assertThat(search(from("lsa@herald.t"))).containsExactly(u("own")); // true substring, via the normalized value
        assertThat(search(from("HAMILTON"))).containsExactly(u("ham"));
        assertThat(search(to("olaf@herald.test"))).containsExactly(u("own"));
        // an address matches as a substring only, never by its words: "elsa" and "herald.test" are both in the
        // own message's From, but "lsa@herald.tes" is a substring and "elsa@herald.test.example" is not
        assertThat(search(from("lsa@herald.tes"))).containsExactly(u("own"));
        assertThat(search(from("elsa@herald.test.example"))).isEmpty();
        assertThat(search(from("herald.test@elsa"))).isEmpty();
        assertThat(search(cc("anna"))).containsExactly(u("own"));
        assertThat(search(bcc("kristoff"))).containsExactly(u("own"));
        assertThat(search(subject("snowman build"))).containsExactly(u("own")); // phrase with a prefix at the end
        assertThat(search(subject("[ILUG]"))).containsExactly(u("ham"));
        assertThat(search(header("X-Mood", "cheerful"))).containsExactly(u("own"));
        assertThat(search(header("x-mood", ""))).containsExactly(u("own")); // field present
        assertThat(search(header("Message-ID", "<snow@herald.test>"))).containsExactly(u("own"));
        assertThat(search(subject("no such words here"))).isEmpty();
    }

    @Test
    void bodyAndText() throws Exception {
        assertThat(search(body("carrot"))).containsExactly(u("own"));
        assertThat(search(body("snowman"))).isEmpty(); // only in the subject
        assertThat(search(text("snowman"))).containsExactly(u("own"));
        assertThat(search(text("kristoff"))).containsExactly(u("own"));
        assertThat(search(body("ISDN"))).containsExactly(u("ham"));
    }

    @Test
    void nonAsciiText() throws Exception {
        assertThat(search(body("Frösche"))).containsExactly(u("german"));
        assertThat(search(body("frösche"))).containsExactly(u("german"));
        assertThat(search(body("автоматически"))).containsExactly(u("russian"));
        assertThat(search(body("Автоматич"))).containsExactly(u("russian")); // prefix
        assertThat(search(subject("Ваше сообщение"))).containsExactly(u("russian")); // RFC 2047 UTF-8 subject
        assertThat(search(subject("まみむめも"))).containsExactly(u("japanese"));
        assertThat(search(body("すみません"))).containsExactly(u("japanese"));
        assertThat(search(subject("日本語"))).containsExactly(u("japanese2"));
        assertThat(search(body("正常に"))).containsExactly(u("japanese2"));
        assertThat(search(text("テスト"))).containsExactly(u("japanese2"));
    }

    @Test
    void attachmentNames() throws Exception {
        assertThat(search(text("greenball.png"))).containsExactly(u("attachment"));
        assertThat(search(body("redball"))).containsExactly(u("attachment"));
    }

    @Test
    void datesSizesAndUids() throws Exception {
        assertThat(search(on(LocalDate.parse("2026-01-02")))).containsExactly(u("russian"));
        assertThat(search(before(LocalDate.parse("2026-01-03")))).containsExactly(u("german"), u("russian"));
        assertThat(search(since(LocalDate.parse("2026-01-07")))).containsExactly(u("ham"), u("own"));
        assertThat(search(sentOn(LocalDate.parse("2025-12-15")))).containsExactly(u("own"));
        assertThat(search(and(sentSince(LocalDate.parse("2025-12-01")), sentBefore(LocalDate.parse("2025-12-16"))))).containsExactly(u("own"));
        long size = msg.get("own").size();
        assertThat(search(larger(size - 1))).contains(u("own"));
        assertThat(search(smaller(size + 1))).contains(u("own")).allMatch(x -> msg.values().stream()
                .filter(m -> m.uid() == x).allMatch(m -> m.size() <= size));
        assertThat(search(uid(UidSet.parse("2:3")))).containsExactly(2L, 3L);
    }

    @Test
    void flagsAndBooleans() throws Exception {
        assertThat(search(seen())).containsExactly(u("own"));
        assertThat(search(unseen())).hasSize(7);
        assertThat(search(keyword("$important"))).containsExactly(u("own"));
        assertThat(search(unkeyword("$Important"))).hasSize(7);
        assertThat(search(recent())).isEmpty();
        assertThat(search(old())).hasSize(8);
        assertThat(search(or(body("carrot"), body("ISDN")))).containsExactly(u("ham"), u("own"));
        assertThat(search(and(not(seen()), from("HAMILTON")))).containsExactly(u("ham"));
        assertThat(search(not(text("carrot")))).hasSize(7).doesNotContain(u("own"));
    }

    @Test
    void flagChangesAreSearchableAtOnceAndModSeqToo() throws Exception {
        long before = store.folderInfo(OLAF, "INBOX").highestModSeq();
        store.storeFlags(OLAF, "INBOX", UidSet.of(u("german")), FlagOp.ADD, Set.of(Flags.FLAGGED, Flags.ANSWERED, Flags.DRAFT));
        assertThat(search(and(flagged(), answered(), draft()))).containsExactly(u("german"));
        assertThat(search(modSeq(before + 1))).containsExactly(u("german"));
        store.storeFlags(OLAF, "INBOX", UidSet.of(u("german")), FlagOp.REMOVE, Set.of(Flags.FLAGGED, Flags.ANSWERED, Flags.DRAFT));
        assertThat(search(flagged())).isEmpty();
        assertThat(search(and(unflagged(), unanswered(), undraft(), undeleted()))).hasSize(8);
    }
}

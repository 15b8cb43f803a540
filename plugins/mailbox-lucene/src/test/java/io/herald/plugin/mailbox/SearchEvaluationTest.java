package io.herald.plugin.mailbox;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.SearchCriteria;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.mailbox.UidSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

import static io.herald.api.mailbox.SearchCriteria.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * How the store combines criteria (index parts as one Lucene query, in-memory parts tested on the index hits, NOT as
 * the complement within the folder): random AND/OR/NOT trees of index and in-memory criteria against an oracle that
 * knows what each message contains, before and after messages are expunged and flags change.
 */
class SearchEvaluationTest {

    static final String OLAF = "olaf@herald.test";
    @TempDir Path dir;

    /** What a test message is made of, to judge a criterion without the store. */
    record Made(long uid, Set<String> words, long size) { }

    /** A criterion with the oracle's verdict on a message (its flags looked up at judging time). */
    record Case(SearchCriteria criteria, Predicate<Made> oracle, String text) { }

    @Test
    void randomCombinationsAgreeWithTheOracle() throws Exception {
        try (LuceneMailboxStore store = new LuceneMailboxStore(dir, TestSupport.CONFIG, e -> { })) {
            store.create(OLAF);
            Map<Long, Made> made = new TreeMap<>();
            for (int i = 1; i <= 40; i++) {
                Set<String> words = new HashSet<>();
                if (i % 2 == 0) words.add("alpha");
                if (i % 3 == 0) words.add("beta");
                if (i % 7 == 0) words.add("gamma");
                StringBuilder body = new StringBuilder("Subject: note " + (i % 5 == 0 ? "urgent" : "plain") + "\r\n\r\nfiller");
                for (String w : words) body.append(' ').append(w);
                body.append("\r\n").append("x".repeat(i * 3)).append("\r\n");
                Set<String> flags = new HashSet<>();
                if (i % 4 == 0) flags.add(Flags.FLAGGED);
                if (i % 5 < 2) flags.add(Flags.SEEN);
                StoredMessage m = store.append(OLAF, "INBOX", MessageContent.of(body.toString().getBytes(StandardCharsets.US_ASCII)),
                        flags, Instant.parse("2026-01-01T00:00:00Z"));
                if (i % 5 == 0) words.add("urgent");
                made.put(m.uid(), new Made(m.uid(), words, m.size()));
            }
            Random r = new Random(42);
            check(store, made, r);
            // expunge a third, change flags of others: neither an expunged message nor a stale flag is ever answered
            List<Long> gone = new ArrayList<>();
            for (long u : made.keySet()) if (u % 3 == 1) gone.add(u);
            store.storeFlags(OLAF, "INBOX", UidSet.of(gone), io.herald.api.mailbox.FlagOp.ADD, Set.of(Flags.DELETED));
            store.expunge(OLAF, "INBOX", UidSet.of(gone));
            gone.forEach(made::remove);
            List<Long> flip = new ArrayList<>();
            for (long u : made.keySet()) if (u % 5 == 2) flip.add(u);
            store.storeFlags(OLAF, "INBOX", UidSet.of(flip), io.herald.api.mailbox.FlagOp.ADD, Set.of(Flags.FLAGGED));
            check(store, made, r);
            assertThat(store.search(OLAF, "INBOX", body("alpha"))).doesNotContainAnyElementsOf(gone);
            assertThat(store.search(OLAF, "INBOX", not(body("alpha")))).doesNotContainAnyElementsOf(gone);
        }
    }

    private static void check(LuceneMailboxStore store, Map<Long, Made> made, Random r) throws Exception {
        Map<Long, Set<String>> flags = new TreeMap<>();
        for (StoredMessage m : store.list(OLAF, "INBOX")) flags.put(m.uid(), m.flags());
        // the hand-picked ones first: AND of index and flag, NOT of a word, OR across kinds, UID sets with words
        List<Case> cases = new ArrayList<>(List.of(
                allOf(word("alpha"), flag(Flags.FLAGGED, flags)),
                none(word("beta")),
                allOf(word("alpha"), word("beta"), none(flag(Flags.SEEN, flags))),
                anyOf(word("gamma"), flag(Flags.FLAGGED, flags)),
                allOf(uids(10, 30), word("alpha")),
                allOf(everything(), none(anyOf(word("alpha"), word("beta")))),
                // an index criterion AND an OR of index criteria (IMAP: SUBJECT urgent OR BODY alpha BODY beta): the
                // AND's index parts are not one query then; this recursed without end (found by ImapCommandFuzzTest)
                allOf(new Case(subject("urgent"), m -> m.words().contains("urgent"), "SUBJECT urgent"), anyOf(word("alpha"), word("beta"))),
                allOf(anyOf(word("alpha"), word("beta")), anyOf(word("gamma"), word("beta")), flag(Flags.FLAGGED, flags))));
        for (int i = 0; i < 300; i++) cases.add(random(r, 3, flags));
        for (Case c : cases) {
            List<Long> expected = made.values().stream().filter(c.oracle()).map(Made::uid).toList();
            assertThat(store.search(OLAF, "INBOX", c.criteria())).as(c.text()).containsExactlyElementsOf(expected);
        }
    }

    private static Case random(Random r, int depth, Map<Long, Set<String>> flags) {
        int k = depth == 0 ? r.nextInt(6) : r.nextInt(10);
        return switch (k) {
            case 0 -> word(List.of("alpha", "beta", "gamma", "nothere").get(r.nextInt(4)));
            case 1 -> flag(r.nextBoolean() ? Flags.SEEN : Flags.FLAGGED, flags);
            case 2 -> uids(1 + r.nextInt(40), 1 + r.nextInt(40));
            case 3 -> {
                long n = 60 + r.nextInt(120);
                yield new Case(larger(n), m -> m.size() > n, "LARGER " + n);
            }
            case 4 -> new Case(subject("urgent"), m -> m.words().contains("urgent"), "SUBJECT urgent");
            case 5 -> new Case(all(), m -> true, "ALL");
            case 6 -> {
                Case c = random(r, depth - 1, flags);
                yield new Case(not(c.criteria()), c.oracle().negate(), "NOT (" + c.text() + ")");
            }
            case 7, 8 -> {
                List<Case> parts = new ArrayList<>();
                for (int i = 1 + r.nextInt(3); i >= 0; i--) parts.add(random(r, depth - 1, flags));
                yield combine(k == 7, parts);
            }
            default -> {
                Case a = random(r, depth - 1, flags), b = random(r, depth - 1, flags);
                yield combine(false, List.of(a, b));
            }
        };
    }

    private static Case combine(boolean and, List<Case> parts) {
        List<SearchCriteria> c = parts.stream().map(Case::criteria).toList();
        Predicate<Made> p = parts.get(0).oracle();
        for (Case x : parts.subList(1, parts.size())) p = and ? p.and(x.oracle()) : p.or(x.oracle());
        return new Case(and ? new SearchCriteria.And(c) : new SearchCriteria.Or(c), p,
                (and ? "AND" : "OR") + parts.stream().map(Case::text).toList());
    }

    private static Case allOf(Case... parts) {
        return combine(true, List.of(parts));
    }

    private static Case anyOf(Case... parts) {
        return combine(false, List.of(parts));
    }

    private static Case none(Case c) {
        return new Case(SearchCriteria.not(c.criteria()), c.oracle().negate(), "NOT (" + c.text() + ")");
    }

    private static Case everything() {
        return new Case(SearchCriteria.all(), m -> true, "ALL");
    }

    private static Case word(String w) {
        return new Case(body(w), m -> m.words().contains(w), "BODY " + w);
    }

    private static Case flag(String f, Map<Long, Set<String>> flags) {
        return new Case(new SearchCriteria.Flag(f, true), m -> flags.get(m.uid()).contains(f), f);
    }

    private static Case uids(long a, long b) {
        long lo = Math.min(a, b), hi = Math.max(a, b);
        return new Case(uid(UidSet.range(lo, hi)), m -> m.uid() >= lo && m.uid() <= hi, "UID " + lo + ":" + hi);
    }
}

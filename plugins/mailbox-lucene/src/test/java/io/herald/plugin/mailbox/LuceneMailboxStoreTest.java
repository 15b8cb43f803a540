package io.herald.plugin.mailbox;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static io.herald.plugin.mailbox.TestSupport.CONFIG;
import static io.herald.plugin.mailbox.TestSupport.inbox;
import static io.herald.plugin.mailbox.TestSupport.message;
import static io.herald.plugin.mailbox.TestSupport.read;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LuceneMailboxStoreTest {

    static final String OLAF = "olaf@herald.test";
    static final String ELSA = "elsa@herald.test";

    @TempDir Path dir;
    final TestSupport.Events events = new TestSupport.Events();

    LuceneMailboxStore open() {
        return new LuceneMailboxStore(dir, CONFIG, events);
    }

    LuceneMailboxStore openReadOnly() {
        return new LuceneMailboxStore(dir, CONFIG, events, Clock.systemUTC(), true);
    }

    @Test
    void createMakesDefaultFoldersAndPublishes() throws Exception {
        try (LuceneMailboxStore store = open()) {
            assertThat(store.exists(OLAF)).isFalse();
            store.create(OLAF);
            store.create(OLAF); // no-op
            assertThat(store.exists(OLAF)).isTrue();
            assertThat(store.mailboxes()).containsExactly(OLAF);
            assertThat(store.folders(OLAF)).containsExactly("INBOX", "Drafts", "Junk", "Sent", "Trash");
            assertThat(events.of(MailboxEvent.FolderChanged.class)).hasSize(Folders.DEFAULTS.size())
                    .allMatch(e -> e.change() == MailboxEvent.FolderChanged.Change.CREATED);
        }
    }

    @Test
    void corpusRoundTripsByteExactAndIsSearchable() throws Exception {
        List<Path> files = new ArrayList<>(TestSupport.messages("real/hunnysoft-mua-samples"));
        List<Path> ham = TestSupport.messages("real/spamassassin-easy_ham_2");
        for (int i = 0; i < ham.size(); i += 7) files.add(ham.get(i)); // 200 of 1,400
        files.addAll(TestSupport.messages("mime-edge"));
        assertThat(files).hasSizeGreaterThan(800);

        Map<Path, StoredMessage> stored = new LinkedHashMap<>();
        try (LuceneMailboxStore store = open()) {
            store.create(OLAF);
            for (Path f : files) {
                stored.put(f, store.deliver(inbox(OLAF, Files.readAllBytes(f), f.toString())));
            }
            assertThat(store.list(OLAF, Folders.INBOX)).hasSize(files.size());
            for (Map.Entry<Path, StoredMessage> e : stored.entrySet()) {
                byte[] expected = Files.readAllBytes(e.getKey());
                assertThat(e.getValue().size()).isEqualTo(expected.length);
                byte[] actual = read(store.content(OLAF, Folders.INBOX, e.getValue().uid()).orElseThrow());
                assertThat(actual).as(e.getKey().toString()).isEqualTo(expected);
            }
            assertThat(events.of(MailboxEvent.MessageAdded.class)).hasSize(files.size());

            Path m0001 = TestSupport.corpus().resolve("real/hunnysoft-mua-samples/m0001.eml");
            long uid0001 = stored.get(m0001).uid();
            assertThat(stored.get(m0001).subject()).isEqualToNormalizingWhitespace("Die Hasen und die Frösche (Microsoft Outlook 00)");
            assertThat(uids(store.search(OLAF, Folders.INBOX, "subject:Hasen"))).contains(uid0001);
            assertThat(uids(store.search(OLAF, Folders.INBOX, "Raubtiere"))).contains(uid0001); // body, ISO-8859-1
            assertThat(uids(store.search(OLAF, Folders.INBOX, "Frösche"))).contains(uid0001);   // raw 8-bit header
            assertThat(uids(store.search(OLAF, Folders.INBOX, "ersäufen"))).contains(uid0001);  // body, non-ASCII

            Path japanese = TestSupport.corpus().resolve("mime-edge/ruby-mail/multi_charset/japanese.eml");
            long uidJa = stored.get(japanese).uid();
            assertThat(stored.get(japanese).subject()).isEqualTo("まみむめも");
            assertThat(uids(store.search(OLAF, Folders.INBOX, "まみむめも"))).contains(uidJa); // RFC 2047 subject
            assertThat(uids(store.search(OLAF, Folders.INBOX, "かきくえこ"))).contains(uidJa); // base64 UTF-8 body
            assertThat(store.search(OLAF, null, "zzyzxnotaword")).isEmpty();
        }
    }

    @Test
    void unparseableMessageIsStoredExactly() throws Exception {
        byte[] garbage = new byte[70_000];
        new java.util.Random(7).nextBytes(garbage);
        byte[] brokenMime = ("Content-Type: multipart/mixed; boundary=\"x\"\r\nSubject: broken walrus\r\n\r\n--x\r\n"
                + "Content-Type: text/plain; charset=no-such-charset\r\nContent-Transfer-Encoding: base64\r\n\r\n%%%%not base64"
                + "\r\n--x").getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        try (LuceneMailboxStore store = open()) {
            store.create(OLAF);
            StoredMessage a = store.deliver(inbox(OLAF, garbage, "g"));
            StoredMessage b = store.deliver(inbox(OLAF, brokenMime, "b"));
            StoredMessage empty = store.deliver(inbox(OLAF, new byte[0], "e"));
            assertThat(read(store.content(OLAF, "INBOX", a.uid()).orElseThrow())).isEqualTo(garbage);
            assertThat(read(store.content(OLAF, "INBOX", b.uid()).orElseThrow())).isEqualTo(brokenMime);
            assertThat(read(store.content(OLAF, "INBOX", empty.uid()).orElseThrow())).isEmpty();
            assertThat(uids(store.search(OLAF, "INBOX", "walrus"))).containsExactly(b.uid());
        }
    }

    @Test
    void redeliveryWithTheSameKeyStoresOnceAlsoAfterReopen() throws Exception {
        StoredMessage first;
        try (LuceneMailboxStore store = open()) {
            store.create(OLAF);
            first = store.deliver(inbox(OLAF, message("hello", "first"), "queue-1/olaf"));
            StoredMessage again = store.deliver(inbox(OLAF, message("hello", "first"), "queue-1/olaf"));
            assertThat(again).isEqualTo(first);
            assertThat(store.list(OLAF, "INBOX")).hasSize(1);
            assertThat(events.of(MailboxEvent.MessageAdded.class)).hasSize(1);
        }
        try (LuceneMailboxStore store = open()) {
            StoredMessage afterRestart = store.deliver(inbox(OLAF, message("hello", "first"), "queue-1/olaf"));
            assertThat(afterRestart).isEqualTo(first);
            assertThat(store.list(OLAF, "INBOX")).containsExactly(first);
            StoredMessage other = store.deliver(inbox(OLAF, message("hello", "first"), "queue-2/olaf"));
            assertThat(other.uid()).isGreaterThan(first.uid());
        }
    }

    @Test
    void oneMessageToManyMailboxesIsStoredOnce() throws Exception {
        byte[] bytes = message("party", "at the castle");
        try (LuceneMailboxStore store = open()) {
            store.create(OLAF);
            store.create(ELSA);
            store.deliver(inbox(OLAF, bytes, "q1/olaf"));
            store.deliver(TestSupport.delivery(ELSA, Folders.JUNK, bytes, "q1/elsa"));
            assertThat(read(store.content(ELSA, Folders.JUNK, 1).orElseThrow())).isEqualTo(bytes);
            assertThat(events.of(MailboxEvent.MessageAdded.class)).extracting(MailboxEvent.MessageAdded::junk)
                    .containsExactly(false, true);
        }
        try (Stream<Path> s = Files.walk(dir.resolve("blobs"))) {
            assertThat(s.filter(Files::isRegularFile).count()).isEqualTo(1);
        }
    }

    @Test
    void unknownMailboxOrFolderIsRefusedPermanently() throws Exception {
        try (LuceneMailboxStore store = open()) {
            assertThatThrownBy(() -> store.deliver(inbox(OLAF, message("a", "b"), "k")))
                    .isInstanceOf(MailboxException.class).matches(e -> !((MailboxException) e).isTemporary());
            store.create(OLAF);
            assertThatThrownBy(() -> store.deliver(TestSupport.delivery(OLAF, "Nope", message("a", "b"), "k")))
                    .isInstanceOf(MailboxException.class).matches(e -> !((MailboxException) e).isTemporary());
            assertThat(store.content(OLAF, "INBOX", 42)).isEmpty();
        }
    }

    @Test
    void concurrentDeliveriesGetStrictlyAscendingUids() throws Exception {
        int threads = 8, perThread = 40;
        try (LuceneMailboxStore store = open()) {
            store.create(OLAF);
            store.create(ELSA);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<List<Long>>> futures = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    int id = t;
                    Callable<List<Long>> job = () -> {
                        List<Long> mine = new ArrayList<>();
                        for (int i = 0; i < perThread; i++) {
                            String mb = i % 4 == 0 ? ELSA : OLAF;
                            StoredMessage m = store.deliver(inbox(mb, message("t" + id + " n" + i, "body " + i), id + "/" + i));
                            if (mb.equals(OLAF)) mine.add(m.uid());
                        }
                        return mine;
                    };
                    futures.add(pool.submit(job));
                }
                for (Future<List<Long>> f : futures) {
                    assertThat(f.get()).isSorted().doesNotHaveDuplicates();
                }
            } finally {
                pool.shutdown();
            }
            List<Long> olaf = uids(store.list(OLAF, "INBOX"));
            List<Long> elsa = uids(store.list(ELSA, "INBOX"));
            assertThat(olaf).hasSize(threads * perThread * 3 / 4).doesNotHaveDuplicates().isSorted();
            assertThat(elsa).hasSize(threads * perThread / 4).doesNotHaveDuplicates().isSorted();
            assertThat(olaf.get(olaf.size() - 1)).isEqualTo(olaf.size()); // no gaps: 1..n
        }
    }

    @Test
    void closeAndReopenKeepsEverything() throws Exception {
        List<StoredMessage> before;
        long uidValidity;
        try (LuceneMailboxStore store = open()) {
            store.create(OLAF);
            for (int i = 0; i < 5; i++) store.deliver(inbox(OLAF, message("snowman " + i, "carrot nose"), "k" + i));
            before = store.list(OLAF, "INBOX");
            uidValidity = before.get(0).uidValidity();
        }
        try (LuceneMailboxStore store = open()) {
            assertThat(store.mailboxes()).containsExactly(OLAF);
            assertThat(store.list(OLAF, "INBOX")).isEqualTo(before);
            assertThat(store.search(OLAF, "INBOX", "carrot")).hasSize(5);
            StoredMessage next = store.deliver(inbox(OLAF, message("snowman 5", "x"), "k5"));
            assertThat(next.uid()).isEqualTo(6);
            assertThat(next.uidValidity()).isEqualTo(uidValidity);
        }
    }

    @Test
    void deletedIndexIsRebuiltFromLogsAndBlobs() throws Exception {
        try (LuceneMailboxStore store = open()) {
            store.create(OLAF);
            store.deliver(inbox(OLAF, message("reindeer", "sven likes carrots"), "k1"));
            store.deliver(inbox(OLAF, message("troll", "grand pabbie"), "k2"));
        }
        deleteRecursively(dir.resolve("index"));
        try (LuceneMailboxStore store = open()) {
            assertThat(uids(store.search(OLAF, "INBOX", "carrots"))).containsExactly(1L);
            assertThat(uids(store.search(OLAF, "INBOX", "subject:troll"))).containsExactly(2L);
            store.reindex();
            assertThat(uids(store.search(OLAF, null, "pabbie"))).containsExactly(2L);
        }
    }

    @Test
    void deliveriesNotYetCommittedToTheIndexAreIndexedOnReopen() throws Exception {
        // commit interval far away: the only commits are at open; simulate a crash by copying the files
        // while the store is still open (the index copy then lacks the deliveries, the logs have them)
        Path copy = dir.resolveSibling(dir.getFileName() + "-crash");
        TestSupport.MapConfig slow = new TestSupport.MapConfig(Map.of("index.commit-interval", "1h"));
        try (LuceneMailboxStore store = new LuceneMailboxStore(dir, slow, events)) {
            store.create(OLAF);
            store.commit();
            store.deliver(inbox(OLAF, message("arendelle", "fjord"), "k1"));
            copyRecursively(dir, copy);
        }
        Files.deleteIfExists(copy.resolve("index/write.lock"));
        try (LuceneMailboxStore store = new LuceneMailboxStore(copy, slow, events)) {
            assertThat(uids(store.search(OLAF, "INBOX", "fjord"))).containsExactly(1L);
        } finally {
            deleteRecursively(copy);
        }
    }

    @Test
    void readOnlyStoreBesideAWriterSeesNewDeliveries() throws Exception {
        try (LuceneMailboxStore writer = open()) {
            writer.create(OLAF);
            writer.deliver(inbox(OLAF, message("one", "first"), "k1"));
            try (LuceneMailboxStore reader = openReadOnly()) {
                assertThat(reader.mailboxes()).containsExactly(OLAF);
                assertThat(reader.list(OLAF, "INBOX")).hasSize(1);
                byte[] two = message("two", "second");
                StoredMessage m = writer.deliver(inbox(OLAF, two, "k2"));
                writer.create(ELSA);
                assertThat(reader.list(OLAF, "INBOX")).extracting(StoredMessage::uid).containsExactly(1L, 2L);
                assertThat(read(reader.content(OLAF, "INBOX", m.uid()).orElseThrow())).isEqualTo(two);
                assertThat(reader.exists(ELSA)).isTrue();
                // the writer knows its mailboxes in memory (routers may ask it on a network thread); the reader
                // reads the writer's logs first
                assertThat(writer.existsWithoutBlocking()).isTrue();
                assertThat(reader.existsWithoutBlocking()).isFalse();
                assertThatThrownBy(() -> reader.deliver(inbox(OLAF, two, "k3"))).isInstanceOf(MailboxException.class);
                assertThatThrownBy(() -> reader.create("anna@herald.test")).isInstanceOf(MailboxException.class);
                writer.commit();
                assertThat(uids(reader.search(OLAF, "INBOX", "second"))).containsExactly(2L);
            }
            // the writer is unaffected
            writer.deliver(inbox(OLAF, message("three", "third"), "k3"));
        }
    }

    @Test
    void reindexBesideAWriterIsRefusedAndAfterItRebuildsADamagedIndex() throws Exception {
        List<Path> corpus = TestSupport.messages("real/hunnysoft-mua-samples");
        Map<String, StoredMessage> byWord = new LinkedHashMap<>();
        try (LuceneMailboxStore writer = open()) {
            writer.create(OLAF);
            writer.create(ELSA);
            for (int i = 0; i < 40; i++) {
                String word = "walrus" + i + "q";
                byWord.put(word, writer.deliver(inbox(i % 2 == 0 ? OLAF : ELSA, message("note " + i, "a " + word + " b"), "k" + i)));
            }
            for (Path f : corpus) writer.deliver(inbox(OLAF, Files.readAllBytes(f), f.toString()));
            // a running server holds the index's write lock: the read-only tool is refused and changes nothing
            try (LuceneMailboxStore reader = openReadOnly()) {
                assertThatThrownBy(reader::reindex).isInstanceOfSatisfying(io.herald.api.mailbox.StoreInUseException.class,
                        e -> assertThat(e.isTemporary()).isTrue())
                        .hasMessageContaining("held for writing").hasMessageContaining(dir.toString());
            }
            assertThat(writer.deliver(inbox(OLAF, message("after", "still writing"), "k-after")).uid()).isPositive();
        }
        // damage every file of the index (write.lock is Lucene's empty lock file, not index data)
        try (Stream<Path> files = Files.list(dir.resolve("index"))) {
            List<Path> damaged = files.filter(f -> !f.getFileName().toString().equals("write.lock")).toList();
            assertThat(damaged).isNotEmpty();
            for (Path f : damaged) Files.write(f, new byte[] {1, 2, 3});
        }
        int total = 40 + corpus.size() + 1;
        try (LuceneMailboxStore reader = openReadOnly()) {
            io.herald.api.mailbox.Reindexed done = reader.reindex();
            assertThat(done.mailboxes()).isEqualTo(2);
            assertThat(done.messages()).isEqualTo(total);
            assertThat(done.elapsed()).isPositive();
            for (Map.Entry<String, StoredMessage> e : byWord.entrySet()) {
                StoredMessage m = e.getValue();
                assertThat(uids(reader.search(m.mailbox(), Folders.INBOX, e.getKey()))).as(e.getKey()).containsExactly(m.uid());
            }
            assertThat(reader.search(OLAF, Folders.INBOX, "Raubtiere")).isNotEmpty();
            assertThat(reader.search(OLAF, Folders.INBOX, "still")).hasSize(1);
        }
        try (LuceneMailboxStore writer = open()) {
            assertThat(writer.indexedCount(OLAF) + writer.indexedCount(ELSA)).isEqualTo(total);
            // on a writing store, reindex runs in place
            assertThat(writer.reindex().messages()).isEqualTo(total);
            assertThat(uids(writer.search(ELSA, Folders.INBOX, "walrus1q"))).containsExactly(byWord.get("walrus1q").uid());
        }
    }

    @Test
    void readOnlyStoreOnAMissingFolderWritesNothing() throws Exception {
        Path missing = dir.resolve("nothing-here");
        try (LuceneMailboxStore reader = new LuceneMailboxStore(missing, CONFIG, events, Clock.systemUTC(), true)) {
            assertThat(reader.mailboxes()).isEmpty();
        }
        assertThat(missing).doesNotExist();
    }

    @Test
    void secondWriterOnTheSameFolderIsRefused() throws Exception {
        try (LuceneMailboxStore store = open()) {
            assertThatThrownBy(this::open).isInstanceOf(java.io.UncheckedIOException.class);
            store.create(OLAF);
        }
    }

    @Test
    void tornLastLogRecordIsIgnoredOnReopen() throws Exception {
        try (LuceneMailboxStore store = open()) {
            store.create(OLAF);
            for (int i = 1; i <= 3; i++) store.deliver(inbox(OLAF, message("m" + i, "b" + i), "k" + i));
        }
        Path logFile = dir.resolve("logs").resolve(LuceneMailboxStore.fileName(OLAF) + ".log");
        long size = Files.size(logFile);
        try (FileChannel ch = FileChannel.open(logFile, StandardOpenOption.WRITE)) {
            ch.truncate(size - 10); // the third record loses its tail, as in a crash mid-write
        }
        try (LuceneMailboxStore store = open()) {
            assertThat(uids(store.list(OLAF, "INBOX"))).containsExactly(1L, 2L);
            assertThat(store.search(OLAF, "INBOX", "b3")).isEmpty();
            StoredMessage again = store.deliver(inbox(OLAF, message("m3", "b3"), "k3"));
            assertThat(again.uid()).isEqualTo(3);
        }
        // garbage appended after a valid record (a torn length prefix) is ignored as well
        Files.write(logFile, new byte[] {0, 0, 1}, StandardOpenOption.APPEND);
        try (LuceneMailboxStore store = open()) {
            assertThat(uids(store.list(OLAF, "INBOX"))).containsExactly(1L, 2L, 3L);
            assertThat(store.deliver(inbox(OLAF, message("m4", "b4"), "k4")).uid()).isEqualTo(4);
        }
        try (LuceneMailboxStore store = open()) {
            assertThat(uids(store.list(OLAF, "INBOX"))).containsExactly(1L, 2L, 3L, 4L);
        }
    }

    /**
     * A message file is renamed to its hash before it is forced, so a power failure may leave it torn under its name
     * (its delivery never returned, so no log record refers to it). The garbage collection on open removes it; with
     * that off, storing the same bytes again must not trust the torn file.
     */
    @Test
    void tornMessageFileLeftByAPowerFailureIsNeverTrusted() throws Exception {
        byte[] bytes = message("torn", "snowflake");
        String hash = java.util.HexFormat.of().formatHex(BlobStore.sha256().digest(bytes));
        Path blob = dir.resolve("blobs").resolve(hash.substring(0, 2)).resolve(hash.substring(2));
        try (LuceneMailboxStore store = open()) {
            store.create(OLAF);
        }
        Files.createDirectories(blob.getParent());
        Files.write(blob, java.util.Arrays.copyOf(bytes, bytes.length / 2)); // torn: its first half only
        try (LuceneMailboxStore store = open()) {
            assertThat(blob).doesNotExist(); // blobs.gc-on-open: no record refers to it
        }
        Files.createDirectories(blob.getParent());
        Files.write(blob, new byte[bytes.length]); // torn another way: the right length, zeros
        var noGc = new TestSupport.MapConfig(Map.of("blobs.gc-on-open", "false"));
        try (LuceneMailboxStore store = new LuceneMailboxStore(dir, noGc, events)) {
            assertThat(blob).exists();
            StoredMessage m = store.deliver(inbox(OLAF, bytes, "k-torn"));
            assertThat(read(store.content(OLAF, "INBOX", m.uid()).orElseThrow())).isEqualTo(bytes);
            assertThat(store.search(OLAF, "INBOX", "snowflake")).hasSize(1);
        }
        assertThat(Files.readAllBytes(blob)).isEqualTo(bytes);
    }

    static List<Long> uids(List<StoredMessage> messages) {
        return messages.stream().map(StoredMessage::uid).toList();
    }

    static void deleteRecursively(Path p) throws java.io.IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.delete(q);
        }
    }

    static void copyRecursively(Path from, Path to) throws java.io.IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t);
            }
        }
    }
}

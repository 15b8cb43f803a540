package io.herald.plugin.mailbox;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.SearchCriteria;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Search latency (median, p99) on one folder of N messages made from the corpus (each corpus message reused with a
 * varied Subject/From/Message-ID header in front), disk bytes per message against the raw bytes, and reindex time.
 * Not part of the normal build; run with ({@code -Dherald.bench.messages=100000} is the default):
 * {@code mvn -B -pl plugins/mailbox-lucene -am test -Dgroups=benchmark -DexcludedGroups= -Dtest=SearchBenchmark -Dsurefire.failIfNoSpecifiedTests=false -Dherald.bench.messages=20000}. Internal dates span ~69 days whatever the size (one a minute at 100,000).
 */
@Tag("benchmark")
class SearchBenchmark {

    static final String OLAF = "olaf@herald.test";
    @TempDir Path dir;

    @Test
    void searchLatencyDiskAndReindex() throws Exception {
        int n = Integer.getInteger("herald.bench.messages", 100_000);
        List<byte[]> corpus = new ArrayList<>();
        for (String f : List.of("ham/spamassassin/easy_ham", "real/spamassassin-easy_ham_2", "spam/spamassassin/spam_2")) {
            for (Path p : TestSupport.messages(f)) corpus.add(Files.readAllBytes(p));
        }
        String[] names = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"};
        String[] topics = {"invoice", "meeting", "holiday", "release", "kernel", "budget", "party", "report", "travel", "security"};
        Random r = new Random(7);
        int[] topic = new int[n], name = new int[n];
        for (int i = 0; i < n; i++) {
            topic[i] = r.nextInt(topics.length);
            name[i] = r.nextInt(names.length);
        }
        // made on demand (not all held in memory: 100,000 messages are ~450 MB)
        java.util.function.IntFunction<byte[]> messages = i -> {
            byte[] body = corpus.get(i % corpus.size());
            String head = "Subject: " + topics[topic[i]] + " number " + i + "\r\nFrom: "
                    + names[name[i]] + i % 1000 + "@example" + (i % 37) + ".org\r\nMessage-ID: <bench" + i + "@herald.test>\r\n";
            byte[] h = head.getBytes(StandardCharsets.US_ASCII);
            byte[] m = Arrays.copyOf(h, h.length + body.length);
            System.arraycopy(body, 0, m, h.length, body.length);
            return m;
        };
        long raw = 0;
        for (int i = 0; i < n; i++) raw += messages.apply(i).length;
        try (LuceneMailboxStore store = new LuceneMailboxStore(dir, TestSupport.CONFIG, e -> { })) {
            store.create(OLAF);
            // The delivery figure: one append after the other, each durable before the next starts (no shared force).
            int timed = Math.min(n, Integer.getInteger("herald.bench.timedAppends", 2_000));
            long t0 = System.nanoTime();
            for (int i = 0; i < timed; i++) append(store, messages, n, i);
            double load = (System.nanoTime() - t0) / 1e9;
            System.out.printf("BENCHMARK %d sequential durable appends in %.1f s = %.0f appends/s%n", timed, load, timed / load);
            // The rest only fills the folder: concurrent appends share a log force (the store's group commit), so the
            // mailbox is built faster; UIDs then follow completion order, which no search below depends on.
            long tFill = System.nanoTime();
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger(timed);
            List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                fs.add(pool.submit(() -> {
                    for (int i = next.getAndIncrement(); i < n; i = next.getAndIncrement()) append(store, messages, n, i);
                    return null;
                }));
            }
            for (java.util.concurrent.Future<?> f : fs) f.get();
            pool.shutdown();
            store.commit();
            double fill = (System.nanoTime() - tFill) / 1e9;
            System.out.printf("BENCHMARK loaded %d messages (%.1f MB raw): the remaining %d by 8 threads in %.1f s = %.0f appends/s%n",
                    n, raw / 1e6, n - timed, fill, (n - timed) / fill);
            assertThat(store.list(OLAF, Folders.INBOX)).hasSize(n);

            List<SearchCriteria> word = List.of(SearchCriteria.body("kernel"), SearchCriteria.body("spamassassin"),
                    SearchCriteria.text("linux"), SearchCriteria.body("mortgage"), SearchCriteria.body("python"));
            List<SearchCriteria> header = List.of(SearchCriteria.subject("meeting"), SearchCriteria.from("grace"),
                    SearchCriteria.from("carol17@example3"), SearchCriteria.subject("number 4242"), SearchCriteria.header("X-Mailer", "outlook"));
            List<SearchCriteria> mixed = List.of(SearchCriteria.and(SearchCriteria.unseen(), SearchCriteria.body("linux"),
                    SearchCriteria.since(java.time.LocalDate.parse("2023-12-01"))));
            run(store, "full-text word", word);
            run(store, "header field", header);
            run(store, "flag+date+word", mixed);

            long disk = size(dir.resolve("blobs")) + size(dir.resolve("logs")) + size(dir.resolve("index"));
            System.out.printf("BENCHMARK disk: blobs %.1f MB, logs %.1f MB, index %.1f MB; %.0f bytes/message stored vs %.0f raw (%.2fx)%n",
                    size(dir.resolve("blobs")) / 1e6, size(dir.resolve("logs")) / 1e6, size(dir.resolve("index")) / 1e6,
                    disk / (double) n, raw / (double) n, disk / (double) raw);

            long t1 = System.nanoTime();
            store.reindex();
            double re = (System.nanoTime() - t1) / 1e9;
            System.out.printf("BENCHMARK reindex of %d messages: %.1f s (%.0f messages/s)%n", n, re, n / re);
            assertThat(store.indexedCount(OLAF)).isEqualTo(n);
        }
    }

    private static void append(LuceneMailboxStore store, java.util.function.IntFunction<byte[]> messages, int n, int i) throws Exception {
        store.append(OLAF, Folders.INBOX, MessageContent.of(messages.apply(i)), Set.of(), Instant.ofEpochSecond(1_700_000_000L + i * (6_000_000L / Math.max(1, n))));
    }

    private static void run(LuceneMailboxStore store, String label, List<SearchCriteria> queries) throws Exception {
        for (int i = 0; i < 20; i++) for (SearchCriteria q : queries) store.search(OLAF, Folders.INBOX, q); // warm-up
        List<Long> ns = new ArrayList<>();
        long hits = 0;
        for (int i = 0; i < 40; i++) {
            for (SearchCriteria q : queries) {
                long t = System.nanoTime();
                hits += store.search(OLAF, Folders.INBOX, q).size();
                ns.add(System.nanoTime() - t);
            }
        }
        ns.sort(null);
        System.out.printf("BENCHMARK search %-16s median %7.2f ms  p99 %7.2f ms  (%d queries, %d hits on average)%n", label,
                ns.get(ns.size() / 2) / 1e6, ns.get((int) (ns.size() * 0.99)) / 1e6, ns.size(), hits / ns.size());
    }

    private static long size(Path p) throws Exception {
        try (Stream<Path> s = Files.walk(p)) {
            return s.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }
}

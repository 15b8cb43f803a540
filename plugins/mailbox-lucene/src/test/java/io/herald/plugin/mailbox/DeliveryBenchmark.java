package io.herald.plugin.mailbox;

import io.herald.api.mailbox.Folders;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deliveries per second into the store (5 KB messages, each distinct, every delivery durable).
 * Not part of the normal build; run with:
 * {@code mvn -B -pl plugins/mailbox-lucene -am test -Dgroups=benchmark -DexcludedGroups= -Dtest=DeliveryBenchmark -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("benchmark")
class DeliveryBenchmark {

    @TempDir Path dir;

    @Test
    void deliveriesPerSecond() throws Exception {
        try (LuceneMailboxStore store = new LuceneMailboxStore(dir, TestSupport.CONFIG, e -> { })) {
            for (int i = 0; i < 10; i++) store.create("user" + i + "@herald.test");
            run(store, 1, 200, false, "warm-up");
            run(store, 1, 1000, false, "1 thread, 1 mailbox");
            run(store, 10, 300, false, "10 threads, 1 mailbox");
            run(store, 10, 300, true, "10 threads, 10 mailboxes");
        }
    }

    private static int round;

    private static void run(LuceneMailboxStore store, int threads, int perThread, boolean spread, String label) throws Exception {
        int r = round++;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        long start = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int id = t;
            fs.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    String mb = "user" + (spread ? id : 0) + "@herald.test";
                    String key = r + "/" + id + "/" + i;
                    store.deliver(TestSupport.delivery(mb, Folders.INBOX, message(key), key));
                }
                return null;
            }));
        }
        for (Future<?> f : fs) f.get();
        double secs = (System.nanoTime() - start) / 1e9;
        pool.shutdown();
        int n = threads * perThread;
        System.out.printf("BENCHMARK %-26s %6d deliveries in %6.2f s = %8.0f deliveries/s%n", label, n, secs, n / secs);
        assertThat(n).isPositive();
    }

    static byte[] message(String key) {
        StringBuilder sb = new StringBuilder(5200);
        sb.append("From: Elsa <elsa@herald.test>\r\nTo: olaf@herald.test\r\nSubject: benchmark ").append(key)
                .append("\r\nMessage-ID: <").append(key).append("@herald.test>\r\nDate: Fri, 2 Jan 2026 03:04:05 +0000\r\n\r\n");
        int w = 0;
        while (sb.length() < 5 * 1024) {
            sb.append("word").append(key.hashCode() + w++).append(w % 12 == 0 ? "\r\n" : " ");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }
}

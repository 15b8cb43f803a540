package io.herald.plugin.mailbox;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.SearchCriteria;
import io.herald.api.mailbox.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kills a delivering child JVM hard at random moments, five times, and checks after each: every acknowledged delivery
 * is there exactly once and searchable, UIDs are unique and ascending, and the index holds exactly the live messages.
 */
class CrashTest {

    static final String OLAF = "olaf@herald.test";

    @TempDir Path dir;

    @Test
    void acknowledgedDeliveriesSurviveKillsExactlyOnce() throws Exception {
        Random random = new Random(42);
        Set<String> acked = new HashSet<>();
        for (int round = 0; round < 5; round++) {
            List<String> lines = new CopyOnWriteArrayList<>();
            Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(), dir.toString(), "r" + round)
                    .redirectErrorStream(false).redirectError(dir.resolveSibling(dir.getFileName() + "-child-" + round + ".err").toFile()).start();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) lines.add(l);
                } catch (Exception ignored) {
                    // the child was killed
                }
            });
            reader.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!lines.contains("READY") && System.nanoTime() < deadline && p.isAlive()) Thread.sleep(20);
            assertThat(lines).as("child started").contains("READY");
            // kill at a random moment once deliveries flow (the first ones wait for JIT and Lucene warm-up)
            while (lines.stream().noneMatch(l -> l.startsWith("ACK ")) && System.nanoTime() < deadline && p.isAlive()) Thread.sleep(10);
            Thread.sleep(random.nextInt(1500));
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
            reader.join(10_000);
            int before = acked.size();
            for (String l : lines) if (l.startsWith("ACK ")) acked.add(l.substring(4));
            assertThat(acked.size()).as("round %d acknowledged deliveries; child stderr: %s", round,
                    java.nio.file.Files.readString(dir.resolveSibling(dir.getFileName() + "-child-" + round + ".err"))).isGreaterThan(before);

            try (LuceneMailboxStore store = new LuceneMailboxStore(dir, TestSupport.CONFIG, e -> { })) {
                List<StoredMessage> inbox = store.list(OLAF, Folders.INBOX);
                Map<String, Integer> bySubject = new HashMap<>();
                Map<String, Long> uidOf = new HashMap<>();
                for (StoredMessage m : inbox) {
                    bySubject.merge(m.subject(), 1, Integer::sum);
                    uidOf.put(m.subject(), m.uid());
                }
                for (String key : acked) {
                    assertThat(bySubject.get("crash " + key)).as("delivery %s stored exactly once", key).isEqualTo(1);
                }
                assertThat(bySubject.values()).allMatch(n -> n == 1); // also unacknowledged ones: never twice
                assertThat(inbox).extracting(StoredMessage::uid).isSorted().doesNotHaveDuplicates();
                assertThat(store.indexedCount(OLAF)).as("index documents = messages in the log").isEqualTo(inbox.size());
                // a sample of acknowledged keys is searchable by body word and subject
                List<String> sample = new ArrayList<>(acked);
                java.util.Collections.shuffle(sample, random);
                for (String key : sample.subList(0, Math.min(20, sample.size()))) {
                    long uid = uidOf.get("crash " + key);
                    // the last word also matches as a prefix (r0xax1 finds r0xax12 too): check it is among the hits
                    assertThat(store.search(OLAF, Folders.INBOX, SearchCriteria.body("payload " + key.replace('-', 'x'))))
                            .as("searchable %s", key).contains(uid);
                    assertThat(store.search(OLAF, Folders.INBOX, SearchCriteria.subject("crash " + key))).contains(uid);
                }
                // redelivery of an acknowledged key does not duplicate
                String any = sample.get(0);
                store.deliver(TestSupport.inbox(OLAF, TestSupport.message("crash " + any, "again"), any));
                assertThat(store.list(OLAF, Folders.INBOX)).hasSize(inbox.size());
            }
        }
        assertThat(acked).hasSizeGreaterThan(20);
    }
}

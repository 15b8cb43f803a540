package io.herald.plugin.mailbox;

import io.herald.api.mail.MessageContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class BlobStoreTest {

    @TempDir Path dir;

    /** Concurrent stores, some of the same bytes: each file complete under its hash, once, nothing left in tmp/. */
    @Test
    void concurrentStoresKeepEveryFileCompleteAndOnce() throws Exception {
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        blobs.open();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<String>> fs = new ArrayList<>();
        List<byte[]> contents = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                byte[] b = ("message " + (i % 50) + "\r\n" + "x".repeat(3000 + i % 50)).getBytes(StandardCharsets.US_ASCII);
                contents.add(b);
                fs.add(pool.submit(() -> blobs.store(MessageContent.of(b)).hash()));
            }
            Set<String> hashes = new HashSet<>();
            for (int i = 0; i < fs.size(); i++) {
                String h = fs.get(i).get(60, TimeUnit.SECONDS);
                hashes.add(h);
                try (var in = blobs.read(h)) {
                    assertThat(in.readAllBytes()).isEqualTo(contents.get(i));
                }
            }
            assertThat(hashes).hasSize(50);
        } finally {
            pool.shutdownNow();
        }
        try (Stream<Path> s = Files.list(dir.resolve("blobs").resolve("tmp"))) {
            assertThat(s.count()).isZero();
        }
        long[] counts = blobs.folderSyncCounts();
        assertThat(counts[1]).isEqualTo(200); // every store waited for a folder sync
        assertThat(counts[0]).isBetween(1L, 200L);
    }
    private static byte[] read(BlobStore blobs, String hash) throws Exception {
        try (var in = blobs.read(hash)) {
            return in.readAllBytes();
        }
    }

    private static List<String> names(Path d) throws Exception {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private Path settled(String hash) {
        return dir.resolve("blobs").resolve(hash.substring(0, 2)).resolve(hash.substring(2));
    }

    /** A new file waits in new/ (one folder, shared syncs) and is moved to its hash folder by settle(), readable throughout. */
    @Test
    void newFilesWaitInOneFolderUntilTheyAreSettledIntoTheirHashFolders() throws Exception {
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        blobs.open();
        byte[] a = "Subject: a\r\n\r\na\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] b = "Subject: b\r\n\r\nb\r\n".getBytes(StandardCharsets.US_ASCII);
        BlobStore.Stored sa = blobs.store(MessageContent.of(a));
        BlobStore.Stored sb = blobs.store(MessageContent.of(b));
        assertThat(sa.size()).isEqualTo(a.length);
        assertThat(sa.bytes()).as("small content is handed back for parsing").isEqualTo(a);
        assertThat(names(dir.resolve("blobs").resolve("new"))).containsExactlyInAnyOrder(sa.hash(), sb.hash());
        assertThat(settled(sa.hash())).doesNotExist();
        assertThat(read(blobs, sa.hash())).isEqualTo(a);

        assertThat(blobs.settle()).isEqualTo(2);
        assertThat(names(dir.resolve("blobs").resolve("new"))).isEmpty();
        assertThat(Files.readAllBytes(settled(sa.hash()))).isEqualTo(a);
        assertThat(read(blobs, sb.hash())).isEqualTo(b);
        assertThat(blobs.settle()).as("nothing new").isZero();

        // the same bytes again: the settled file is reused, nothing new is written
        assertThat(blobs.store(MessageContent.of(a)).hash()).isEqualTo(sa.hash());
        assertThat(names(dir.resolve("blobs").resolve("new"))).isEmpty();
    }

    /**
     * What a crash may leave in new/: a file already settled whose unlink was lost (removed by the next settle), a
     * settled file torn by a power failure beside an intact new one (replaced), a torn new file beside an intact
     * settled one (the settled one stays, the torn one goes), and both torn (left to the garbage collection).
     */
    @Test
    void settlingAfterACrashKeepsTheIntactCopy() throws Exception {
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        blobs.open();
        byte[] a = "a".repeat(100).getBytes(StandardCharsets.US_ASCII);
        byte[] b = "b".repeat(100).getBytes(StandardCharsets.US_ASCII);
        byte[] c = "c".repeat(100).getBytes(StandardCharsets.US_ASCII);
        String ha = blobs.store(MessageContent.of(a)).hash();
        String hb = blobs.store(MessageContent.of(b)).hash();
        String hc = blobs.store(MessageContent.of(c)).hash();
        Path fresh = dir.resolve("blobs").resolve("new");
        for (String h : List.of(ha, hb, hc)) {
            Files.createDirectories(settled(h).getParent());
        }
        Files.copy(fresh.resolve(ha), settled(ha));                                        // settled, unlink lost
        Files.write(settled(hb), Arrays.copyOf(b, 50));                                     // settled copy torn
        Files.copy(fresh.resolve(hc), settled(hc));
        Files.write(fresh.resolve(hc), new byte[c.length]);                                 // new copy torn

        byte[] d = "d".repeat(100).getBytes(StandardCharsets.US_ASCII);
        String hd = blobs.store(MessageContent.of(d)).hash();
        Files.createDirectories(settled(hd).getParent());
        Files.write(settled(hd), new byte[d.length]);
        Files.write(fresh.resolve(hd), Arrays.copyOf(d, 10));                               // both torn

        assertThat(blobs.settle()).isEqualTo(3);
        assertThat(names(fresh)).containsExactly(hd);
        assertThat(Files.readAllBytes(settled(ha))).isEqualTo(a);
        assertThat(Files.readAllBytes(settled(hb))).isEqualTo(b);
        assertThat(Files.readAllBytes(settled(hc))).isEqualTo(c);
        // neither torn copy is trusted by a store of the same bytes: the one in new/ (read first) is replaced
        assertThat(blobs.store(MessageContent.of(d)).hash()).isEqualTo(hd);
        assertThat(read(blobs, hd)).isEqualTo(d);
        assertThat(blobs.settle()).isEqualTo(1);
        assertThat(Files.readAllBytes(settled(hd))).isEqualTo(d);
        assertThat(blobs.removeExcept(Set.of(ha, hb))).as("c and d are not referenced").isEqualTo(2);
        assertThat(names(fresh)).isEmpty();
    }

    /** Stores, reads and settles at once: every stored file is readable at every moment, whole. */
    @Test
    void readsFindEveryFileWhileItIsSettled() throws Exception {
        BlobStore blobs = new BlobStore(dir.resolve("blobs"));
        blobs.open();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            Future<Integer> settler = pool.submit(() -> {
                int n = 0;
                while (!stop.get()) n += blobs.settle();
                return n;
            });
            List<Future<?>> writers = new ArrayList<>();
            for (int t = 0; t < 3; t++) {
                int id = t;
                writers.add(pool.submit(() -> {
                    for (int i = 0; i < 150; i++) {
                        byte[] m = ("message " + id + "/" + i + "\r\n" + "y".repeat(i)).getBytes(StandardCharsets.US_ASCII);
                        String h = blobs.store(MessageContent.of(m)).hash();
                        for (int k = 0; k < 3; k++) assertThat(read(blobs, h)).isEqualTo(m);
                    }
                    return null;
                }));
            }
            for (Future<?> w : writers) w.get(60, TimeUnit.SECONDS);
            stop.set(true);
            int settledCount = settler.get(60, TimeUnit.SECONDS) + blobs.settle();
            assertThat(settledCount).isEqualTo(450);
        } finally {
            stop.set(true);
            pool.shutdownNow();
        }
        assertThat(names(dir.resolve("blobs").resolve("new"))).isEmpty();
    }
}

package io.herald.plugin.mailbox;

import io.herald.api.mail.MessageContent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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
                fs.add(pool.submit(() -> blobs.store(MessageContent.of(b))));
            }
            Set<String> hashes = new HashSet<>();
            for (int i = 0; i < fs.size(); i++) {
                String h = fs.get(i).get(60, TimeUnit.SECONDS);
                hashes.add(h);
                assertThat(Files.readAllBytes(blobs.path(h))).isEqualTo(contents.get(i));
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
}

package io.herald.queue;

import io.herald.api.mail.Envelope;
import io.herald.api.smtp.HeaderField;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.herald.queue.QueueTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class FileQueueTest {

    @TempDir
    Path dir;

    private static List<String> names(Path d) throws IOException {
        try (Stream<Path> s = Files.list(d)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void roomIsTheFreeSpaceOfTheQueuesFileSystemLessTheReserve() throws Exception {
        QueueSettings f = fastSettings();
        long usable = Files.getFileStore(dir).getUsableSpace();
        try (FileQueue none = new FileQueue(dir.resolve("a"), new QueueSettings(f.retryInitial(), f.retryMax(), f.giveUpAfter(),
                f.deliveryThreads(), f.syncThreads(), 0))) {
            none.start(e -> { });
            assertThat(none.hasRoomFor(Long.MAX_VALUE / 2)).as("0: no check").isTrue();
        }
        try (FileQueue reserve = new FileQueue(dir.resolve("b"), new QueueSettings(f.retryInitial(), f.retryMax(), f.giveUpAfter(),
                f.deliveryThreads(), f.syncThreads(), Math.max(1, usable / 2)))) {
            reserve.start(e -> { });
            assertThat(reserve.hasRoomFor(0)).as("half the disk free is more than the reserve").isTrue();
            assertThat(reserve.hasRoomFor(usable)).as("a SIZE as big as the free space would eat the reserve").isFalse();
        }
        try (FileQueue full = new FileQueue(dir.resolve("c"), new QueueSettings(f.retryInitial(), f.retryMax(), f.giveUpAfter(),
                f.deliveryThreads(), f.syncThreads(), Long.MAX_VALUE / 4))) {
            full.start(e -> { });
            assertThat(full.hasRoomFor(0)).as("a reserve larger than the disk: nothing fits").isFalse();
        }
    }

    @Test
    void commitMakesMessageAndEnvelopeDurableInActive() throws Exception {
        List<QueueEntry> handed = new CopyOnWriteArrayList<>();
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(handed::add);
            Envelope env = envelope("sender@example.org", "olaf@herald.test", "Elsa@Herald.Test");
            Spool s = q.open(session(), env);
            assertThat(dir.resolve("tmp").resolve(s.id() + ".msg")).exists();
            byte[] body = bytes("Received: from client.example\r\nSubject: hi\r\n\r\nhello\r\n");
            s.write(body, 0, 10);
            s.write(body, 10, body.length - 10);
            assertThat(s.size()).isEqualTo(body.length);
            assertThat(read(s.content())).isEqualTo(body);
            List<HeaderField> headers = List.of(new HeaderField("X-Spam-Status", "No, score=0.1"));
            s.commit(headers).get(10, TimeUnit.SECONDS);

            assertThat(names(dir.resolve("tmp"))).isEmpty();
            assertThat(names(dir.resolve("active"))).as("no state file until a recipient's state changes").containsExactly(s.id() + ".msg");
            EntryFormat.Parsed p = EntryFormat.read(dir.resolve("active").resolve(s.id() + ".msg"), s.id());
            assertThat(p.envelope()).isEqualTo(env);
            assertThat(p.session()).isEqualTo(session());
            assertThat(p.headers()).isEqualTo(headers);
            assertThat(p.bodyLength()).isEqualTo(body.length);

            QueueEntry e = q.entry(s.id()).orElseThrow();
            assertThat(read(e.content())).isEqualTo(body);
            assertThat(e.recipients()).extracting(RecipientState::status).containsOnly(RecipientState.Status.PENDING);
            assertThat(q.stats().committed()).isEqualTo(1);
            assertThat(q.stats().syncs()).isEqualTo(1);
            org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> handed.size() == 1);
            assertThat(q.list()).extracting(QueueEntry.EntryInfo::id).containsExactly(s.id());
        }
    }

    @Test
    void fiftyConcurrentCommitsShareSyncs() throws Exception {
        int n = 50;
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            CyclicBarrier barrier = new CyclicBarrier(n);
            List<CompletableFuture<String>> results = new ArrayList<>();
            byte[] body = new byte[5 * 1024];
            Arrays.fill(body, (byte) 'x');
            for (int i = 0; i < n; i++) {
                results.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        Spool s = q.open(session(), envelope("a@example.org", "olaf@herald.test"));
                        s.write(body, 0, body.length);
                        barrier.await(30, TimeUnit.SECONDS);
                        s.commit(List.of()).get(30, TimeUnit.SECONDS);
                        return s.id();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }, r -> new Thread(r).start()));
            }
            List<String> ids = new ArrayList<>();
            for (CompletableFuture<String> f : results) ids.add(f.get(60, TimeUnit.SECONDS));
            assertThat(ids).doesNotHaveDuplicates().hasSize(n);
            QueueStats st = q.stats();
            assertThat(st.committed()).isEqualTo(n);
            assertThat(st.syncs()).isLessThan(n);
            assertThat(st.largestBatch()).isGreaterThan(1);
        }
    }

    @Test
    void aLoneCommitIsDurableWhenCommitReturns() throws Exception {
        List<String> handedOn = new CopyOnWriteArrayList<>();
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> handedOn.add(Thread.currentThread().getName()));
            Spool s = q.open(session(), envelope("a@example.org", "olaf@herald.test"));
            s.write(bytes("hello\r\n"), 0, 7);
            CompletableFuture<Void> f = s.commit(List.of());
            // no other commit in flight: made durable on this thread, no hand-off to the committer and back
            assertThat(f).isCompleted();
            assertThat(names(dir.resolve("tmp"))).isEmpty();
            assertThat(names(dir.resolve("active"))).as("no state file until a recipient's state changes").containsExactly(s.id() + ".msg");
            assertThat(q.stats().committed()).isEqualTo(1);
            assertThat(q.stats().fileForces()).isEqualTo(1);
            assertThat(q.stats().syncs()).isEqualTo(1);
            assertThat(handedOn).containsExactly(Thread.currentThread().getName());
            assertThat(q.awaitEmpty(java.time.Duration.ZERO)).as("the entry stays queued").isFalse();
        }
    }

    @Test
    void aCommitWhileAnotherIsInFlightGoesToTheCommitter() throws Exception {
        java.util.concurrent.CountDownLatch firstHandedOn = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Map<String, String> completedOn = new java.util.concurrent.ConcurrentHashMap<>();
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            java.util.concurrent.atomic.AtomicReference<String> firstId = new java.util.concurrent.atomic.AtomicReference<>();
            q.start(e -> {
                if (!e.id().equals(firstId.get())) {
                    // handed to delivery on the thread that made it durable (the future may be complete before a
                    // callback is attached to it, which then runs on the caller: not a sign of where it was made durable)
                    completedOn.put("second", Thread.currentThread().getName());
                    return;
                }
                // the first commit is still in flight while its consumer runs: hold it there
                firstHandedOn.countDown();
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            });
            Spool first = q.open(session(), envelope("a@example.org", "olaf@herald.test"));
            firstId.set(first.id());
            first.write(bytes("one\r\n"), 0, 5);
            Thread t = new Thread(() -> first.commit(List.of())
                    .thenRun(() -> completedOn.put("first", Thread.currentThread().getName())), "lone-committer");
            t.start();
            assertThat(firstHandedOn.await(30, TimeUnit.SECONDS)).isTrue();
            Spool second = q.open(session(), envelope("b@example.org", "olaf@herald.test"));
            second.write(bytes("two\r\n"), 0, 5);
            second.commit(List.of()).get(30, TimeUnit.SECONDS);
            org.awaitility.Awaitility.await().atMost(30, TimeUnit.SECONDS).until(() -> completedOn.containsKey("second"));
            assertThat(completedOn.get("second")).as("made durable by the queue's committer, not the caller")
                    .startsWith("herald-queue-");
            assertThat(names(dir.resolve("active"))).contains(second.id() + ".msg");
            release.countDown();
            t.join(30_000);
            assertThat(completedOn.get("first")).isEqualTo("lone-committer");
            assertThat(q.stats().committed()).isEqualTo(2);
            assertThat(q.stats().syncs()).isEqualTo(2);
        }
    }

    /**
     * close() waits for a lone commit made durable on its caller's thread (not the committer's), so that the server's
     * stop closes the queue only after the commits its sessions are answering; held here in its hand-over to delivery,
     * which comes before the commit counts as finished.
     */
    @Test
    void closeWaitsForALoneCommitOnItsCallersThread() throws Exception {
        java.util.concurrent.CountDownLatch handedOn = new java.util.concurrent.CountDownLatch(1);
        CompletableFuture<Void> release = new CompletableFuture<>();
        List<String> order = new CopyOnWriteArrayList<>();
        FileQueue q = new FileQueue(dir, QueueSettings.defaults());
        q.start(e -> {
            handedOn.countDown();
            release.join();
            order.add("commit finished");
        });
        Spool s = q.open(session(), envelope("a@example.org", "olaf@herald.test"));
        s.write(bytes("one\r\n"), 0, 5);
        Thread lone = new Thread(() -> s.commit(List.of()), "lone-committer");
        lone.start();
        assertThat(handedOn.await(30, TimeUnit.SECONDS)).isTrue();
        Thread closing = new Thread(() -> {
            q.close();
            order.add("queue closed");
        }, "closing");
        closing.start();
        closing.join(300);   // time for close() to get to its wait (without the wait it returns meanwhile)
        order.add("released");
        release.complete(null);
        closing.join(30_000);
        lone.join(30_000);
        assertThat(order).containsExactly("released", "commit finished", "queue closed");
        assertThat(names(dir.resolve("active"))).containsExactly(s.id() + ".msg");
    }

    @Test
    void halfWrittenAndDamagedFilesAreSetAsideAtRecovery() throws Exception {
        String good;
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            good = commit(q, envelope("a@example.org", "olaf@herald.test"), bytes("Subject: ok\r\n\r\nbody\r\n"), List.of());
            // a spool that never got committed
            Spool open = q.open(session(), envelope("a@example.org", "olaf@herald.test"));
            open.write(bytes("partial"), 0, 7);
        }
        Path active = dir.resolve("active");
        byte[] whole = Files.readAllBytes(active.resolve(good + ".msg"));
        Files.write(active.resolve("00000000000001.msg"), Arrays.copyOf(whole, whole.length - 20)); // torn trailer
        byte[] flipped = whole.clone();
        flipped[whole.length / 2] ^= 0x01;
        Files.write(active.resolve("00000000000002.msg"), flipped);                                 // damaged byte
        Files.write(active.resolve("00000000000003.state"), bytes("0 DELIVERED 1 -1 0 x #00000000\n")); // orphan state

        List<QueueEntry> handed = new CopyOnWriteArrayList<>();
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            assertThat(q.start(handed::add)).isEqualTo(1);
            assertThat(q.stats().corrupt()).isEqualTo(2);
            assertThat(names(dir.resolve("tmp"))).isEmpty();
            assertThat(names(active)).containsExactly(good + ".msg");
            assertThat(names(dir.resolve("corrupt"))).containsExactly("00000000000001.msg", "00000000000002.msg");
            assertThat(read(q.entry(good).orElseThrow().content())).isEqualTo(bytes("Subject: ok\r\n\r\nbody\r\n"));
            org.awaitility.Awaitility.await().atMost(10, TimeUnit.SECONDS).until(() -> handed.size() == 1);
            // new ids keep sorting after recovered ones
            Spool s = q.open(session(), envelope("a@example.org", "olaf@herald.test"));
            assertThat(s.id()).isGreaterThan(good);
            s.discard();
        }
    }

    @Test
    void discardRemovesTheSpoolFile() throws Exception {
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            Spool s = q.open(session(), envelope(null, "olaf@herald.test"));
            s.write(bytes("x"), 0, 1);
            s.discard();
            s.discard();
            assertThat(names(dir.resolve("tmp"))).isEmpty();
            assertThatThrownBy(() -> s.write(bytes("y"), 0, 1)).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> s.commit(List.of()).get()).hasCauseInstanceOf(IllegalStateException.class);
            assertThat(q.size()).isZero();
        }
    }

    @Test
    void aCommitThatCannotBeMadeDurableFailsAndLeavesNothing() throws Exception {
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            Spool s = q.open(session(), envelope("a@example.org", "olaf@herald.test"));
            s.write(bytes("x"), 0, 1);
            // the spool file vanishes under us (as on a failing disk): the rename into active/ fails
            Files.delete(dir.resolve("tmp").resolve(s.id() + ".msg"));
            assertThatThrownBy(() -> s.commit(List.of()).get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(IOException.class);
            assertThat(names(dir.resolve("active"))).isEmpty();
            assertThat(q.size()).isZero();
            assertThat(q.stats().commitFailures()).isEqualTo(1);
            assertThat(q.awaitEmpty(java.time.Duration.ofSeconds(10))).isTrue();
        }
    }

    @Test
    void aTornStateLineIsIgnoredAndCutOff() throws Exception {
        String id;
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            id = commit(q, envelope("a@example.org", "olaf@herald.test", "elsa@herald.test"), bytes("x\r\n"), List.of());
            QueueEntry e = q.entry(id).orElseThrow();
            q.update(e, new RecipientState(0, e.recipient(0).recipient(), RecipientState.Status.DELIVERED, 1,
                    java.util.Optional.empty(), "250 2.0.0 ok", java.util.Optional.of(java.time.Instant.now())));
        }
        Path state = dir.resolve("active").resolve(id + ".state");
        Files.write(state, bytes("1 DELIVERED 1 -1 0 250 ok"), java.nio.file.StandardOpenOption.APPEND); // no newline: torn
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            List<RecipientState> rs = q.entry(id).orElseThrow().recipients();
            assertThat(rs.get(0).status()).isEqualTo(RecipientState.Status.DELIVERED);
            assertThat(rs.get(1).status()).isEqualTo(RecipientState.Status.PENDING);
            assertThat(new String(Files.readAllBytes(state))).endsWith("\n");
        }
    }
    private static RecipientState delivered(QueueEntry e, int index) {
        return new RecipientState(index, e.recipient(index).recipient(), RecipientState.Status.DELIVERED, 1,
                java.util.Optional.empty(), "250 2.0.0 delivered", java.util.Optional.of(java.time.Instant.now()));
    }

    @Test
    void aRepeatableDeliveryIsRecordedAndTheEntryRemovedWhenItIsTheLast() throws Exception {
        String id;
        Path state;
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            id = commit(q, envelope("a@example.org", "olaf@herald.test", "elsa@herald.test"), bytes("x\r\n"), List.of());
            state = dir.resolve("active").resolve(id + ".state");
            QueueEntry e = q.entry(id).orElseThrow();
            q.updateRepeatable(e, delivered(e, 1));
            assertThat(Files.readString(state)).as("not the last recipient: the line is written").startsWith("1 DELIVERED 1 ");
            assertThat(q.stats().delivered()).isEqualTo(1);
        }
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            assertThat(q.start(e -> { })).isEqualTo(1);
            QueueEntry e = q.entry(id).orElseThrow();
            assertThat(e.recipients()).extracting(RecipientState::status)
                    .containsExactly(RecipientState.Status.PENDING, RecipientState.Status.DELIVERED);
            q.updateRepeatable(e, delivered(e, 0));   // the last recipient: the entry goes
            assertThat(q.entry(id)).isEmpty();
            assertThat(names(dir.resolve("active"))).isEmpty();
            assertThat(q.stats().delivered()).isEqualTo(1);
        }
    }

    @Test
    void onlyADeliveredStateIsRecordedWithoutAForce() throws Exception {
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            String id = commit(q, envelope("a@example.org", "olaf@herald.test"), bytes("x\r\n"), List.of());
            QueueEntry e = q.entry(id).orElseThrow();
            for (RecipientState.Status s : List.of(RecipientState.Status.FAILED, RecipientState.Status.DEFERRED, RecipientState.Status.PENDING)) {
                RecipientState st = new RecipientState(0, e.recipient(0).recipient(), s, 1, java.util.Optional.empty(), "554 5.0.0 no",
                        java.util.Optional.empty());
                assertThatThrownBy(() -> q.updateRepeatable(e, st)).as(s.name()).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(s.name());
            }
            assertThat(q.entry(id).orElseThrow().recipient(0).status()).isEqualTo(RecipientState.Status.PENDING);
            assertThat(dir.resolve("active").resolve(id + ".state")).doesNotExist();
        }
    }

    /**
     * The state file is created by the first change of a recipient's state, not at the commit: an entry without one
     * is recovered with every recipient pending, and the first change (forced) is there after a restart.
     */
    @Test
    void theStateFileComesWithTheFirstChange() throws Exception {
        String id;
        Path state;
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            id = commit(q, envelope("a@example.org", "olaf@herald.test", "elsa@herald.test"), bytes("x\r\n"), List.of());
            state = dir.resolve("active").resolve(id + ".state");
            assertThat(state).doesNotExist();
        }
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            assertThat(q.start(e -> { })).isEqualTo(1);
            QueueEntry e = q.entry(id).orElseThrow();
            assertThat(e.recipients()).extracting(RecipientState::status).containsOnly(RecipientState.Status.PENDING);
            assertThat(state).as("recovery does not create it").doesNotExist();
            q.update(e, new RecipientState(1, e.recipient(1).recipient(), RecipientState.Status.DEFERRED, 1,
                    java.util.Optional.of(java.time.Instant.now().plusSeconds(60)), "451 4.3.0 try later", java.util.Optional.of(java.time.Instant.now())));
            assertThat(Files.readString(state)).startsWith("1 DEFERRED 1 ").hasLineCount(1);
            q.updateRepeatable(e, delivered(e, 0));
            assertThat(Files.readString(state)).hasLineCount(2);
        }
        try (FileQueue q = new FileQueue(dir, QueueSettings.defaults())) {
            q.start(e -> { });
            assertThat(q.entry(id).orElseThrow().recipients()).extracting(RecipientState::status)
                    .containsExactly(RecipientState.Status.DELIVERED, RecipientState.Status.DEFERRED);
        }
    }
}

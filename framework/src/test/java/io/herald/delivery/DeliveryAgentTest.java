package io.herald.delivery;

import io.herald.api.mailbox.MailboxException;
import io.herald.api.routing.Route;
import io.herald.api.routing.Router;
import io.herald.api.smtp.HeaderField;
import io.herald.host.ExtensionRegistry;
import io.herald.queue.FileQueue;
import io.herald.queue.QueueEntry;
import io.herald.queue.QueueSettings;
import io.herald.queue.QueueTestSupport.MemoryStore;
import io.herald.queue.RecipientState;
import io.herald.queue.RecipientState.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static io.herald.queue.QueueTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class DeliveryAgentTest {

    @TempDir
    Path dir;

    @Test
    void deliversLocallyWithReturnPathAndAddedHeadersThenRemovesTheEntry() throws Exception {
        MemoryStore store = new MemoryStore();
        QueueSettings settings = fastSettings();
        FileQueue q = new FileQueue(dir, settings);
        try (DeliveryAgent agent = new DeliveryAgent(q, registry(List.of(allLocal()), store), settings, BounceSink.NONE)) {
            agent.start();
            byte[] body = bytes("Received: from x\r\nSubject: hi\r\n\r\nhello\r\n");
            String id = commit(q, envelope("sender@example.org", "Olaf@herald.test"), body,
                    List.of(new HeaderField("X-Spam-Status", "No")));
            assertThat(q.awaitEmpty(Duration.ofSeconds(30))).isTrue();
            byte[] got = store.byKey.get(id + "/olaf@herald.test");
            assertThat(new String(got)).isEqualTo("Return-Path: <sender@example.org>\r\nX-Spam-Status: No\r\n"
                    + "Received: from x\r\nSubject: hi\r\n\r\nhello\r\n");
            assertThat(store.stored.get(0).mailbox()).isEqualTo("olaf@herald.test");
            assertThat(store.stored.get(0).folder()).isEqualTo("INBOX");
            assertThat(q.stats().delivered()).isEqualTo(1);
            assertThat(dir.resolve("active")).isEmptyDirectory();
        } finally {
            q.close();
        }
    }

    /**
     * 'herald queue delete' (one id or --all) while an attempt runs on the entry: the recipient in progress ends (its
     * copy is delivered whole, or not at all when the file is gone before it was opened), the ones after it are not
     * tried, and the entry is not tried again.
     */
    @Test
    void anEntryDeletedDuringItsAttemptStopsAfterTheRecipientInProgress() throws Exception {
        MemoryStore store = new MemoryStore();
        java.util.concurrent.CountDownLatch inProgress = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch deleted = new java.util.concurrent.CountDownLatch(1);
        store.failure = d -> {
            if (d.mailbox().startsWith("alice")) {
                inProgress.countDown();
                try {
                    if (!deleted.await(30, TimeUnit.SECONDS)) throw new AssertionError("not deleted in time");
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return null;
        };
        QueueSettings settings = fastSettings();
        FileQueue q = new FileQueue(dir, settings);
        String id;
        try (DeliveryAgent agent = new DeliveryAgent(q, registry(List.of(allLocal()), store), settings, BounceSink.NONE)) {
            agent.start();
            id = commit(q, envelope("s@example.org", "alice@herald.test", "bob@herald.test", "carol@herald.test"),
                    bytes("Subject: x\r\n\r\nx\r\n"), List.of());
            assertThat(inProgress.await(30, TimeUnit.SECONDS)).isTrue();
            assertThat(q.delete(id)).isTrue();
            deleted.countDown();
        } finally {
            q.close();   // after the agent's close: the attempt has ended
        }
        // alice was in progress (here her copy is read after the delete, so it fails and is not retried); bob and
        // carol, after her, are not even tried
        assertThat(store.calls).containsOnlyKeys(id + "/alice@herald.test");
        assertThat(q.entry(id)).isEmpty();
        assertThat(dir.resolve("active").resolve(id + ".msg")).doesNotExist();
    }

    @Test
    void restartRedeliversOnlyUnfinishedRecipients() throws Exception {
        QueueSettings slow = new QueueSettings(Duration.ofHours(1), Duration.ofHours(1), Duration.ofDays(5), 2, 4, 0);
        MemoryStore first = new MemoryStore();
        first.failure = d -> d.mailbox().startsWith("carol") ? new MailboxException("disk full", true) : null;
        String id;
        FileQueue q = new FileQueue(dir, slow);
        try (DeliveryAgent agent = new DeliveryAgent(q, registry(List.of(allLocal()), first), slow, BounceSink.NONE)) {
            agent.start();
            id = commit(q, envelope("s@example.org", "alice@herald.test", "bob@herald.test", "carol@herald.test"),
                    bytes("Subject: x\r\n\r\nx\r\n"), List.of());
            await().atMost(30, TimeUnit.SECONDS).until(() ->
                    q.entry(id).orElseThrow().recipients().stream().noneMatch(r -> r.status() == Status.PENDING));
            assertThat(q.entry(id).orElseThrow().recipients()).extracting(RecipientState::status)
                    .containsExactly(Status.DELIVERED, Status.DELIVERED, Status.DEFERRED);
            assertThat(q.entry(id).orElseThrow().recipient(2).lastReply()).contains("disk full");
        } finally {
            q.close();
        }

        // two hours later (past the one-hour retry), with a store that works
        MemoryStore second = new MemoryStore();
        FileQueue q2 = new FileQueue(dir, slow, Clock.offset(Clock.systemUTC(), Duration.ofHours(2)));
        try (DeliveryAgent agent = new DeliveryAgent(q2, registry(List.of(allLocal()), second), slow, BounceSink.NONE)) {
            assertThat(agent.start()).isEqualTo(1);
            assertThat(q2.awaitEmpty(Duration.ofSeconds(30))).isTrue();
            assertThat(second.calls.keySet()).containsExactly(id + "/carol@herald.test");
        } finally {
            q2.close();
        }
    }

    @Test
    void temporaryFailuresAreRetriedWithBackOff() throws Exception {
        MemoryStore store = new MemoryStore();
        store.failure = d -> store.attempts(d.deliveryKey()) <= 2 ? new MailboxException("busy", true) : null;
        QueueSettings settings = fastSettings();
        FileQueue q = new FileQueue(dir, settings);
        try (DeliveryAgent agent = new DeliveryAgent(q, registry(List.of(allLocal()), store), settings, BounceSink.NONE)) {
            agent.start();
            String id = commit(q, envelope("s@example.org", "olaf@herald.test"), bytes("x\r\n"), List.of());
            assertThat(q.awaitEmpty(Duration.ofSeconds(30))).isTrue();
            assertThat(store.attempts(id + "/olaf@herald.test")).isEqualTo(3);
            assertThat(store.byKey).containsKey(id + "/olaf@herald.test");
            assertThat(q.stats().deferred()).isEqualTo(2);
        } finally {
            q.close();
        }
        assertThat(settings.retryDelay(1)).isEqualTo(Duration.ofMillis(20));
        assertThat(settings.retryDelay(2)).isEqualTo(Duration.ofMillis(40));
        assertThat(settings.retryDelay(10)).isEqualTo(Duration.ofMillis(100));
    }

    @Test
    void eachRouteHasItsOutcome() throws Exception {
        Router router = (env, rcpt) -> switch (rcpt.localPart()) {
            case "local" -> Route.local(rcpt.canonical());
            case "remote" -> new Route.Relay(List.of("mx.example.net"));
            case "refused" -> Route.refuse(550, "5.1.1", "no such user");
            case "gone" -> Route.local("gone@herald.test");
            default -> Route.pass();
        };
        MemoryStore store = new MemoryStore();
        store.failure = d -> d.mailbox().startsWith("gone") ? new MailboxException("mailbox deleted", false) : null;
        List<RecipientState> bounced = new CopyOnWriteArrayList<>();
        QueueSettings settings = new QueueSettings(Duration.ofHours(1), Duration.ofHours(1), Duration.ofDays(5), 2, 4, 0);
        FileQueue q = new FileQueue(dir, settings);
        try (DeliveryAgent agent = new DeliveryAgent(q, registry(List.of(router), store), settings,
                (entry, failures) -> bounced.addAll(failures))) {
            agent.start();
            String id = commit(q, envelope("s@example.org", "local@herald.test", "remote@example.net",
                    "refused@herald.test", "nobody@elsewhere.example", "gone@herald.test"), bytes("x\r\n"), List.of());
            await().atMost(30, TimeUnit.SECONDS).until(() ->
                    q.entry(id).orElseThrow().recipients().stream().noneMatch(r -> r.status() == Status.PENDING));
            List<RecipientState> rs = q.entry(id).orElseThrow().recipients();
            assertThat(rs).extracting(RecipientState::status).containsExactly(
                    Status.DELIVERED, Status.DEFERRED, Status.FAILED, Status.FAILED, Status.FAILED);
            assertThat(rs.get(1).lastReply()).contains("mx.example.net").contains("no outbound transport");
            assertThat(rs.get(2).lastReply()).isEqualTo("550 5.1.1 no such user");
            assertThat(rs.get(3).lastReply()).startsWith("550 5.7.1");
            assertThat(rs.get(4).lastReply()).startsWith("550 5.2.0").contains("mailbox deleted");
            assertThat(bounced).extracting(RecipientState::index).containsExactlyInAnyOrder(2, 3, 4);
            assertThat(q.list()).singleElement().extracting(QueueEntry.EntryInfo::id).isEqualTo(id);
        } finally {
            q.close();
        }
    }

    @Test
    void noActiveStoreDefersAndGivingUpFails() throws Exception {
        QueueSettings settings = new QueueSettings(Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(200), 2, 4, 0);
        ExtensionRegistry noStore = registry(List.of(allLocal()), null);
        List<RecipientState> bounced = new CopyOnWriteArrayList<>();
        FileQueue q = new FileQueue(dir, settings);
        try (DeliveryAgent agent = new DeliveryAgent(q, noStore, settings, (e, f) -> bounced.addAll(f))) {
            agent.start();
            commit(q, envelope("s@example.org", "olaf@herald.test"), bytes("x\r\n"), List.of());
            assertThat(q.awaitEmpty(Duration.ofSeconds(30))).isTrue();
            assertThat(bounced).singleElement().satisfies(f -> {
                assertThat(f.status()).isEqualTo(Status.FAILED);
                assertThat(f.lastReply()).contains("4.4.7").contains("no mailbox store is active");
            });
        } finally {
            q.close();
        }
    }

    @Test
    void aHangingOrThrowingRouterDefersWithinTheTimeLimitAndIsQuarantined() throws Exception {
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger hungCalls = new java.util.concurrent.atomic.AtomicInteger();
        Router hanging = new Router() {
            @Override public int priority() { return 1; } // asked before the local router
            @Override public Route route(io.herald.api.mail.Envelope e, io.herald.api.mail.MailAddress r) {
                if (r.localPart().equals("throws")) throw new IllegalStateException("router bug");
                hungCalls.incrementAndGet();
                try {
                    never.await();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
                return Route.local("wrong@herald.test");
            }
        };
        MemoryStore store = new MemoryStore();
        ExtensionRegistry registry = registry(List.of(allLocal()), store);
        io.herald.host.Plugin hangingPlugin = new io.herald.host.Plugin("hanging", "1", List.of(), List.of(hanging), List.of(), List.of());
        registry.add(hangingPlugin);
        registry.failureLimit(0); // first look at the replies; the breaker below
        // one delivery thread: before the time limit, the first hung call took it for good and nothing was delivered
        QueueSettings settings = new QueueSettings(Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofDays(5), 1, 4, 0,
                Duration.ofMillis(300));
        FileQueue q = new FileQueue(dir, settings);
        try (DeliveryAgent agent = new DeliveryAgent(q, registry, settings, BounceSink.NONE)) {
            agent.start();
            String first = commit(q, envelope("s@example.org", "throws@herald.test"), bytes("x\r\n"), List.of());
            await().atMost(30, TimeUnit.SECONDS).until(() -> q.entry(first).orElseThrow().recipients().get(0).attempts() >= 1);
            RecipientState thrown = q.entry(first).orElseThrow().recipients().get(0);
            assertThat(thrown.status()).isEqualTo(Status.DEFERRED);
            assertThat(thrown.lastReply()).startsWith("451 4.3.0 routing failed:").contains("router bug");

            String second = commit(q, envelope("s@example.org", "olaf@herald.test"), bytes("y\r\n"), List.of());
            await().atMost(30, TimeUnit.SECONDS).until(() -> q.entry(second).orElseThrow().recipients().get(0).attempts() >= 1);
            RecipientState hung = q.entry(second).orElseThrow().recipients().get(0);
            assertThat(hung.status()).isEqualTo(Status.DEFERRED);
            assertThat(hung.lastReply()).startsWith("451 4.3.0 routing failed:").contains("did not answer within PT0.3S");

            // the circuit breaker counts the failed calls (throws and timeouts, both entries are being retried): at 3
            // the plugin is withdrawn, and both messages are delivered by the router that remains
            registry.failureLimit(3);
            registry.add(hangingPlugin); // starts its count at 0
            await().atMost(30, TimeUnit.SECONDS).until(() -> registry.plugins().stream().noneMatch(p -> p.name().equals("hanging")));
            assertThat(q.awaitEmpty(Duration.ofSeconds(30))).isTrue();
            assertThat(store.stored).extracting(d -> d.mailbox()).containsExactlyInAnyOrder("throws@herald.test", "olaf@herald.test");
            assertThat(hungCalls.get()).isGreaterThanOrEqualTo(2);
        } finally {
            never.countDown();
            q.close();
        }
    }
    /**
     * What a power failure may leave of local deliveries: the store holds the messages (durable when deliver()
     * returned), but neither the queue's "delivered" states (not forced) nor the removal of the entry's files reached
     * the disk. After the restart the recipients are delivered again and the store keeps one copy of each.
     */
    @Test
    void localDeliveriesRepeatedAfterTheQueueLostTheirOutcomeAreStoredOnce() throws Exception {
        Path queueDir = dir.resolve("queue"), disk = dir.resolve("disk-before-delivery");
        java.nio.file.Files.createDirectories(disk);
        MemoryStore store = new MemoryStore();
        store.failure = d -> {
            // the queue's files as they were before the store wrote anything: what the disk may hold after a crash (the
            // message files; a state file is created by the first delivery's outcome, so there was none then).
            // Synchronized: two recipients' deliveries run at once, and a copy raced by another thread would throw
            // FileAlreadyExistsException, fail that delivery and count a third attempt.
            synchronized (disk) {
            try (var files = java.nio.file.Files.list(queueDir.resolve("active"))) {
                for (Path f : (Iterable<Path>) files::iterator) {
                    if (f.getFileName().toString().endsWith(".msg") && !java.nio.file.Files.exists(disk.resolve(f.getFileName()))) {
                        java.nio.file.Files.copy(f, disk.resolve(f.getFileName()));
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            }
            return null;
        };
        QueueSettings settings = fastSettings();
        String one, two;
        FileQueue q = new FileQueue(queueDir, settings);
        try (DeliveryAgent agent = new DeliveryAgent(q, registry(List.of(allLocal()), store), settings, BounceSink.NONE)) {
            agent.start();
            one = commit(q, envelope("s@example.org", "olaf@herald.test"), bytes("Subject: one\r\n\r\n1\r\n"), List.of());
            two = commit(q, envelope("s@example.org", "olaf@herald.test", "elsa@herald.test"), bytes("Subject: two\r\n\r\n2\r\n"), List.of());
            assertThat(q.awaitEmpty(Duration.ofSeconds(30))).isTrue();
        } finally {
            q.close();
        }
        assertThat(store.stored).hasSize(3);
        assertThat(queueDir.resolve("active")).isEmptyDirectory();
        try (var files = java.nio.file.Files.list(disk)) {
            for (Path f : (Iterable<Path>) files::iterator) java.nio.file.Files.copy(f, queueDir.resolve("active").resolve(f.getFileName()));
        }

        FileQueue q2 = new FileQueue(queueDir, settings);
        try (DeliveryAgent agent = new DeliveryAgent(q2, registry(List.of(allLocal()), store), settings, BounceSink.NONE)) {
            assertThat(agent.start()).as("entries recovered").isEqualTo(2);
            assertThat(q2.awaitEmpty(Duration.ofSeconds(30))).isTrue();
        } finally {
            q2.close();
        }
        for (String key : List.of(one + "/olaf@herald.test", two + "/olaf@herald.test", two + "/elsa@herald.test")) {
            assertThat(store.attempts(key)).as("deliveries of " + key).isEqualTo(2);
        }
        assertThat(store.stored).as("each recipient's copy stored once").hasSize(3);
        assertThat(queueDir.resolve("active")).isEmptyDirectory();
    }
}

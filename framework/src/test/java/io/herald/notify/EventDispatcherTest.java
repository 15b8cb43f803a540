package io.herald.notify;

import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.notify.DeliveryPolicy;
import io.herald.api.notify.NotificationSink;
import io.herald.api.notify.RetryLaterException;
import io.herald.api.notify.TestEvent;
import io.herald.host.ExtensionRegistry;
import io.herald.host.Plugin;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class EventDispatcherTest {

    final ExtensionRegistry registry = new ExtensionRegistry();
    final EventDispatcher dispatcher = new EventDispatcher();

    @AfterEach
    void close() {
        dispatcher.close();
    }

    static MailboxEvent added(String user, long uid) {
        return new MailboxEvent.MessageAdded(user, "INBOX", 1, uid, "elsa@herald.test", "s" + uid, 10, false, Instant.now());
    }

    static void register(ExtensionRegistry registry, String name, NotificationSink... sinks) {
        registry.add(new Plugin(name, "1", Map.of(NotificationSink.class, List.of(sinks))));
    }

    /** Records what it got; blocks while {@code gate} is closed. */
    static class Recording implements NotificationSink {
        final List<MailboxEvent> got = new CopyOnWriteArrayList<>();
        final DeliveryPolicy policy;
        volatile CountDownLatch gate = new CountDownLatch(0);
        final CountDownLatch entered = new CountDownLatch(1);

        Recording(DeliveryPolicy policy) { this.policy = policy; }

        @Override public DeliveryPolicy policy() { return policy; }

        @Override public void onEvent(MailboxEvent event) throws Exception {
            entered.countDown();
            gate.await();
            got.add(event);
        }
    }

    @Test
    void aBlockedSinkDelaysNeitherThePublisherNorAnotherSink() throws Exception {
        dispatcher.attach(registry);
        Recording stuck = new Recording(new DeliveryPolicy(5, 1, Duration.ofMillis(10), Duration.ofMillis(10), 1));
        stuck.gate = new CountDownLatch(1);
        Recording fine = new Recording(DeliveryPolicy.DEFAULT);
        register(registry, "stuck", stuck);
        register(registry, "fine", fine);

        dispatcher.publish(added("olaf@herald.test", 1));
        assertThat(stuck.entered.await(10, TimeUnit.SECONDS)).isTrue();
        for (int i = 2; i <= 100; i++) dispatcher.publish(added("olaf@herald.test", i));   // returns at once

        await().atMost(10, TimeUnit.SECONDS).until(() -> fine.got.size() == 100);
        SinkStats s = dispatcher.stats().stream().filter(x -> x.plugin().equals("stuck")).findFirst().orElseThrow();
        // one event in the sink's hands, five queued, the rest dropped and counted
        assertThat(s.dropped()).isEqualTo(94);
        assertThat(s.queued()).isEqualTo(5);
        stuck.gate.countDown();
        await().atMost(10, TimeUnit.SECONDS).until(() -> stuck.got.size() == 6);
        assertThat(stuck.got).extracting(e -> ((MailboxEvent.MessageAdded) e).uid()).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }

    @Test
    void retryLaterIsRetriedWithBackOffWhileLaterEventsGoOn() throws Exception {
        dispatcher.attach(registry);
        AtomicInteger calls = new AtomicInteger();
        List<Long> delivered = new CopyOnWriteArrayList<>();
        List<Long> attemptTimes = new CopyOnWriteArrayList<>();
        NotificationSink flaky = new NotificationSink() {
            @Override public DeliveryPolicy policy() { return new DeliveryPolicy(100, 4, Duration.ofMillis(50), Duration.ofSeconds(1), 1); }
            @Override public void onEvent(MailboxEvent e) throws Exception {
                long uid = ((MailboxEvent.MessageAdded) e).uid();
                if (uid == 1) {
                    attemptTimes.add(System.nanoTime());
                    if (calls.incrementAndGet() < 3) throw new RetryLaterException("503 from receiver");
                }
                delivered.add(uid);
            }
        };
        register(registry, "flaky", flaky);
        dispatcher.publish(added("olaf@herald.test", 1));
        dispatcher.publish(added("olaf@herald.test", 2));
        await().atMost(10, TimeUnit.SECONDS).until(() -> delivered.size() == 2);
        assertThat(delivered).containsExactly(2L, 1L);   // 2 was not held up behind 1's retries
        assertThat(calls.get()).isEqualTo(3);
        // back-off doubles: 50 ms, then 100 ms (at least)
        assertThat(attemptTimes.get(1) - attemptTimes.get(0)).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
        assertThat(attemptTimes.get(2) - attemptTimes.get(1)).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(100));
        SinkStats s = dispatcher.stats().get(0);
        assertThat(s.delivered()).isEqualTo(2);
        assertThat(s.retries()).isEqualTo(2);
        assertThat(s.givenUp()).isZero();
        assertThat(s.lastError()).isEqualTo("503 from receiver");
    }

    @Test
    void anotherExceptionGivesUpAtOnceAndTheLastRetryGivesUpToo() throws Exception {
        dispatcher.attach(registry);
        AtomicInteger calls = new AtomicInteger();
        NotificationSink failing = new NotificationSink() {
            @Override public DeliveryPolicy policy() { return new DeliveryPolicy(100, 3, Duration.ofMillis(10), Duration.ofMillis(20), 1); }
            @Override public void onEvent(MailboxEvent e) throws Exception {
                calls.incrementAndGet();
                if (((MailboxEvent.MessageAdded) e).uid() == 1) throw new IllegalArgumentException("400 Bad Request");
                throw new RetryLaterException("timed out");
            }
        };
        register(registry, "failing", failing);
        List<EventDispatcher.TestResult> r1 = dispatcher.test(added("olaf@herald.test", 1), Duration.ofSeconds(10));
        assertThat(r1).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo(new SinkOutcome.GivenUp(1, "java.lang.IllegalArgumentException: 400 Bad Request")));
        List<EventDispatcher.TestResult> r2 = dispatcher.test(added("olaf@herald.test", 2), Duration.ofSeconds(10));
        assertThat(r2.get(0).outcome()).isInstanceOf(SinkOutcome.GivenUp.class);
        assertThat(((SinkOutcome.GivenUp) r2.get(0).outcome()).attempts()).isEqualTo(3);
        assertThat(calls.get()).isEqualTo(4);
        assertThat(dispatcher.stats().get(0).givenUp()).isEqualTo(2);
    }

    @Test
    void testEventsReportEachSinkAndTheFilter() throws Exception {
        dispatcher.attach(registry);
        Recording all = new Recording(DeliveryPolicy.DEFAULT);
        Recording elsaOnly = new Recording(DeliveryPolicy.DEFAULT) {
            @Override public boolean accepts(MailboxEvent e) { return e.mailbox().equals("elsa@herald.test"); }
            @Override public String name() { return "elsa-only"; }
        };
        register(registry, "p1", all);
        register(registry, "p2", elsaOnly);
        MailboxEvent test = TestEvent.of("olaf@herald.test", "postmaster@localhost", Instant.now());
        List<EventDispatcher.TestResult> results = dispatcher.test(test, Duration.ofSeconds(10));
        assertThat(results).extracting(EventDispatcher.TestResult::plugin).containsExactly("p1", "p2");
        assertThat(results.get(0).outcome()).isInstanceOf(SinkOutcome.Delivered.class);
        assertThat(results.get(1).outcome()).isEqualTo(new SinkOutcome.NotAccepted());
        assertThat(results.get(1).sink()).isEqualTo("elsa-only");
        assertThat(all.got).containsExactly(test);
        assertThat(TestEvent.isTest(all.got.get(0))).isTrue();
    }

    @Test
    void withdrawingHandsUndeliveredEventsToTheSinkAndRegisteringDeliversItsBacklogFirst() throws Exception {
        dispatcher.attach(registry);
        List<MailboxEvent> kept = new CopyOnWriteArrayList<>();
        NotificationSink down = new NotificationSink() {
            @Override public DeliveryPolicy policy() { return new DeliveryPolicy(100, 10, Duration.ofSeconds(30), Duration.ofSeconds(30), 1); }
            @Override public void onEvent(MailboxEvent e) throws Exception { throw new RetryLaterException("connection refused"); }
            @Override public void undelivered(List<MailboxEvent> events) { kept.addAll(events); }
        };
        register(registry, "hook", down);
        for (int i = 1; i <= 3; i++) dispatcher.publish(added("olaf@herald.test", i));
        await().atMost(10, TimeUnit.SECONDS).until(() -> dispatcher.stats().get(0).retrying() == 3);
        registry.remove("hook");
        assertThat(kept).extracting(e -> ((MailboxEvent.MessageAdded) e).uid()).containsExactly(1L, 2L, 3L);

        Recording up = new Recording(DeliveryPolicy.DEFAULT) {
            @Override public List<MailboxEvent> backlog() { return List.copyOf(kept); }
        };
        up.gate = new CountDownLatch(1);
        register(registry, "hook", up);
        dispatcher.publish(added("olaf@herald.test", 4));
        up.gate.countDown();
        await().atMost(10, TimeUnit.SECONDS).until(() -> up.got.size() == 4);
        assertThat(up.got).extracting(e -> ((MailboxEvent.MessageAdded) e).uid()).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void aSinkAskingForConcurrencyGetsThatManyEventsAtOnce() throws Exception {
        dispatcher.attach(registry);
        CountDownLatch inside = new CountDownLatch(3);
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger now = new java.util.concurrent.atomic.AtomicInteger();
        NotificationSink slow = new NotificationSink() {
            @Override public DeliveryPolicy policy() { return DeliveryPolicy.DEFAULT.withConcurrency(3); }
            @Override public void onEvent(MailboxEvent e) throws Exception {
                most.accumulateAndGet(now.incrementAndGet(), Math::max);
                inside.countDown();
                release.await();
                now.decrementAndGet();
            }
        };
        register(registry, "slow", slow);
        for (int i = 1; i <= 5; i++) dispatcher.publish(added("olaf@herald.test", i));
        assertThat(inside.await(10, TimeUnit.SECONDS)).as("three events in the sink at once").isTrue();
        release.countDown();
        await().atMost(10, TimeUnit.SECONDS).until(() -> dispatcher.stats().get(0).delivered() == 5);
        assertThat(most.get()).isEqualTo(3);
    }

    @Test
    void backOffDoublesUpToTheMaximum() {
        DeliveryPolicy p = new DeliveryPolicy(10, 10, Duration.ofSeconds(1), Duration.ofSeconds(5), 1);
        assertThat(List.of(p.backoff(2), p.backoff(3), p.backoff(4), p.backoff(5), p.backoff(9)))
                .containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4), Duration.ofSeconds(5), Duration.ofSeconds(5));
    }
}

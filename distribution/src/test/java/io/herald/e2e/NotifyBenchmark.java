package io.herald.e2e;

import io.herald.server.HeraldServer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Notification latency and the cost of a dead webhook, for docs/benchmarks.md (run on demand; never asserts on time):
 *
 * <pre>
 * mvn -B -pl distribution -am test -Dgroups=benchmark -DexcludedGroups= -Dtest=NotifyBenchmark \
 *     -Dsurefire.failIfNoSpecifiedTests=false [-Dherald.bench.messages=1000] [-Dherald.bench.rate=100] [-Dherald.bench.warmup=200]
 * </pre>
 *
 * <ul>
 *   <li>{@link #latencyAtAFixedRate}: messages at a fixed rate (default 100/s) over SMTP to Olaf; for each, the time
 *       from the client writing the end of data to the webhook receiver (loopback) getting the POST, and to the SSE
 *       client (the JDK's HTTP client) reading the event; median and p99 (nearest rank), after {@code warmup} messages
 *       sent first at the same rate (reported separately).</li>
 *   <li>{@link #deliveryThroughputWithADeadWebhook}: delivery throughput (accepted and in the mailbox) with no webhook
 *       and with one that never answers, alternating, three runs each.</li>
 * </ul>
 */
@Tag("benchmark")
class NotifyBenchmark {

    static final int MESSAGES = Integer.getInteger("herald.bench.messages", 1000);
    static final int RATE = Integer.getInteger("herald.bench.rate", 100);
    /** Messages sent first at the same rate and left out of the figures (a fresh JVM: JIT, class loading, first index segments). */
    static final int WARMUP = Integer.getInteger("herald.bench.warmup", 200);

    @TempDir
    Path home;

    @Test
    void latencyAtAFixedRate() throws Exception {
        try (NotifyPeers.Receiver receiver = new NotifyPeers.Receiver(0);
             HeraldServer server = NotifyEndToEndTest.server(home, receiver.url()).start()) {
            server.mailboxStore().create(NotifyEndToEndTest.OLAF);
            Map<String, Long> sent = new ConcurrentHashMap<>();
            String events = "http://127.0.0.1:" + server.httpPort() + "/events";
            try (NotifyPeers.SseClient sse = new NotifyPeers.SseClient(events, "Bearer " + NotifyEndToEndTest.TOKEN, null)) {
                int connections = 10;
                long period = TimeUnit.SECONDS.toNanos(1) / RATE;
                long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                AtomicInteger failures = new AtomicInteger();
                List<Thread> threads = new ArrayList<>();
                for (int c = 0; c < connections; c++) {
                    int part = c;
                    Thread t = new Thread(() -> {
                        try (NotifyPeers.Smtp smtp = new NotifyPeers.Smtp(server.smtpPort())) {
                            for (int i = part; i < WARMUP + MESSAGES; i += connections) {
                                long due = t0 + i * period;
                                long wait = due - System.nanoTime();
                                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                                String subject = "bench-" + i;
                                String r = smtp.send(NotifyEndToEndTest.ELSA, NotifyEndToEndTest.OLAF, subject);
                                if (!r.startsWith("250")) failures.incrementAndGet();
                                sent.put(subject, smtp.endOfData);
                            }
                        } catch (Exception e) {
                            failures.incrementAndGet();
                        }
                    });
                    threads.add(t);
                    t.start();
                }
                for (Thread t : threads) t.join();
                double seconds = (System.nanoTime() - t0) / 1e9;
                assertThat(failures.get()).isZero();
                List<Long> hook = new ArrayList<>();
                List<Long> published = new ArrayList<>();   // the event's own time (the store published it) -> webhook, ms
                List<Long> push = new ArrayList<>();
                List<Long> warmupHook = new ArrayList<>();
                int hooks = 0, pushes = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
                while ((hooks < WARMUP + MESSAGES || pushes < WARMUP + MESSAGES) && System.nanoTime() < deadline) {
                    NotifyPeers.Received r = receiver.got.poll(100, TimeUnit.MILLISECONDS);
                    if (r != null) {
                        hooks++;
                        String subject = subject(r.text());
                        long latency = r.nanos() - sent.get(subject);
                        if (warmup(subject)) {
                            warmupHook.add(latency);
                        } else {
                            hook.add(latency);
                            published.add(TimeUnit.MILLISECONDS.toNanos(r.wallMillis() - java.time.Instant.parse(field(r.text(), "time")).toEpochMilli()));
                        }
                    }
                    NotifyPeers.SseEvent e;
                    while ((e = sse.events.poll()) != null) {
                        pushes++;
                        String subject = subject(e.data());
                        if (!warmup(subject)) push.add(e.nanos() - sent.get(subject));
                    }
                }
                assertThat(hook).hasSize(MESSAGES);
                assertThat(push).hasSize(MESSAGES);
                System.out.printf("NOTIFY-BENCH %d messages at %d/s on %d connections (sent in %.1f s): end of DATA -> webhook received: median %.1f ms, p99 %.1f ms, max %.1f ms; "
                                + "-> SSE event: median %.1f ms, p99 %.1f ms, max %.1f ms; event published by the store -> webhook received (wall clock, ms resolution): median %.1f ms, p99 %.1f ms%n",
                        MESSAGES, RATE, connections, seconds,
                        ms(rank(hook, 50)), ms(rank(hook, 99)), ms(rank(hook, 100)), ms(rank(push, 50)), ms(rank(push, 99)), ms(rank(push, 100)),
                        ms(rank(published, 50)), ms(rank(published, 99)));
                if (!warmupHook.isEmpty()) {
                    System.out.printf("NOTIFY-BENCH the %d warm-up messages before them (left out above): end of DATA -> webhook received: median %.1f ms, p99 %.1f ms, max %.1f ms%n",
                            warmupHook.size(), ms(rank(warmupHook, 50)), ms(rank(warmupHook, 99)), ms(rank(warmupHook, 100)));
                }
            }
        }
    }

    @Test
    void deliveryThroughputWithADeadWebhook() throws Exception {
        List<Double> none = new ArrayList<>();
        List<Double> silent = new ArrayList<>();
        for (int run = 0; run < 3; run++) {
            try (HeraldServer server = NotifyEndToEndTest.server(home.resolve("none-" + run), null).start()) {
                none.add(NotifyEndToEndTest.deliver(server, MESSAGES));
            }
            try (NotifyPeers.Silent receiver = new NotifyPeers.Silent();
                 HeraldServer server = NotifyEndToEndTest.server(home.resolve("silent-" + run), receiver.url())
                         .set("notify-webhook", "timeout", "1s").start()) {
                silent.add(NotifyEndToEndTest.deliver(server, MESSAGES));
                System.out.println("NOTIFY-BENCH dead webhook sink after the run: " + NotifyEndToEndTest.stats(server, "webhook"));
            }
        }
        System.out.printf("NOTIFY-BENCH delivery of %d messages (4 connections), msg/s: no webhook %s (median %.1f); webhook never answering %s (median %.1f)%n",
                MESSAGES, none, median(none), silent, median(silent));
    }

    private static boolean warmup(String subject) {
        return Integer.parseInt(subject.substring("bench-".length())) < WARMUP;
    }

    private static String subject(String json) {
        return field(json, "subject");
    }

    private static String field(String json, String name) {
        int i = json.indexOf("\"" + name + "\":\"") + name.length() + 4;
        return json.substring(i, json.indexOf('"', i));
    }

    private static long rank(List<Long> values, int percentile) {
        List<Long> s = new ArrayList<>(values);
        Collections.sort(s);
        int k = (int) Math.ceil(percentile / 100.0 * s.size());
        return s.get(Math.max(0, k - 1));
    }

    private static double median(List<Double> v) {
        List<Double> s = new ArrayList<>(v);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}

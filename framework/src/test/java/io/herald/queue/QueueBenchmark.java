package io.herald.queue;

import io.herald.api.mail.Envelope;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Group commit measurement (not a test): commits/s of 5 KB messages with 1, 10 and 50 concurrent committers,
 * and messages per directory sync. Run from {@code framework/}:
 * <pre>
 *   mvn -q -pl framework -am test-compile
 *   mvn -q -pl framework dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 *   java -Dlogback.configurationFile=&lt;a WARN-level config&gt; -cp framework/target/test-classes:framework/target/classes:$(cat framework/target/cp.txt) \
 *        io.herald.queue.QueueBenchmark [dir] [seconds]
 * </pre>
 * The dir must be on the disk being measured (default: a new folder under java.io.tmpdir).
 */
public final class QueueBenchmark {

    public static void main(String[] args) throws Exception {
        Path base = args.length > 0 ? Path.of(args[0]) : Files.createTempDirectory("herald-queue-bench");
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        byte[] body = new byte[5 * 1024];
        for (int i = 0; i < body.length; i++) body[i] = (byte) ('a' + i % 26);
        Envelope env = QueueTestSupport.envelope("bench@example.org", "olaf@herald.test");
        System.out.printf("%-12s %10s %10s %8s %14s %12s%n", "committers", "commits", "commits/s", "syncs", "msgs/sync", "largest");
        for (int committers : new int[] {1, 10, 50}) {
            Path dir = base.resolve("c" + committers);
            FileQueue q = new FileQueue(dir, QueueSettings.defaults());
            q.start(e -> { });
            AtomicLong done = new AtomicLong();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            Thread[] ts = new Thread[committers];
            long start = System.nanoTime();
            for (int t = 0; t < committers; t++) {
                ts[t] = new Thread(() -> {
                    try {
                        while (System.nanoTime() < end) {
                            Spool s = q.open(QueueTestSupport.session(), env);
                            s.write(body, 0, body.length);
                            s.commit(List.of()).get();
                            done.incrementAndGet();
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                ts[t].start();
            }
            for (Thread t : ts) t.join();
            double secs = (System.nanoTime() - start) / 1e9;
            QueueStats st = q.stats();
            q.close();
            System.out.printf("%-12d %10d %10.0f %8d %14.1f %12d%n", committers, done.get(), done.get() / secs, st.syncs(),
                    st.messagesPerSync(), st.largestBatch());
        }
    }
}

package io.herald.queue;

import io.herald.delivery.BounceSink;
import io.herald.delivery.DeliveryAgent;
import io.herald.queue.QueueTestSupport.MemoryStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;

import static io.herald.queue.QueueTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A process that commits messages is killed with SIGKILL mid-stream; every message it was told was committed
 * must come back intact after restart, and be delivered exactly once.
 */
class HardKillTest {

    private static final Pattern LINE = Pattern.compile("OK ([0-9A-F]{14}) ([0-9a-f]+) ([0-9]+) END");

    @TempDir
    Path tmp;

    record Promised(String id, long crc, int length) { }

    @Test
    void everyPromisedMessageSurvivesSigkillAndIsDeliveredOnce() throws Exception {
        Path queueDir = tmp.resolve("queue");
        Path logConfig = tmp.resolve("logback.xml");
        Files.writeString(logConfig, "<configuration><appender name='E' class='ch.qos.logback.core.ConsoleAppender'>"
                + "<target>System.err</target><encoder><pattern>%msg%n</pattern></encoder></appender>"
                + "<root level='WARN'><appender-ref ref='E'/></root></configuration>");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "-Dlogback.configurationFile=" + logConfig,
                "-cp", System.getProperty("java.class.path"), CrashChild.class.getName(), queueDir.toString(), "8")
                .redirectError(tmp.resolve("child.err").toFile())
                .start();
        List<Promised> promised = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    Matcher m = LINE.matcher(line);
                    if (m.matches()) promised.add(new Promised(m.group(1), Long.parseLong(m.group(2), 16), Integer.parseInt(m.group(3))));
                }
            } catch (Exception e) {
                // the pipe breaks when the child is killed
            }
        });
        reader.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (promised.size() < 300 && child.isAlive() && System.nanoTime() < deadline) Thread.sleep(10);
        child.destroyForcibly();
        assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
        reader.join(TimeUnit.SECONDS.toMillis(30));
        List<Promised> seen = List.copyOf(promised);
        assertThat(seen).as("child stderr: %s", Files.readString(tmp.resolve("child.err"))).isNotEmpty();

        MemoryStore store = new MemoryStore();
        QueueSettings settings = fastSettings();
        FileQueue q = new FileQueue(queueDir, settings);
        try (DeliveryAgent agent = new DeliveryAgent(q, registry(List.of(allLocal()), store), settings, BounceSink.NONE)) {
            int recovered = agent.start();
            assertThat(recovered).isGreaterThanOrEqualTo(seen.size());
            assertThat(q.stats().corrupt()).isZero();
            assertThat(q.awaitEmpty(Duration.ofSeconds(120))).isTrue();
        } finally {
            q.close();
        }
        for (Promised p : seen) {
            for (String rcpt : CrashChild.RECIPIENTS) {
                String key = p.id() + "/" + rcpt;
                byte[] got = store.byKey.get(key);
                assertThat(got).as("delivered %s", key).isNotNull();
                assertThat(got).hasSize(p.length());
                CRC32 crc = new CRC32();
                crc.update(got);
                assertThat(crc.getValue()).as("content of %s", key).isEqualTo(p.crc());
                assertThat(store.attempts(key)).as("deliveries of %s", key).isEqualTo(1);
            }
        }
        // every recovered entry was delivered to both recipients, each once, and nothing is left
        assertThat(store.stored).hasSize(store.byKey.size());
        assertThat(store.byKey.size() % 2).isZero();
        try (var files = Files.list(queueDir.resolve("active"))) {
            assertThat(files).isEmpty();
        }
        // a second restart finds nothing to deliver again
        FileQueue again = new FileQueue(queueDir, settings);
        try {
            assertThat(again.start(e -> { })).isZero();
        } finally {
            again.close();
        }
    }
}

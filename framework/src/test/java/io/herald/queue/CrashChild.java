package io.herald.queue;

import io.herald.api.mail.Envelope;
import io.herald.api.smtp.HeaderField;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;

/**
 * Child process for {@code HardKillTest}: commits messages from several threads until killed (bounded by count
 * and time) and prints {@code OK <id> <crc32 of the content as it will be delivered> <length> END} for each,
 * only after its commit future completed.
 */
public final class CrashChild {

    static final String SENDER = "sender@example.org";
    static final List<String> RECIPIENTS = List.of("alice@herald.test", "bob@herald.test");

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int threads = Integer.parseInt(args[1]);
        FileQueue q = new FileQueue(dir, QueueSettings.defaults());
        q.start(e -> { });
        AtomicInteger seq = new AtomicInteger();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Envelope env = QueueTestSupport.envelope(SENDER, RECIPIENTS.toArray(String[]::new));
        Runnable loop = () -> {
            try {
                while (seq.get() < 100_000 && System.nanoTime() < deadline) {
                    int n = seq.incrementAndGet();
                    Random r = new Random(n);
                    byte[] body = new byte[1 + r.nextInt(20_000)];
                    r.nextBytes(body);
                    Spool s = q.open(QueueTestSupport.session(), env);
                    for (int off = 0; off < body.length; off += 3000) s.write(body, off, Math.min(3000, body.length - off));
                    HeaderField h = new HeaderField("X-Seq", Integer.toString(n));
                    s.commit(List.of(h)).get();
                    ByteArrayOutputStream expected = new ByteArrayOutputStream();
                    expected.write(("Return-Path: <" + SENDER + ">\r\n" + h.render()).getBytes(StandardCharsets.UTF_8));
                    expected.write(body);
                    CRC32 crc = new CRC32();
                    crc.update(expected.toByteArray());
                    String line = "OK " + s.id() + " " + Long.toHexString(crc.getValue()) + " " + expected.size() + " END";
                    synchronized (System.out) {
                        System.out.println(line);
                        System.out.flush();
                    }
                }
            } catch (Exception e) {
                e.printStackTrace();
            }
        };
        Thread[] ts = new Thread[threads];
        for (int i = 0; i < threads; i++) (ts[i] = new Thread(loop, "committer-" + i)).start();
        for (Thread t : ts) t.join();
        q.close();
    }
}

package io.herald.distribution;

import io.herald.api.mailbox.StoredMessage;
import io.herald.config.ConfigStore;
import io.herald.plugin.mailbox.LuceneMailboxStore;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The crash loop: the unzipped distribution ({@code bin/herald --home DIR run}) under a continuous SMTP load is killed
 * with SIGKILL at random moments — while it accepts mail, while it delivers, while it recovers at start-up — and
 * restarted, {@code herald.crashloop.kills} times (default 5 in the normal build; the long run is 50, see
 * docs/reliability.md); one end in {@code herald.crashloop.stopOneIn} (default 4; 0: none) is a clean stop with SIGTERM
 * under load instead, where every client is answered. Then it is started a last time, left to deliver everything and stopped cleanly, and:
 * <ul>
 *   <li>every message whose end of DATA got 250 is in each of its recipients' INBOX exactly once, byte for byte;</li>
 *   <li>a message whose end of DATA got no reply (the kill came first) is there at most once per recipient, and a
 *       refused one (4xx/5xx: e.g. 451 while the plugins start) not at all;</li>
 *   <li>no queue file is left half-written: nothing was ever set aside as damaged ({@code queue/corrupt/} empty,
 *       "0 damaged" at every start), {@code queue/tmp/} and {@code queue/active/} are empty at the end;</li>
 *   <li>the index agrees with the stored messages: a search for each message's unique marker finds exactly it,
 *       and a search for the word every message carries finds all of them and nothing else.</li>
 * </ul>
 * {@code herald.crashloop.seed} replays a run (the seed is printed).
 */
class CrashLoopIT extends DistHarness {

    static final String OLAF = "olaf@herald.test";
    static final String ELSA = "elsa@herald.test";
    /** A start on a loaded 2-core machine can take over a minute (the first one generates a certificate). */
    static final Duration START = Duration.ofMinutes(3);
    static final Pattern RECOVERY = Pattern.compile("queue \\S+ started: (\\d+) entries recovered, (\\d+) damaged set aside");

    enum Outcome { ACCEPTED, REFUSED, UNKNOWN }

    record Sent(String marker, List<String> recipients, byte[] message, Outcome outcome, String reply) { }

    final Map<String, Sent> sent = new ConcurrentHashMap<>();
    volatile int port;
    volatile boolean stopLoad;

    @Test
    void killedAtRandomMomentsLosesAndDuplicatesNothing() throws Exception {
        int kills = Integer.getInteger("herald.crashloop.kills", 5);
        // one end in this many (after the server started) is a clean stop with SIGTERM under load instead of SIGKILL;
        // 0: none. Chosen with a Random of its own, so that a seed replays the kills it did before stops existed
        int stopOneIn = Integer.getInteger("herald.crashloop.stopOneIn", 4);
        long seed = Long.getLong("herald.crashloop.seed", System.nanoTime());
        Random random = new Random(seed);
        Random stopping = new Random(~seed);
        System.out.println("CRASHLOOP seed=" + seed + " kills=" + kills + " stopOneIn=" + stopOneIn);

        List<Thread> load = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int thread = t;
            Thread th = new Thread(() -> load(thread, new Random(seed + thread)), "crashloop-load-" + t);
            th.setDaemon(true);
            load.add(th);
        }
        int killedDuringStartup = 0;
        int stopped = 0;
        int recoveredEntries = 0;
        List<Path> logs = new ArrayList<>();
        try {
            for (int k = 0; k < kills; k++) {
                Path out = tmp.resolve("crashloop-" + k + ".log");
                logs.add(out);
                DistributionIT.Server s = launch(out);
                boolean duringStartup = k > 0 && random.nextInt(5) == 0;
                if (duringStartup) {
                    // recovery: the queue hands over what it recovered while the plugins start
                    Thread.sleep(300 + random.nextInt(2500));
                    killedDuringStartup++;
                } else {
                    s.awaitLog("Herald started", START);
                    if (k == 0) load.forEach(Thread::start);
                    Thread.sleep(200 + random.nextInt(3000));
                }
                if (!duringStartup && stopOneIn > 0 && stopping.nextInt(stopOneIn) == 0) {
                    // under load: sessions committing get their 250 (or 4xx) and then 421, the rest 421 at once
                    assertThat(s.stop()).as("exit code after SIGTERM under load").isEqualTo(143);
                    assertThat(s.log()).contains("Herald stopped");
                    stopped++;
                } else {
                    s.kill();
                }
                assertThat(s.process.isAlive()).isFalse();
            }
            Path out = tmp.resolve("crashloop-final.log");
            logs.add(out);
            DistributionIT.Server last = launch(out);
            last.awaitSmtp(START);
            stopLoad = true;
            for (Thread th : load) th.join(120_000);
            awaitQueueEmpty(Duration.ofSeconds(120));
            assertThat(last.stop()).as("exit code after SIGTERM").isEqualTo(143);
        } finally {
            stopLoad = true;
        }

        // the queue: nothing damaged at any start, nothing left over
        for (Path log : logs) {
            Matcher m = RECOVERY.matcher(Files.readString(log));
            while (m.find()) {
                recoveredEntries += Integer.parseInt(m.group(1));
                assertThat(m.group(2)).as("damaged queue entries at a start (" + log.getFileName() + ")").isEqualTo("0");
            }
        }
        Path queue = home.resolve("data/queue");
        assertThat(list(queue.resolve("corrupt"))).as("queue/corrupt").isEmpty();
        assertThat(list(queue.resolve("tmp"))).as("queue/tmp").isEmpty();
        assertThat(list(queue.resolve("active"))).as("queue/active").isEmpty();

        // the mailboxes and the index, read with the store itself (read-only, as the mailbox CLI does)
        int accepted = 0, refused = 0, unknown = 0, unknownStored = 0;
        try (LuceneMailboxStore store = new LuceneMailboxStore(storeDir(),
                new ConfigStore.MapConfiguration("mailbox-lucene", Map.of()), e -> { }, Clock.systemUTC(), true)) {
            Map<String, Map<String, List<StoredMessage>>> byMailbox = Map.of(OLAF, byMarker(store, OLAF), ELSA, byMarker(store, ELSA));
            for (Sent s : sent.values()) {
                switch (s.outcome) {
                    case ACCEPTED -> accepted++;
                    case REFUSED -> refused++;
                    case UNKNOWN -> unknown++;
                }
                boolean storedSomewhere = false;
                for (String mailbox : List.of(OLAF, ELSA)) {
                    List<StoredMessage> copies = byMailbox.get(mailbox).getOrDefault(s.marker, List.of());
                    String what = s.marker + " (" + s.outcome + ", reply " + s.reply + ") in " + mailbox;
                    if (!s.recipients.contains(mailbox) || s.outcome == Outcome.REFUSED) {
                        assertThat(copies).as(what).isEmpty();
                    } else if (s.outcome == Outcome.ACCEPTED) {
                        assertThat(copies).as(what + ": exactly once").hasSize(1);
                    } else {
                        assertThat(copies).as(what + ": at most once").hasSizeLessThanOrEqualTo(1);
                    }
                    for (StoredMessage m : copies) {
                        storedSomewhere = true;
                        byte[] stored;
                        try (InputStream in = store.content(mailbox, "INBOX", m.uid()).orElseThrow().open()) {
                            stored = in.readAllBytes();
                        }
                        assertThat(DistributionIT.withoutTrace(stored)).as(what + ": byte for byte").isEqualTo(s.message);
                        assertThat(store.search(mailbox, "INBOX", s.marker)).as("search for " + what)
                                .extracting(StoredMessage::uid).containsExactly(m.uid());
                    }
                }
                if (s.outcome == Outcome.UNKNOWN && storedSomewhere) unknownStored++;
            }
            for (String mailbox : List.of(OLAF, ELSA)) {
                List<Long> all = store.list(mailbox, "INBOX").stream().map(StoredMessage::uid).sorted().toList();
                List<Long> found = store.search(mailbox, "INBOX", "crashloop").stream().map(StoredMessage::uid).sorted().toList();
                assertThat(found).as("the index of " + mailbox + " agrees with its messages").isEqualTo(all);
            }
        }
        assertThat(accepted).as("messages accepted with 250 (the load ran)").isPositive();
        Map<String, Long> reasons = new java.util.TreeMap<>();
        for (Sent s : sent.values()) {
            if (s.outcome == Outcome.REFUSED) reasons.merge(s.reply.length() > 9 ? s.reply.substring(0, 9) : s.reply, 1L, Long::sum);
        }
        System.out.println("CRASHLOOP refusals by reply: " + reasons);
        long cutOff = 0;
        for (Path log : logs) cutOff += Pattern.compile("still open after shutdownGrace").matcher(Files.readString(log)).results().count();
        System.out.printf("CRASHLOOP result: kills=%d (during start-up %d, clean stops under load %d, sessions cut off at a "
                        + "stop %d) transactions=%d accepted=%d refused=%d unknown=%d (stored %d) recovered-entries=%d "
                        + "damaged=0 lost=0 duplicated=0 seed=%d%n",
                kills, killedDuringStartup, stopped, cutOff, sent.size(), accepted, refused, unknown, unknownStored,
                recoveredEntries, seed);
    }

    /**
     * Starts the server on a fresh port offset each time (the load follows {@link #port}): over many restarts some port
     * of a fixed offset (SMTP, submission, HTTP...) is sooner or later taken by another process on a shared machine.
     * A start that fails to bind is retried on another offset; it is no kill.
     */
    DistributionIT.Server launch(Path out) throws Exception {
        for (int attempt = 0; ; attempt++) {
            int offset = DistributionIT.freeOffset();
            ProcessBuilder pb = new ProcessBuilder(herald.toString(), "--home", home.toString(), "run",
                    "--port-offset", Integer.toString(offset))
                    .directory(tmp.toFile()).redirectErrorStream(true).redirectOutput(out.toFile());
            DistributionIT.environment(pb);
            DistributionIT.Server s = new DistributionIT.Server(pb.start(), out, DistributionIT.DEFAULT_SMTP_PORT + offset);
            servers.add(s);
            // the bind happens early: wait until the listeners are up, or the process gave up on a port
            long deadline = System.nanoTime() + START.toNanos();
            while (s.process.isAlive() && !s.log().contains(" ready: local domains") && System.nanoTime() < deadline) Thread.sleep(50);
            if (!s.process.isAlive() && s.log().contains("Address already in use") && attempt < 5) {
                Files.move(out, out.resolveSibling(out.getFileName() + ".bind-failed-" + attempt));
                continue;
            }
            port = s.smtpPort;
            return s;
        }
    }

    /** One load thread: transactions one after another, 1-3 per connection, until stopped; every outcome recorded. */
    void load(int thread, Random random) {
        int n = 0;
        while (!stopLoad) {
            try (Smtp smtp = new Smtp(port)) {
                int perConnection = 1 + random.nextInt(3);
                for (int i = 0; i < perConnection && !stopLoad; i++) {
                    String marker = "t" + thread + "n" + n++;
                    List<String> to = n % 3 == 0 ? List.of(OLAF, ELSA) : List.of(OLAF);
                    byte[] message = message(marker, random);
                    if (!transaction(smtp, marker, to, message)) break;
                }
            } catch (IOException e) {
                // the server is down (killed, or not yet listening): try again shortly
                sleep(50);
            }
        }
    }

    /** False when the connection is no longer usable. */
    boolean transaction(Smtp smtp, String marker, List<String> to, byte[] message) throws IOException {
        String r = smtp.command("MAIL FROM:<" + ELSA + ">");
        if (!r.startsWith("250")) return refused(marker, to, message, r);
        for (String rcpt : to) {
            r = smtp.command("RCPT TO:<" + rcpt + ">");
            if (!r.startsWith("250")) {
                smtp.command("RSET");
                return refused(marker, to, message, r);
            }
        }
        r = smtp.command("DATA");
        if (!r.startsWith("354")) return refused(marker, to, message, r);
        try {
            r = smtp.data(message);
        } catch (IOException e) {
            sent.put(marker, new Sent(marker, to, message, Outcome.UNKNOWN, e.toString()));
            throw e;
        }
        sent.put(marker, new Sent(marker, to, message, r.startsWith("250") ? Outcome.ACCEPTED : Outcome.REFUSED, r));
        return true;
    }

    boolean refused(String marker, List<String> to, byte[] message, String reply) {
        sent.put(marker, new Sent(marker, to, message, Outcome.REFUSED, reply));
        sleep(100);   // e.g. 451 4.3.0 while the plugins start: try again a little later, as an MTA would
        return !reply.startsWith("421");
    }

    /** A message with its marker in the Message-ID, Subject and text, 1-40 KB, with dot-stuffing and 8-bit text. */
    static byte[] message(String marker, Random random) {
        StringBuilder b = new StringBuilder()
                .append("From: Elsa <elsa@herald.test>\r\nTo: Olaf <olaf@herald.test>\r\n")
                .append("Subject: crashloop ").append(marker).append("\r\n")
                .append("Message-ID: <").append(marker).append(".").append(random.nextInt(1_000_000)).append("@crash.herald.test>\r\n")
                .append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
                .append("marker ").append(marker).append(" \u2744\r\n.a line that starts with a dot\r\n");
        int lines = 10 + random.nextInt(500);
        for (int i = 0; i < lines; i++) b.append("line ").append(i).append(" of the frozen heart, let it go, let it go\r\n");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    Map<String, List<StoredMessage>> byMarker(LuceneMailboxStore store, String mailbox) throws Exception {
        Map<String, List<StoredMessage>> out = new ConcurrentHashMap<>();
        for (StoredMessage m : store.list(mailbox, "INBOX")) {
            String subject = m.subject();
            if (!subject.startsWith("crashloop ")) continue;
            out.computeIfAbsent(subject.substring("crashloop ".length()), k -> new ArrayList<>()).add(m);
        }
        return out;
    }

    /** The mailbox store's data folder: the plugin folder below data/ that has its logs. */
    Path storeDir() throws IOException {
        try (Stream<Path> dirs = Files.list(home.resolve("data"))) {
            return dirs.filter(d -> Files.isDirectory(d.resolve("logs")) && Files.isDirectory(d.resolve("index")))
                    .findFirst().orElseThrow(() -> new AssertionError("no mailbox store below " + home.resolve("data")));
        }
    }

    void awaitQueueEmpty(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Path active = home.resolve("data/queue/active");
        while (!list(active).isEmpty()) {
            if (System.nanoTime() > deadline) throw new AssertionError("queue not delivered after " + timeout + ": " + list(active));
            Thread.sleep(200);
        }
    }

    static List<Path> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }

    static void sleep(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

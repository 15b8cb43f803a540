package io.herald.distribution;

import io.herald.api.mailbox.StoredMessage;
import io.herald.config.ConfigStore;
import io.herald.plugin.mailbox.LuceneMailboxStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The data folder on a small file system made by the test (a tmpfs of the size of a first start's data plus
 * {@value #ROOM_MB} MB; mounting needs root: without it the test is skipped with the reason printed). Mail is sent
 * until the disk is full:
 * <ol>
 *   <li>with {@code minFreeSpace = 0} the writes themselves fail: the server answers {@code 452 4.3.1} (at DATA or
 *       at the end of the data), the session stays usable, the mailbox can still be read ({@code herald mailbox});</li>
 *   <li>with {@code minFreeSpace} set, MAIL is refused with {@code 452 4.3.1} before any byte is written.</li>
 * </ol>
 * After each, space is freed and, without a restart, new mail is accepted again and everything accepted before is
 * delivered. At the end, after a clean restart: every accepted message is in the mailbox exactly once, byte for
 * byte, findable by search; nothing was set aside as damaged.
 */
class DiskFullIT extends DistHarness {

    static final int ROOM_MB = 8;
    static final String OLAF = "olaf@herald.test";

    Path data;
    boolean mounted;
    final Map<String, byte[]> accepted = new LinkedHashMap<>();
    int counter;

    @AfterEach
    void unmount() throws Exception {
        for (DistributionIT.Server s : servers) s.stop();
        if (mounted) DistributionIT.run(List.of("umount", data.toString()), tmp, Duration.ofSeconds(30));
    }

    @Test
    void aFullDiskRefusesMailWith452KeepsServingReadsAndRecoversByItself() throws Exception {
        data = home.resolve("data");
        // a first start creates the data folder (OSGi cache, demo mailboxes, index); it is then moved onto the tmpfs
        DistributionIT.Server first = start();
        assertThat(first.stop()).isEqualTo(143);
        long used = du(data);
        Path copy = tmp.resolve("data-copy");
        DistributionIT.run(List.of("cp", "-a", data.toString(), copy.toString()), tmp, Duration.ofSeconds(60));
        long sizeKb = used / 1024 + ROOM_MB * 1024L;
        DistributionIT.Result mount = DistributionIT.run(List.of("mount", "-t", "tmpfs", "-o", "size=" + sizeKb + "k", "tmpfs",
                data.toString()), tmp, Duration.ofSeconds(30));
        if (mount.exit() != 0) {
            String reason = "cannot mount a tmpfs for the data folder (needs root or CAP_SYS_ADMIN): " + mount.stderr().strip();
            System.out.println("DiskFullIT skipped: " + reason);
            Assumptions.abort(reason);
        }
        mounted = true;
        DistributionIT.run(List.of("cp", "-a", copy + "/.", data.toString()), tmp, Duration.ofSeconds(60));
        System.out.printf("DiskFullIT: data folder on a tmpfs of %d KB (%d KB used at start)%n", sizeKb, used / 1024);

        // ---- 1. no free-space check: the writes themselves fail
        queueConfig(0);
        filler(2L << 20);
        DistributionIT.Server s = start();
        s.awaitSmtp(START_TIMEOUT);
        List<String> refusals = new ArrayList<>();
        int acceptedBefore = fill(s, refusals);
        assertThat(refusals).as("refused when full").isNotEmpty()
                .allSatisfy(r -> assertThat(r).startsWith("452 4.3.1"));
        System.out.println("DiskFullIT phase 1: accepted " + acceptedBefore + ", then " + refusals.get(0));
        assertThat(free(data)).as("the disk is really full").isLessThan(512 * 1024);
        readsAreServed();
        freeSpaceAndExpectRecovery(s);

        // ---- 2. minFreeSpace: MAIL is refused before anything is written
        long minFree = 3L << 20;
        queueConfig(minFree);
        filler(4L << 20);
        s.stop();
        s = start();
        s.awaitSmtp(START_TIMEOUT);
        refusals.clear();
        int accepted2 = fill(s, refusals);
        assertThat(refusals).isNotEmpty().allSatisfy(r -> assertThat(r).startsWith("MAIL 452 4.3.1"));
        assertThat(free(data)).as("room was kept").isGreaterThan(minFree - 512 * 1024);
        System.out.println("DiskFullIT phase 2: accepted " + accepted2 + ", then " + refusals.get(0));
        readsAreServed();
        freeSpaceAndExpectRecovery(s);

        // ---- the end: a clean restart, everything accepted is there exactly once and searchable
        assertThat(s.stop()).isEqualTo(143);
        s = start();
        s.awaitSmtp(START_TIMEOUT);
        awaitMessageCount(OLAF, accepted.size(), Duration.ofSeconds(60));
        assertThat(s.stop()).isEqualTo(143);
        assertThat(CrashLoopIT.list(data.resolve("queue/corrupt"))).isEmpty();
        assertThat(CrashLoopIT.list(data.resolve("queue/active"))).isEmpty();
        try (LuceneMailboxStore store = new LuceneMailboxStore(storeDir(),
                new ConfigStore.MapConfiguration("mailbox-lucene", Map.of()), e -> { }, Clock.systemUTC(), true)) {
            List<StoredMessage> all = store.list(OLAF, "INBOX");
            Map<String, List<StoredMessage>> bySubject = new LinkedHashMap<>();
            for (StoredMessage m : all) bySubject.computeIfAbsent(m.subject(), k -> new ArrayList<>()).add(m);
            for (Map.Entry<String, byte[]> e : accepted.entrySet()) {
                List<StoredMessage> copies = bySubject.getOrDefault("diskfull " + e.getKey(), List.of());
                assertThat(copies).as(e.getKey() + " exactly once").hasSize(1);
                byte[] stored;
                try (InputStream in = store.content(OLAF, "INBOX", copies.get(0).uid()).orElseThrow().open()) {
                    stored = in.readAllBytes();
                }
                assertThat(DistributionIT.withoutTrace(stored)).as(e.getKey() + " byte for byte").isEqualTo(e.getValue());
                assertThat(store.search(OLAF, "INBOX", e.getKey())).as("search " + e.getKey()).hasSize(1);
            }
        }
        System.out.println("DiskFullIT: " + accepted.size() + " accepted messages, all stored once and searchable");
        // what the full disk made fail on the way, from the servers' logs (for docs/reliability.md)
        Map<String, Integer> seen = new LinkedHashMap<>();
        for (String what : List.of("commit of", "cannot open a spool", "writing spool", "cannot store the message",
                "cannot write the log", "updating the index", "index commit failed", "deferred until")) {
            int n = 0;
            for (DistributionIT.Server server : servers) n += server.log().split(java.util.regex.Pattern.quote(what), -1).length - 1;
            seen.put(what, n);
        }
        System.out.println("DiskFullIT: failures logged on the way: " + seen);
    }

    /** Sends 64 KB messages until one is refused (and two more, to see the refusal repeat); returns the accepted count. */
    int fill(DistributionIT.Server s, List<String> refusals) throws Exception {
        int n = 0;
        try (Smtp smtp = new Smtp(s.smtpPort)) {
            for (int i = 0; i < 2000 && refusals.size() < 3; i++) {
                String marker = "d" + counter++;
                byte[] msg = message(marker);
                String r = smtp.command("MAIL FROM:<elsa@herald.test>");
                if (!r.startsWith("250")) {
                    refusals.add("MAIL " + r);
                    continue;
                }
                r = smtp.command("RCPT TO:<" + OLAF + ">");
                if (!r.startsWith("250")) {
                    smtp.command("RSET");
                    refusals.add("RCPT " + r);
                    continue;
                }
                r = smtp.command("DATA");
                if (r.startsWith("354")) r = smtp.data(msg);
                if (r.startsWith("250")) {
                    accepted.put(marker, msg);
                    n++;
                } else {
                    refusals.add(r);
                    smtp.command("RSET");
                }
            }
            // the session is still usable after the refusals
            assertThat(smtp.command("NOOP")).startsWith("250");
        }
        return n;
    }

    /** While the disk is full: the mailbox can be listed and read. */
    void readsAreServed() throws Exception {
        DistributionIT.Result list = herald("mailbox", "list", OLAF);
        assertThat(list.exit()).as(list.stderr()).isZero();
        int n = new String(list.stdout(), StandardCharsets.UTF_8).lines().toList().size();
        assertThat(n).as("messages listed while the disk is full").isPositive();
        DistributionIT.Result show = herald("mailbox", "show", OLAF, "1");
        assertThat(show.exit()).as(show.stderr()).isZero();
        assertThat(show.stdout()).isNotEmpty();
    }

    /** Removes the filler (and the configuration does not change): mail is accepted again, the backlog is delivered. */
    void freeSpaceAndExpectRecovery(DistributionIT.Server s) throws Exception {
        Files.deleteIfExists(data.resolve("filler"));
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        String last = "";
        while (true) {
            List<String> refusals = new ArrayList<>();
            try (Smtp smtp = new Smtp(s.smtpPort)) {
                String marker = "d" + counter++;
                byte[] msg = message(marker);
                last = smtp.send("elsa@herald.test", List.of(OLAF), msg);
                if (last.startsWith("250")) {
                    accepted.put(marker, msg);
                    break;
                }
            }
            if (System.nanoTime() > deadline) throw new AssertionError("still refused after space was freed: " + last + refusals);
            Thread.sleep(500);
        }
        awaitMessageCount(OLAF, accepted.size(), Duration.ofSeconds(90));
    }

    /** A plain file that takes all the free space but {@code leave} octets. */
    void filler(long leave) throws IOException {
        try (OutputStream out = Files.newOutputStream(data.resolve("filler"))) {
            byte[] block = new byte[64 * 1024];
            long target = free(data) - leave;
            for (long w = 0; w + block.length <= target; w += block.length) out.write(block);
        }
    }

    void queueConfig(long minFreeSpace) throws IOException {
        writeAtomically(home.resolve("conf/queue.cfg"), ("retry.initial = 1s\nretry.max = 2s\nminFreeSpace = " + minFreeSpace + "\n")
                .getBytes(StandardCharsets.US_ASCII));
    }

    static byte[] message(String marker) {
        StringBuilder b = new StringBuilder("From: elsa@herald.test\r\nTo: olaf@herald.test\r\nSubject: diskfull ")
                .append(marker).append("\r\nMessage-ID: <").append(marker).append("@full.herald.test>\r\n\r\n")
                .append("marker ").append(marker).append("\r\n");
        while (b.length() < 64 * 1024) b.append("the cold never bothered me anyway, said the queue to the disk\r\n");
        return b.toString().getBytes(StandardCharsets.US_ASCII);
    }

    static long free(Path p) throws IOException {
        return Files.getFileStore(p).getUsableSpace();
    }

    static long du(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        }
    }

    Path storeDir() throws IOException {
        try (Stream<Path> dirs = Files.list(data)) {
            return dirs.filter(d -> Files.isDirectory(d.resolve("logs")) && Files.isDirectory(d.resolve("index")))
                    .findFirst().orElseThrow();
        }
    }
}

package io.herald.queue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The queue as {@code herald queue list|show|retry|delete} sees it, beside a running server or without one.
 *
 * <h2>How the tool and a running server share the queue</h2>
 * <ul>
 *   <li>The running server holds an exclusive lock on {@code queue/lock} ({@link FileQueue#start}); the tool tries
 *       the same lock to know whether a server is running (a crashed server's lock is released by the system).</li>
 *   <li><b>Reading</b> ({@link #scan}) never writes: a message file in {@code active/} is complete (it was renamed
 *       there after it was forced), and a state file is append-only, so a half-written last line is skipped.</li>
 *   <li><b>Changing</b> ({@link #request}): with a server running, the tool drops a request file into
 *       {@code queue/control/} (written beside, then renamed) and waits for the server's answer file; the server
 *       ({@link Control}) applies it through its own queue and delivery agent, so nothing changes behind their back.
 *       With no server running, the tool holds the lock and changes the files itself.</li>
 * </ul>
 */
public final class QueueAdmin {

    private static final Logger log = LoggerFactory.getLogger(QueueAdmin.class);
    static final String LOCK = "lock";
    static final String CONTROL = "control";

    private QueueAdmin() { }

    /** Every entry in {@code queueDir/active}, oldest first, read without writing anything. */
    public static List<QueueEntry.EntryInfo> scan(Path queueDir) throws IOException {
        Path active = queueDir.resolve("active");
        List<QueueEntry.EntryInfo> out = new ArrayList<>();
        if (!Files.isDirectory(active)) return out;
        List<Path> messages = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(active, "*.msg")) {
            ds.forEach(messages::add);
        }
        messages.sort(Comparator.comparing(Path::getFileName));
        for (Path msg : messages) {
            String id = msg.getFileName().toString().replaceFirst("\\.msg$", "");
            EntryFormat.Parsed parsed;
            RecipientState[] rs;
            try {
                parsed = EntryFormat.read(msg, id);
                rs = new RecipientState[parsed.envelope().recipients().size()];
                for (int i = 0; i < rs.length; i++) rs[i] = RecipientState.pending(i, parsed.envelope().recipients().get(i));
                StateLog.load(active.resolve(id + ".state"), rs, false);
            } catch (NoSuchFileException e) {
                continue;   // delivered and removed while we looked
            }
            List<RecipientState> states = List.of(rs);
            if (states.stream().allMatch(RecipientState::finished)) continue;
            out.add(new QueueEntry.EntryInfo(id, parsed.envelope().reversePathText(), parsed.arrival(), parsed.bodyLength(),
                    parsed.session().sessionId(), states));
        }
        return out;
    }

    /** True when a server (another process, or this one) holds the queue's lock. */
    public static boolean serverRunning(Path queueDir) throws IOException {
        Path lock = queueDir.resolve(LOCK);
        if (!Files.exists(lock)) return false;
        try (FileChannel ch = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock l = ch.tryLock();
            if (l == null) return true;
            l.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        }
    }

    /** Asks to delete every queued message the selection matches; the answer says how many were deleted. */
    public static String deleteAll(Path queueDir, QueueSelection selection, Duration timeout, Clock clock) throws IOException, InterruptedException {
        return request(queueDir, "delete all" + selection.words(), timeout, clock);
    }

    /**
     * Asks for a change: {@code retry <id>}, {@code retry all}, {@code delete <id>} or {@code delete all} (with the
     * words of a {@link QueueSelection}). With a server running it is
     * sent to the server and the answer awaited (at most {@code timeout}); else it is applied to the files here.
     *
     * @return the answer, e.g. {@code ok 2 recipients of 1A2B... due now}
     * @throws IOException when the server did not answer in time, or the files cannot be changed
     */
    public static String request(Path queueDir, String command, Duration timeout, Clock clock) throws IOException, InterruptedException {
        Path lockFile = queueDir.resolve(LOCK);
        Files.createDirectories(queueDir);
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null;
            }
            if (l != null) {
                try {
                    return offline(queueDir, command, clock);
                } finally {
                    l.release();
                }
            }
        }
        Path control = queueDir.resolve(CONTROL);
        Files.createDirectories(control);
        String name = UUID.randomUUID().toString();
        Path tmp = control.resolve(name + ".tmp");
        Files.writeString(tmp, command + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, control.resolve(name + ".cmd"), StandardCopyOption.ATOMIC_MOVE);
        Path done = control.resolve(name + ".done");
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(done)) {
                String answer = Files.readString(done, StandardCharsets.UTF_8).trim();
                Files.deleteIfExists(done);
                return answer;
            }
            Thread.sleep(50);
        }
        Files.deleteIfExists(control.resolve(name + ".cmd"));
        throw new IOException("the running server did not answer within " + timeout + " (is it the server of " + queueDir + "?)");
    }

    /** Applies a command to the files, with the lock held (no server running). */
    private static String offline(Path queueDir, String command, Clock clock) throws IOException {
        String[] w = command.trim().split(" +");
        Path active = queueDir.resolve("active");
        if (isDeleteAll(w)) {
            QueueSelection selection;
            try {
                selection = QueueSelection.parse(w, 2);
            } catch (IllegalArgumentException e) {
                return "error " + e.getMessage();
            }
            int n = 0;
            for (QueueEntry.EntryInfo e : scan(queueDir)) {
                if (!selection.matches(e)) continue;
                deleteFiles(active, e.id());
                n++;
            }
            if (n > 0) FileQueue.forceDirectory(active);
            return QueueSelection.deleted(n, selection);
        }
        if (w.length != 2) return "error expected 'retry <id>|all' or 'delete <id>|all'";
        List<QueueEntry.EntryInfo> entries = scan(queueDir);
        switch (w[0]) {
            case "retry" -> {
                int n = 0;
                int found = 0;
                for (QueueEntry.EntryInfo e : entries) {
                    if (!w[1].equals("all") && !e.id().equals(w[1])) continue;
                    found++;
                    Instant now = clock.instant();
                    for (RecipientState r : e.recipients()) {
                        if (r.status() != RecipientState.Status.DEFERRED) continue;
                        StateLog.append(active.resolve(e.id() + ".state"), new RecipientState(r.index(), r.recipient(),
                                r.status(), r.attempts(), Optional.of(now), r.lastReply(), r.updated()));
                        n++;
                    }
                }
                if (found == 0 && !w[1].equals("all")) return "error no queue entry " + w[1];
                return "ok " + n + " deferred recipients due now; they are tried when the server starts";
            }
            case "delete" -> {
                if (entries.stream().noneMatch(e -> e.id().equals(w[1]))) return "error no queue entry " + w[1];
                deleteFiles(active, w[1]);
                FileQueue.forceDirectory(active);
                return "ok deleted " + w[1] + " (no bounce is sent)";
            }
            default -> {
                return "error unknown command '" + w[0] + "'; expected retry or delete";
            }
        }
    }

    /** {@code delete all [to=...] [from=...]}: the id "all" cannot be a queue id (those are upper-case hex). */
    private static boolean isDeleteAll(String[] w) {
        return w.length >= 2 && w[0].equals("delete") && w[1].equals("all");
    }

    /** The message first: a state file without its message is removed at the next start. */
    private static void deleteFiles(Path active, String id) throws IOException {
        Files.deleteIfExists(active.resolve(id + ".msg"));
        Files.deleteIfExists(active.resolve(id + ".state"));
    }

    /**
     * The running server's side: watches {@code queue/control/} and applies each request through the queue;
     * {@code resubmit} hands an entry made due again to the delivery agent.
     */
    public static final class Control implements AutoCloseable {
        private final FileQueue queue;
        private final Consumer<QueueEntry> resubmit;
        private final Path dir;
        private final ScheduledExecutorService timer;

        public Control(FileQueue queue, Consumer<QueueEntry> resubmit, Duration poll) throws IOException {
            this.queue = queue;
            this.resubmit = resubmit;
            this.dir = queue.directory().resolve(CONTROL);
            Files.createDirectories(dir);
            this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "herald-queue-control");
                t.setDaemon(true);
                return t;
            });
            timer.scheduleWithFixedDelay(this::poll, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
        }

        private void poll() {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.cmd")) {
                for (Path cmd : ds) {
                    String name = cmd.getFileName().toString().replaceFirst("\\.cmd$", "");
                    String answer;
                    try {
                        answer = apply(Files.readString(cmd, StandardCharsets.UTF_8).trim());
                    } catch (IOException | RuntimeException e) {
                        answer = "error " + e.getMessage();
                    }
                    Path tmp = dir.resolve(name + ".answer");
                    Files.writeString(tmp, answer + "\n", StandardCharsets.UTF_8);
                    Files.move(tmp, dir.resolve(name + ".done"), StandardCopyOption.ATOMIC_MOVE);
                    Files.deleteIfExists(cmd);
                    log.info("queue control: {} -> {}", name, answer);
                }
            } catch (IOException | RuntimeException e) {
                log.warn("queue control: cannot read {}: {}", dir, e.toString());
            }
        }

        String apply(String command) throws IOException {
            String[] w = command.split(" +");
            if (isDeleteAll(w)) {
                // through the queue, one entry at a time, like 'delete <id>': an attempt running on an entry sees it
                // gone and stops after the recipient in progress (DeliveryAgent)
                QueueSelection selection = QueueSelection.parse(w, 2);
                return QueueSelection.deleted(queue.delete(selection), selection);
            }
            if (w.length != 2) return "error expected 'retry <id>|all' or 'delete <id>|all'";
            switch (w[0]) {
                case "retry" -> {
                    List<QueueEntry> targets = new ArrayList<>();
                    if (w[1].equals("all")) {
                        for (QueueEntry.EntryInfo i : queue.list()) queue.entry(i.id()).ifPresent(targets::add);
                    } else {
                        Optional<QueueEntry> e = queue.entry(w[1]);
                        if (e.isEmpty()) return "error no queue entry " + w[1];
                        targets.add(e.get());
                    }
                    int n = 0;
                    for (QueueEntry e : targets) {
                        n += queue.makeDue(e);
                        resubmit.accept(e);
                    }
                    return "ok " + n + " deferred recipients of " + targets.size() + " entries are being tried now";
                }
                case "delete" -> {
                    return queue.delete(w[1]) ? "ok deleted " + w[1] + " (no bounce is sent)" : "error no queue entry " + w[1];
                }
                default -> {
                    return "error unknown command '" + w[0] + "'; expected retry or delete";
                }
            }
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }
}

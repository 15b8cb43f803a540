package io.herald.queue;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.SessionInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.zip.CRC32C;

/**
 * The durable queue: one file per message in a folder, made durable by group commit.
 *
 * <h2>Layout</h2>
 * <pre>
 *   queue/tmp/&lt;id&gt;.msg      a message being received (never delivered; removed at start)
 *   queue/active/&lt;id&gt;.msg   a committed message: envelope + bytes + added headers + trailer ({@link EntryFormat})
 *   queue/active/&lt;id&gt;.state per-recipient state, append-only, forced per change except a local delivery ({@link StateLog});
 *                            created at the first change (no file: every recipient is still pending)
 *   queue/corrupt/           committed-looking files that failed verification at start, kept for the operator
 * </pre>
 *
 * <h2>Commit</h2>
 * {@link Spool#commit} writes the added headers and the trailer (length + CRC32C) in the caller's thread. When no
 * other commit is in flight (a lone client) the caller's thread then makes it durable itself, as a batch of one, and
 * the returned future is already complete: no thread is woken on the way to the 250, at the price of blocking the
 * caller (an SMTP I/O thread) for the two forces. Otherwise it hands the spool to the committer thread, which takes
 * <em>every</em> pending commit at once and, for the batch:
 * renames each {@code tmp/<id>.msg} to {@code active/} (no state file yet: it is created at the first change), forces each file
 * (concurrently, on {@code sync.threads} threads, so ext4 can merge them into few journal commits), then forces
 * the {@code active/} directory once for the whole batch. Renaming before forcing lets the first force carry the
 * batch's renames into the same journal commit, so the directory sync is nearly free: one journal commit per batch,
 * not two. Only after the directory sync are the futures completed (on a separate callback thread, so a slow
 * listener never holds up the next batch; a batch of one on the thread that made it durable) and the entries handed to
 * delivery: the 250 still waits for the file and the directory. A file that could not be made durable fails its
 * future with the {@link IOException} and is removed.
 *
 * <h2>Recovery</h2>
 * {@link #start} removes everything in {@code tmp/}, verifies each {@code active/*.msg} and hands every entry with
 * unfinished recipients to the consumer, with the recipient states read from its state file. A file reaches
 * {@code active/} only when it is completely written (the process may die after that, the page cache keeps it), but
 * it is forced after the rename: after a power failure {@code active/} may hold a message whose 250 was never sent.
 * A complete one is delivered (the client will send it again: a duplicate, which SMTP allows, as for a crash between
 * the sync and the 250); a torn one fails verification and is moved to {@code corrupt/}, like real damage.
 */
public final class FileQueue implements MessageQueue, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FileQueue.class);
    /**
     * A spool's write buffer: most messages fit (then the file is written once, at the commit); a larger one is
     * written in blocks of this size. Allocated per message, so not larger than that needs.
     */
    private static final int BUFFER = 16 * 1024;
    /** How long {@link #close()} waits for the commits under way. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(30);

    private final Path dir;
    private final Path tmpDir;
    private final Path activeDir;
    private final Path corruptDir;
    private final QueueSettings settings;
    private final Clock clock;

    private final Map<String, QueueEntry> entries = new ConcurrentHashMap<>();
    private final LinkedBlockingQueue<FileSpool> pending = new LinkedBlockingQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong lastId = new AtomicLong();
    private final Object idle = new Object();

    private final AtomicLong committed = new AtomicLong();
    private final AtomicLong commitFailures = new AtomicLong();
    private final AtomicLong syncs = new AtomicLong();
    private final AtomicLong fileForces = new AtomicLong();
    private final AtomicLong largestBatch = new AtomicLong();
    private final AtomicLong recovered = new AtomicLong();
    private final AtomicLong corrupt = new AtomicLong();
    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong deferred = new AtomicLong();

    private volatile boolean running;
    private volatile FileStore tmpStore;   // the file system of tmp/, for hasRoomFor
    private FileChannel lockChannel;
    private java.nio.channels.FileLock lock;
    private volatile Consumer<QueueEntry> consumer = e -> { };
    private Thread committer;
    private ExecutorService forcePool;
    private ExecutorService callbacks;

    public FileQueue(Path dir, QueueSettings settings) {
        this(dir, settings, Clock.systemUTC());
    }

    /**
     * @param dir      the queue folder ({@code HeraldPaths.queue()}); created when missing
     * @param settings the {@code queue} settings
     * @param clock    the time written as arrival and state-change times
     */
    public FileQueue(Path dir, QueueSettings settings, Clock clock) {
        this.dir = dir.toAbsolutePath();
        this.tmpDir = this.dir.resolve("tmp");
        this.activeDir = this.dir.resolve("active");
        this.corruptDir = this.dir.resolve("corrupt");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    public Path directory() {
        return dir;
    }

    /**
     * Recovers the entries on disk and starts accepting commits. Every recovered entry with unfinished
     * recipients, and from then on every committed one, is given to {@code ready} (on a queue thread; the
     * consumer must not block for long).
     *
     * @return the number of entries recovered
     */
    public synchronized int start(Consumer<QueueEntry> ready) throws IOException {
        if (running) throw new IllegalStateException("queue already started");
        this.consumer = Objects.requireNonNull(ready, "ready");
        Files.createDirectories(tmpDir);
        Files.createDirectories(activeDir);
        Files.createDirectories(corruptDir);
        lock();
        List<QueueEntry> found;
        try {
            found = recover();
        } catch (IOException | RuntimeException e) {
            unlock();
            throw e;
        }
        running = true;
        forcePool = Executors.newFixedThreadPool(settings.syncThreads(), named("herald-queue-force"));
        callbacks = Executors.newSingleThreadExecutor(named("herald-queue-callback"));
        committer = named("herald-queue-committer").newThread(this::commitLoop);
        committer.start();
        for (QueueEntry e : found) callbacks.execute(() -> handOver(e));
        log.info("queue {} started: {} entries recovered, {} damaged set aside", dir, found.size(), corrupt.get());
        return found.size();
    }

    @Override
    public Spool open(SessionInfo session, Envelope envelope) throws IOException {
        if (!running) throw new IOException("the queue is not running");
        if (envelope.recipients().isEmpty()) throw new IllegalArgumentException("an envelope without recipients");
        String id = nextId();
        Instant arrival = clock.instant();
        Path file = tmpDir.resolve(id + ".msg");
        FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        try {
            byte[] head = EntryFormat.envelopeBlock(session, envelope, arrival);
            FileSpool spool = new FileSpool(id, session, envelope, arrival, file, ch, head.length);
            spool.crc.update(head);
            // into the buffer, written with the message (once, at the commit, for most messages)
            if (head.length <= spool.buffer.remaining()) spool.buffer.put(head);
            else writeFully(ch, ByteBuffer.wrap(head));
            return spool;
        } catch (IOException | RuntimeException e) {
            closeQuietly(ch);
            Files.deleteIfExists(file);
            throw e;
        }
    }

    /**
     * Takes {@code queue/lock}: one server per queue folder, and the sign for {@code herald queue} that a server is
     * running ({@link QueueAdmin}).
     */
    private void lock() throws IOException {
        lockChannel = FileChannel.open(dir.resolve(QueueAdmin.LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            lock = lockChannel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            lockChannel = null;
            throw new IOException("the queue " + dir + " is in use by another running server");
        }
    }

    private void unlock() {
        try {
            if (lock != null) lock.release();
            if (lockChannel != null) lockChannel.close();
        } catch (IOException e) {
            log.warn("queue: releasing {} failed: {}", dir.resolve(QueueAdmin.LOCK), e.toString());
        }
        lock = null;
        lockChannel = null;
    }

    /**
     * Makes every deferred recipient of the entry due now ({@code herald queue retry}); persisted like any change.
     *
     * @return the number of recipients changed
     */
    public int makeDue(QueueEntry entry) throws IOException {
        int n = 0;
        Instant now = clock.instant();
        for (RecipientState r : entry.recipients()) {
            if (r.status() != RecipientState.Status.DEFERRED) continue;
            RecipientState due = new RecipientState(r.index(), r.recipient(), r.status(), r.attempts(), Optional.of(now),
                    r.lastReply(), r.updated());
            appendForced(entry, due);
            entry.set(due);
            n++;
        }
        return n;
    }

    /**
     * Removes an entry whatever its recipients' states ({@code herald queue delete}); no bounce is sent. An attempt
     * running on it finishes the recipient in progress and stops.
     *
     * @return false when there is no such entry
     */
    public boolean delete(String id) throws IOException {
        QueueEntry e = entries.get(id);
        if (e == null) return false;
        remove(e);
        forceDirectory(activeDir);
        log.info("queue: entry {} deleted by the operator", id);
        return true;
    }

    /**
     * Removes every entry the selection matches ({@code herald queue delete --all}), like {@link #delete(String)} each,
     * with one sync of the folder at the end rather than one per entry.
     *
     * @return how many entries were removed
     */
    public int delete(QueueSelection selection) throws IOException {
        int n = 0;
        for (QueueEntry e : List.copyOf(entries.values())) {
            if (entries.get(e.id()) != e || !selection.matches(e.info())) continue;
            remove(e);
            n++;
        }
        if (n > 0) forceDirectory(activeDir);
        log.info("queue: {} entries deleted by the operator (delete all{})", n, selection.words());
        return n;
    }

    @Override
    public boolean hasRoomFor(long octets) {
        if (settings.minFreeSpace() == 0) return true;
        try {
            // one statfs(2) per MAIL; finding the FileStore (Files.getFileStore: /proc/mounts read and every mount
            // point stat'ed) is done once
            FileStore store = tmpStore;
            if (store == null) tmpStore = store = Files.getFileStore(tmpDir);
            long usable = store.getUsableSpace();
            return usable - octets >= settings.minFreeSpace();
        } catch (IOException e) {
            log.warn("queue: cannot read the free space of {}: {}", tmpDir, e.toString());
            return true;   // the write itself will tell
        }
    }

    /** The entry with this id, while it is queued. */
    public Optional<QueueEntry> entry(String id) {
        return Optional.ofNullable(entries.get(id));
    }

    /** Every queued entry with its recipients' states, oldest first. */
    public List<QueueEntry.EntryInfo> list() {
        return entries.values().stream().sorted(Comparator.comparing(QueueEntry::id)).map(QueueEntry::info).toList();
    }

    /** The number of committed entries still queued. */
    public int size() {
        return entries.size();
    }

    public QueueStats stats() {
        return new QueueStats(committed.get(), commitFailures.get(), syncs.get(), fileForces.get(), largestBatch.get(),
                recovered.get(), corrupt.get(), delivered.get(), failed.get(), deferred.get(), entries.size());
    }

    /** Waits until no commit is in flight and no entry is queued; false when the time ran out first. */
    public boolean awaitEmpty(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (idle) {
            while (inFlight.get() > 0 || !entries.isEmpty()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) return false;
                TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
            return true;
        }
    }

    /**
     * Records a recipient's new state: appended to the entry's state file and forced before it counts. When
     * every recipient is finished the entry's files are removed.
     */
    public void update(QueueEntry entry, RecipientState state) throws IOException {
        appendForced(entry, state);
        applied(entry, state);
    }

    /** Appends a state and forces it; the folder too the first time (the file may be new, or its name not durable). */
    private void appendForced(QueueEntry entry, RecipientState state) throws IOException {
        StateLog.append(activeDir.resolve(entry.id() + ".state"), state, true, entry.stateFileNamed());
        entry.stateFileNamed(true);
    }

    /**
     * Records a recipient delivered by an attempt that can be repeated without effect: a local delivery, which the
     * mailbox store recognises by its delivery key ({@code <queue id>/<recipient>}) and stores once. Such a state is
     * not forced: when it finishes the entry it is not written at all (the entry's files are removed right after),
     * otherwise it is appended and left to the page cache (the next forced state of the entry makes it durable too).
     * If a crash loses it, or the removal, the recipient is delivered again after the restart and the store answers
     * with the copy it already holds. Everything else ({@link #update}) is forced: a relayed message or a bounce
     * cannot be taken back, so their outcome must be durable before the entry can go.
     *
     * @throws IllegalArgumentException when the state is not {@code DELIVERED}
     */
    public void updateRepeatable(QueueEntry entry, RecipientState state) throws IOException {
        if (state.status() != RecipientState.Status.DELIVERED) {
            throw new IllegalArgumentException("only a delivered recipient is recorded without a force, not " + state.status());
        }
        if (!entry.finishedWith(state)) StateLog.append(activeDir.resolve(entry.id() + ".state"), state, false, false);
        applied(entry, state);
    }

    /** The state is on disk (or need not be): in memory now, counted, and the entry removed when it is finished. */
    private void applied(QueueEntry entry, RecipientState state) {
        entry.set(state);
        switch (state.status()) {
            case DELIVERED -> delivered.incrementAndGet();
            case FAILED -> failed.incrementAndGet();
            case DEFERRED -> deferred.incrementAndGet();
            default -> { }
        }
        if (entry.finished()) remove(entry);
    }

    /** The clock this queue writes times with. */
    public Clock clock() {
        return clock;
    }

    /**
     * Stops accepting messages (a commit from now on fails: {@code the queue is closed}); commits already under way are
     * finished first, on the committer and on their callers' threads (a lone commit), for at most {@link #CLOSE_WAIT}
     * in all. One still unfinished then (a file system that does not answer) is left to its thread: its message is in
     * {@code active/} and delivered after the next start if its rename and forces complete, otherwise its
     * {@code tmp/} file is removed at the next start; either way its client had no {@code 250}.
     */
    @Override
    public void close() {
        Thread c;
        synchronized (this) {
            if (!running) return;
            running = false;
            c = committer;
        }
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        try {
            c.join(CLOSE_WAIT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // a commit that raced with close and missed the committer
        List<FileSpool> missed = new ArrayList<>();
        pending.drainTo(missed);
        for (FileSpool s : missed) fail(s, new IOException("the queue is closed"));
        // commits made durable on their callers' threads are not the committer's: wait for them too
        try {
            synchronized (idle) {
                long left;
                while (inFlight.get() > 0 && (left = deadline - System.nanoTime()) > 0) TimeUnit.NANOSECONDS.timedWait(idle, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (inFlight.get() > 0) log.warn("queue {}: {} commits still under way after {}; left to finish", dir, inFlight.get(), CLOSE_WAIT);
        forcePool.shutdown();
        callbacks.shutdown();
        try {
            callbacks.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        unlock();
        log.info("queue {} closed: {}", dir, stats());
    }

    // ---- commit ----

    private void commitLoop() {
        List<FileSpool> batch = new ArrayList<>();
        while (true) {
            FileSpool first;
            try {
                first = pending.poll(50, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                first = null;
            }
            if (first == null) {
                if (!running && pending.isEmpty()) return;
                continue;
            }
            batch.clear();
            batch.add(first);
            pending.drainTo(batch);
            commitOrFail(batch);
        }
    }

    /** Commits a batch; an unexpected failure fails every commit of it not yet completed. */
    private void commitOrFail(List<FileSpool> batch) {
        try {
            commitBatch(batch);
        } catch (RuntimeException | Error e) {
            log.error("queue commit: unexpected failure; failing {} commits", batch.size(), e);
            for (FileSpool s : batch) {
                if (!s.future.isDone()) fail(s, new IOException("queue commit failed: " + e, e));
            }
        }
    }

    private void commitBatch(List<FileSpool> batch) {
        // 1. the rename into active/, per message (the state file comes with the first change of a recipient's
        //    state, so a message delivered locally at once never has one). The renames come before the forces: on a
        //    journalling file system the first force then commits every rename of the batch with it, and the
        //    directory sync of step 3 finds little left to do (one journal commit per batch instead of two).
        //    Nothing is acknowledged before step 3, so a crash in between only leaves unacknowledged messages.
        List<FileSpool> moved = new ArrayList<>(batch.size());
        for (FileSpool s : batch) {
            try {
                Files.move(s.file, activeDir.resolve(s.id + ".msg"), StandardCopyOption.ATOMIC_MOVE);
                moved.add(s);
            } catch (IOException e) {
                deleteQuietly(activeDir.resolve(s.id + ".state"));
                closeQuietly(s.channel);
                fail(s, e);
            }
        }
        if (moved.isEmpty()) return;
        // 2. force every file's data; concurrently, so that the file system can merge them
        if (moved.size() == 1) {
            moved.get(0).forceAndClose();
        } else {
            List<Future<?>> forces = new ArrayList<>(moved.size());
            for (FileSpool s : moved) forces.add(forcePool.submit(s::forceAndClose));
            for (Future<?> f : forces) {
                try {
                    f.get();
                } catch (Exception e) {
                    log.error("queue: forcing a spool file failed unexpectedly", e);
                }
            }
        }
        fileForces.addAndGet(moved.size());
        moved.removeIf(s -> {
            if (s.failure == null) return false;
            unpublish(s, s.failure);
            return true;
        });
        if (moved.isEmpty()) return;
        // 3. one directory sync for the whole batch makes every rename durable
        try {
            forceDirectory(activeDir);
            syncs.incrementAndGet();
            largestBatch.accumulateAndGet(moved.size(), Math::max);
        } catch (IOException e) {
            log.error("queue: syncing {} failed; {} commits fail", activeDir, moved.size(), e);
            for (FileSpool s : moved) unpublish(s, e);
            return;
        }
        // 4. durable: publish. The futures of a batch of several are completed on the callback thread, so that
        //    their listeners (each SMTP session writing its 250 and logging it) never hold up the next batch; a batch
        //    of one (a commit made on its caller's thread, or a lone one on the committer: nobody else waited for this
        //    sync) is completed here, one thread hand-off less on the way to its 250
        boolean here = moved.size() == 1;
        for (FileSpool s : moved) {
            RecipientState[] states = new RecipientState[s.envelope.recipients().size()];
            for (int i = 0; i < states.length; i++) states[i] = RecipientState.pending(i, s.envelope.recipients().get(i));
            QueueEntry entry = new QueueEntry(s.id, s.session, s.envelope, s.arrival, s.headers,
                    new FileRegionContent(activeDir.resolve(s.id + ".msg"), s.bodyOffset, s.size), states);
            entries.put(s.id, entry);
            committed.incrementAndGet();
            s.state = SpoolState.COMMITTED;
            Runnable publish = () -> {
                s.future.complete(null);
                handOver(entry);
            };
            if (here) publish.run();
            else callbacks.execute(publish);
            finishedInFlight();
        }
    }

    /** A message renamed into active/ that could not be made durable: removed again, its commit failed. */
    private void unpublish(FileSpool s, IOException e) {
        deleteQuietly(activeDir.resolve(s.id + ".msg"));
        deleteQuietly(activeDir.resolve(s.id + ".state"));
        fail(s, e);
    }

    private void handOver(QueueEntry entry) {
        try {
            consumer.accept(entry);
        } catch (RuntimeException e) {
            // the entry stays queued and is handed over again at the next start
            log.error("queue: the delivery consumer refused entry {}; it stays queued", entry.id(), e);
        }
    }

    private void fail(FileSpool s, IOException e) {
        s.state = SpoolState.FAILED;
        closeQuietly(s.channel);
        deleteQuietly(s.file);
        commitFailures.incrementAndGet();
        log.warn("queue: commit of {} failed: {}", s.id, e.toString());
        Executor.run(callbacks, () -> s.future.completeExceptionally(e));
        finishedInFlight();
    }

    private void finishedInFlight() {
        inFlight.decrementAndGet();
        signalIdle();
    }

    private void signalIdle() {
        synchronized (idle) {
            idle.notifyAll();
        }
    }

    private void remove(QueueEntry entry) {
        entries.remove(entry.id());
        // message first: a state file without its message is removed at the next start
        deleteQuietly(activeDir.resolve(entry.id() + ".msg"));
        deleteQuietly(activeDir.resolve(entry.id() + ".state"));
        signalIdle();
    }

    // ---- recovery ----

    private List<QueueEntry> recover() throws IOException {
        int removedTmp = 0;
        try (DirectoryStream<Path> tmp = Files.newDirectoryStream(tmpDir)) {
            for (Path p : tmp) {
                Files.deleteIfExists(p);
                removedTmp++;
            }
        }
        if (removedTmp > 0) log.info("queue: removed {} uncommitted spool files from {}", removedTmp, tmpDir);
        List<Path> messages = new ArrayList<>();
        List<Path> states = new ArrayList<>();
        try (DirectoryStream<Path> active = Files.newDirectoryStream(activeDir)) {
            for (Path p : active) {
                String name = p.getFileName().toString();
                if (name.endsWith(".msg")) messages.add(p);
                else if (name.endsWith(".state")) states.add(p);
            }
        }
        messages.sort(Comparator.comparing(Path::getFileName));
        boolean changed = false;
        List<QueueEntry> found = new ArrayList<>();
        for (Path msg : messages) {
            String id = msg.getFileName().toString().replaceFirst("\\.msg$", "");
            Path stateFile = activeDir.resolve(id + ".state");
            EntryFormat.Parsed parsed;
            try {
                parsed = EntryFormat.read(msg, id);
            } catch (IOException e) {
                log.warn("queue: entry {} is damaged ({}); moved to {}", id, e.getMessage(), corruptDir);
                Files.move(msg, corruptDir.resolve(msg.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                if (Files.exists(stateFile)) {
                    Files.move(stateFile, corruptDir.resolve(stateFile.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                }
                corrupt.incrementAndGet();
                changed = true;
                continue;
            }
            lastId.accumulateAndGet(parseId(id), Math::max);
            RecipientState[] rs = new RecipientState[parsed.envelope().recipients().size()];
            for (int i = 0; i < rs.length; i++) rs[i] = RecipientState.pending(i, parsed.envelope().recipients().get(i));
            StateLog.load(stateFile, rs);     // none yet: every recipient pending
            QueueEntry entry = new QueueEntry(id, parsed.session(), parsed.envelope(), parsed.arrival(), parsed.headers(),
                    new FileRegionContent(msg, parsed.bodyOffset(), parsed.bodyLength()), rs);
            if (entry.finished()) {
                remove(entry);
                continue;
            }
            entries.put(id, entry);
            found.add(entry);
        }
        for (Path st : states) {
            String id = st.getFileName().toString().replaceFirst("\\.state$", "");
            if (!Files.exists(activeDir.resolve(id + ".msg"))) {
                Files.deleteIfExists(st);
            }
        }
        if (changed) forceDirectory(activeDir);
        recovered.set(found.size());
        return found;
    }

    // ---- ids and files ----

    /** Ids sort by arrival: 14 hex digits of (milliseconds << 12 | sequence), unique across restarts. */
    private String nextId() {
        long now = System.currentTimeMillis() << 12;
        long id = lastId.accumulateAndGet(now, (last, n) -> Math.max(last + 1, n));
        return hex14(id);
    }

    private static final byte[] HEX = "0123456789ABCDEF".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** {@code String.format("%014X", id)} without a Formatter per message (ids fit in 14 hex digits until year 6429). */
    static String hex14(long id) {
        byte[] b = new byte[14];
        for (int i = 13; i >= 0; i--, id >>>= 4) b[i] = HEX[(int) (id & 0xF)];
        return new String(b, java.nio.charset.StandardCharsets.US_ASCII);
    }

    private static long parseId(String id) {
        try {
            return Long.parseUnsignedLong(id, 16);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static void forceDirectory(Path directory) throws IOException {
        try (FileChannel d = FileChannel.open(directory, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) ch.write(b);
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            if (ch != null) ch.close();
        } catch (IOException e) {
            log.debug("closing a spool file failed", e);
        }
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException e) {
            log.warn("queue: cannot remove {}: {}", p, e.toString());
        }
    }

    private static ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Runs on an executor, or right here when it has been shut down. */
    private static final class Executor {
        static void run(ExecutorService ex, Runnable r) {
            try {
                ex.execute(r);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                r.run();
            }
        }
    }

    private enum SpoolState { OPEN, COMMITTING, COMMITTED, FAILED, DISCARDED }

    /** One message being received into {@code tmp/}. */
    private final class FileSpool implements Spool {
        final String id;
        final SessionInfo session;
        final Envelope envelope;
        final Instant arrival;
        final Path file;
        final FileChannel channel;
        final long bodyOffset;
        final CRC32C crc = new CRC32C();
        final CompletableFuture<Void> future = new CompletableFuture<>();
        final ByteBuffer buffer = ByteBuffer.allocate(BUFFER);
        volatile SpoolState state = SpoolState.OPEN;
        long size;
        List<HeaderField> headers = List.of();
        volatile IOException failure;

        FileSpool(String id, SessionInfo session, Envelope envelope, Instant arrival, Path file, FileChannel channel,
                  long bodyOffset) {
            this.id = id;
            this.session = session;
            this.envelope = envelope;
            this.arrival = arrival;
            this.file = file;
            this.channel = channel;
            this.bodyOffset = bodyOffset;
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, bytes.length);
            if (state != SpoolState.OPEN) throw new IOException("spool " + id + " is " + state.name().toLowerCase());
            crc.update(bytes, offset, length);
            size += length;
            while (length > 0) {
                int n = Math.min(length, buffer.remaining());
                buffer.put(bytes, offset, n);
                offset += n;
                length -= n;
                if (!buffer.hasRemaining()) flushBuffer();
            }
        }

        private void flushBuffer() throws IOException {
            buffer.flip();
            writeFully(channel, buffer);
            buffer.clear();
        }

        @Override
        public synchronized long size() {
            return size;
        }

        @Override
        public synchronized MessageContent content() throws IOException {
            if (state != SpoolState.OPEN) throw new IOException("spool " + id + " is " + state.name().toLowerCase());
            flushBuffer();
            return new FileRegionContent(file, bodyOffset, size);
        }

        @Override
        public CompletableFuture<Void> commit(List<HeaderField> addedHeaders) {
            synchronized (this) {
                if (state != SpoolState.OPEN) {
                    return CompletableFuture.failedFuture(new IllegalStateException("spool " + id + " is " + state.name().toLowerCase()));
                }
                state = SpoolState.COMMITTING;
                try {
                    headers = List.copyOf(addedHeaders);
                    byte[] hb = EntryFormat.headersBlock(headers);
                    crc.update(hb);
                    buffer.flip();
                    // the trailer's fields are covered by the CRC too
                    ByteBuffer trailer = EntryFormat.trailer(bodyOffset, size, hb.length, crc);
                    // one write(v) call for what is buffered, the added headers and the trailer
                    ByteBuffer[] rest = {buffer, ByteBuffer.wrap(hb), trailer};
                    while (trailer.hasRemaining()) channel.write(rest);
                    buffer.clear();
                } catch (IOException e) {
                    state = SpoolState.FAILED;
                    closeQuietly(channel);
                    deleteQuietly(file);
                    commitFailures.incrementAndGet();
                    return CompletableFuture.failedFuture(e);
                }
            }
            boolean alone = inFlight.incrementAndGet() == 1;
            if (!running) {
                fail(this, new IOException("the queue is closed"));
                return future;
            }
            if (alone) {
                // no other commit in flight (a lone client): nobody to share a sync with, so it is made durable right
                // here, without waking the committer and without a hand-off back to the caller; the future is
                // complete when this returns. Commits arriving meanwhile go to the committer and are batched there
                commitOrFail(List.of(this));
                return future;
            }
            pending.add(this);
            return future;
        }

        /** Step 1 of the batch: the file's data on stable storage. */
        void forceAndClose() {
            try {
                channel.force(true);
            } catch (IOException e) {
                failure = e;
            } finally {
                closeQuietly(channel);
            }
        }

        @Override
        public synchronized void discard() {
            if (state != SpoolState.OPEN) return;
            state = SpoolState.DISCARDED;
            closeQuietly(channel);
            deleteQuietly(file);
        }
    }
}

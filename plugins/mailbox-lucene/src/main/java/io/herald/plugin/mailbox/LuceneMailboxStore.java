package io.herald.plugin.mailbox;

import io.herald.api.config.Configuration;
import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.mailbox.MailboxEventPublisher;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.plugin.PluginContext;
import jakarta.inject.Inject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A {@link MailboxStore} that keeps messages in files and indexes them with Lucene.
 *
 * <h2>On disk (below the plugin's data folder)</h2>
 * <pre>
 * blobs/ab/cdef…      message bytes, named by their SHA-256 (one copy for many recipients)
 * blobs/tmp/          blobs being written
 * logs/&lt;mailbox&gt;.log  one append-only, checksummed log per mailbox: mailbox created, folder created,
 *                     message added {folder, uid, uidValidity, blob, size, internal date, flags, delivery key, summary}
 * index/              Lucene: one document per message; derived, rebuilt from blobs + logs when missing or damaged
 * </pre>
 *
 * <p>The blobs and logs are the truth. {@link #deliver} returns once the blob (written, forced, renamed, folder synced)
 * and the log record (appended, forced) are durable; concurrent deliveries to one mailbox share a force. The index is
 * updated right after, seen at once by {@link #search} (near-real-time reader) and committed every
 * {@code index.commit-interval}; each commit records how far each log is indexed, and opening the store indexes the
 * records after that point.
 *
 * <p>Read-only mode (command-line tools beside a running server) writes nothing and takes no lock: it reads the logs
 * (so it sees every durable delivery) and the last committed index.
 *
 * <p>Configuration ({@code conf/mailbox-lucene.cfg}): {@code index.commit-interval} (default 5s),
 * {@code index.max-text} (characters of text indexed per message, default 1000000),
 * {@code index.max-mime-depth} (default 20).
 */
public final class LuceneMailboxStore implements MailboxStore, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LuceneMailboxStore.class);
    private static final int LOG_VERSION = 1;
    private static final int MAX_SUMMARY = 4096;
    private static final String COMMIT_KEY_PREFIX = "log:";

    private final Path dataDir;
    private final Path logsDir;
    private final boolean readOnly;
    private final MailboxEventPublisher events;
    private final Clock clock;
    private final BlobStore blobs;
    private final MessageIndex index;
    private final MessageParser parser;
    private final ConcurrentSkipListMap<String, Mailbox> mailboxes = new ConcurrentSkipListMap<>();
    private final Map<Path, Mailbox> readOnlyLogs = new HashMap<>();
    private final Object createLock = new Object();
    private final Object commitLock = new Object();
    private final ReentrantReadWriteLock indexLock = new ReentrantReadWriteLock();
    private final AtomicBoolean dirty = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ScheduledExecutorService committer;

    /** As a plugin: files in the plugin's data folder, read-only when the host says so. */
    @Inject
    public LuceneMailboxStore(PluginContext context, MailboxEventPublisher events, Clock clock) {
        this(context.dataDir(), context.config(), events, clock, context.readOnly());
    }

    /** A writing store on the system clock. */
    public LuceneMailboxStore(Path dataDir, Configuration config, MailboxEventPublisher events) {
        this(dataDir, config, events, Clock.systemUTC(), false);
    }

    /**
     * Opens (creating when needed, unless read-only) the store in {@code dataDir}.
     *
     * @throws UncheckedIOException when the files cannot be opened, or another writer holds the folder
     */
    public LuceneMailboxStore(Path dataDir, Configuration config, MailboxEventPublisher events, Clock clock, boolean readOnly) {
        this.dataDir = dataDir;
        this.logsDir = dataDir.resolve("logs");
        this.readOnly = readOnly;
        this.events = events;
        this.clock = clock;
        this.blobs = new BlobStore(dataDir.resolve("blobs"));
        this.index = new MessageIndex(dataDir.resolve("index"), readOnly);
        this.parser = new MessageParser(config.getInt("index.max-text", 1_000_000, 0, Integer.MAX_VALUE / 8),
                config.getInt("index.max-mime-depth", 20, 1, 1000));
        Duration interval = config.getDuration("index.commit-interval", Duration.ofSeconds(5));
        try {
            if (readOnly) {
                committer = null;
                refresh();
            } else {
                Files.createDirectories(logsDir);
                index.openWriter(); // takes Lucene's write lock: one writer per data folder
                blobs.open();
                Durable.syncDir(dataDir);
                loadLogs();
                catchUpIndex();
                committer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "mailbox-lucene-committer");
                    t.setDaemon(true);
                    return t;
                });
                long ms = Math.max(10, interval.toMillis());
                committer.scheduleWithFixedDelay(this::periodicCommit, ms, ms, TimeUnit.MILLISECONDS);
            }
        } catch (IOException e) {
            try {
                closeFiles();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("cannot open the mailbox store in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    // ---------------------------------------------------------------- state

    /** A message of a folder, with where its record is in the log. */
    private record Entry(StoredMessage message, String blob, long recordStart, long recordEnd) { }

    private static final class Folder {
        final String name;
        final long uidValidity;
        long nextUid = 1; // guarded by the mailbox lock
        final ConcurrentSkipListMap<Long, Entry> messages = new ConcurrentSkipListMap<>();

        Folder(String name, long uidValidity) {
            this.name = name;
            this.uidValidity = uidValidity;
        }
    }

    private static final class Mailbox {
        final Path path;
        String name; // set by the first record
        MailboxLog log; // writer only
        long readEnd; // read-only: how far the log has been read
        final ReentrantLock lock = new ReentrantLock();
        final Map<String, Folder> folders = new ConcurrentHashMap<>();
        final Map<String, Entry> byKey = new ConcurrentHashMap<>();
        /** Offsets of records appended but not yet in the index. */
        final ConcurrentSkipListSet<Long> unindexed = new ConcurrentSkipListSet<>();
        long lastUidValidity;
        volatile IOException broken;

        Mailbox(Path path) {
            this.path = path;
        }

        void apply(LogRecord r, long start, long end) {
            if (r instanceof LogRecord.MailboxCreated m) {
                name = m.mailbox();
            } else if (r instanceof LogRecord.FolderCreated f) {
                    folders.putIfAbsent(f.folder(), new Folder(f.folder(), f.uidValidity()));
                    lastUidValidity = Math.max(lastUidValidity, f.uidValidity());
            } else if (r instanceof LogRecord.MessageAdded m) {
                    if (name == null) return;
                    Folder folder = folders.computeIfAbsent(m.folder(), n -> new Folder(n, m.uidValidity()));
                    StoredMessage msg = new StoredMessage(name, m.folder(), m.uidValidity(), m.uid(), m.size(),
                            m.internalDate(), m.flags(), m.from(), m.subject(), m.messageId());
                    Entry e = new Entry(msg, m.blob(), start, end);
                    folder.messages.put(m.uid(), e);
                    folder.nextUid = Math.max(folder.nextUid, m.uid() + 1);
                    byKey.put(m.deliveryKey(), e);
            } else if (r instanceof LogRecord.Unknown u) {
                LuceneMailboxStore.log.debug("{}: skipping log record of unknown type {}", path, u.type());
            }
        }
    }

    private void loadLogs() throws IOException {
        try (var files = Files.list(logsDir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (!p.getFileName().toString().endsWith(".log")) continue;
                Mailbox mb = new Mailbox(p);
                long validEnd = MailboxLog.read(p, 0, mb::apply);
                if (mb.name == null) {
                    // a crash while the mailbox was being created: create() never returned, so nothing is lost
                    log.warn("removing mailbox log {} that has no valid creation record", p);
                    Files.delete(p);
                    continue;
                }
                long size = Files.size(p);
                if (size > validEnd) {
                    log.warn("mailbox log {}: ignoring {} bytes after the last valid record (interrupted write)", p, size - validEnd);
                }
                mb.log = MailboxLog.openForAppend(p, validEnd);
                mailboxes.put(mb.name, mb);
            }
        }
    }

    /** Read-only: reads what the writer has appended since the last look, and logs of new mailboxes. */
    private synchronized void refresh() {
        if (!readOnly) return;
        try {
            if (!Files.isDirectory(logsDir)) return;
            try (var files = Files.list(logsDir)) {
                for (Path p : (Iterable<Path>) files::iterator) {
                    if (p.getFileName().toString().endsWith(".log")) readOnlyLogs.computeIfAbsent(p, Mailbox::new);
                }
            }
            for (Mailbox mb : readOnlyLogs.values()) {
                mb.readEnd = MailboxLog.read(mb.path, mb.readEnd, mb::apply);
                if (mb.name != null) mailboxes.putIfAbsent(mb.name, mb);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the mailbox logs in " + logsDir, e);
        }
    }

    // ---------------------------------------------------------------- MailboxStore

    @Override
    public boolean exists(String mailbox) {
        refresh();
        return mailboxes.containsKey(mailbox);
    }

    @Override
    public void create(String mailbox) throws MailboxException {
        requireWritable();
        validateName(mailbox);
        List<String> created = new ArrayList<>();
        synchronized (createLock) {
            if (mailboxes.containsKey(mailbox)) return;
            Mailbox mb = new Mailbox(logsDir.resolve(fileName(mailbox) + ".log"));
            Instant now = clock.instant();
            java.io.ByteArrayOutputStream records = new java.io.ByteArrayOutputStream();
            List<LogRecord> list = new ArrayList<>();
            list.add(new LogRecord.MailboxCreated(LOG_VERSION, mailbox, now));
            long uidValidity = Math.max(1, now.getEpochSecond());
            for (String f : Folders.DEFAULTS) list.add(new LogRecord.FolderCreated(f, uidValidity, now));
            long pos = 0;
            for (LogRecord r : list) {
                byte[] b = LogRecord.encode(r);
                records.writeBytes(b);
                mb.apply(r, pos, pos + b.length);
                pos += b.length;
            }
            try {
                mb.log = MailboxLog.create(mb.path, records.toByteArray());
            } catch (IOException e) {
                throw new MailboxException("cannot create mailbox " + mailbox + ": " + e.getMessage(), true, e);
            }
            mailboxes.put(mailbox, mb);
            created.addAll(Folders.DEFAULTS);
        }
        for (String f : created) {
            publish(new MailboxEvent.FolderChanged(mailbox, f, MailboxEvent.FolderChanged.Change.CREATED, null, clock.instant()));
        }
    }

    @Override
    public List<String> mailboxes() {
        refresh();
        return List.copyOf(mailboxes.keySet());
    }

    @Override
    public List<String> folders(String mailbox) throws MailboxException {
        refresh();
        List<String> names = new ArrayList<>(mailbox(mailbox).folders.keySet());
        names.sort(Comparator.comparing((String n) -> !n.equals(Folders.INBOX)).thenComparing(Comparator.naturalOrder()));
        return names;
    }

    @Override
    public StoredMessage deliver(Delivery d) throws MailboxException {
        requireWritable();
        Mailbox mb = mailbox(d.mailbox());
        checkBroken(mb);
        Entry prior = mb.byKey.get(d.deliveryKey());
        if (prior != null) return afterDurable(mb, prior);
        Folder folder = folder(mb, d.folder());

        String blob;
        long size;
        ParsedMessage parsed;
        try {
            blob = blobs.store(d.content());
            size = Files.size(blobs.path(blob));
            try (InputStream in = Files.newInputStream(blobs.path(blob))) {
                parsed = parser.parse(in);
            }
        } catch (IOException e) {
            throw new MailboxException("cannot store the message for " + d.mailbox() + ": " + e.getMessage(), true, e);
        }

        Entry entry;
        mb.lock.lock();
        try {
            checkBroken(mb);
            prior = mb.byKey.get(d.deliveryKey());
            if (prior != null) {
                entry = prior;
            } else {
                long uid = folder.nextUid;
                StoredMessage msg = new StoredMessage(mb.name, folder.name, folder.uidValidity, uid, size,
                        d.internalDate(), d.flags(), cap(parsed.from()), cap(parsed.subject()), cap(parsed.messageId()));
                byte[] record = LogRecord.encode(new LogRecord.MessageAdded(folder.name, uid, folder.uidValidity, blob,
                        size, d.internalDate(), d.flags(), d.deliveryKey(), msg.from(), msg.subject(), msg.messageId()));
                long start = mb.log.end();
                long end;
                try {
                    end = mb.log.append(record);
                } catch (IOException e) {
                    mb.broken = e;
                    throw new MailboxException("cannot write the log of " + mb.name + ": " + e.getMessage(), true, e);
                }
                folder.nextUid = uid + 1;
                entry = new Entry(msg, blob, start, end);
                mb.byKey.put(d.deliveryKey(), entry);
                mb.unindexed.add(start);
            }
        } finally {
            mb.lock.unlock();
        }
        if (entry != prior) {
            sync(mb, entry);
            folder.messages.put(entry.message().uid(), entry);
            indexOne(mb, entry, parsed);
            StoredMessage m = entry.message();
            publish(new MailboxEvent.MessageAdded(m.mailbox(), m.folder(), m.uidValidity(), m.uid(), m.from(), m.subject(),
                    m.size(), Folders.JUNK.equalsIgnoreCase(m.folder()), clock.instant()));
            return m;
        }
        return afterDurable(mb, prior);
    }

    private StoredMessage afterDurable(Mailbox mb, Entry e) throws MailboxException {
        sync(mb, e);
        return e.message();
    }

    private void sync(Mailbox mb, Entry e) throws MailboxException {
        try {
            mb.log.syncTo(e.recordEnd());
        } catch (IOException ex) {
            // after a failed force the file's state is unknown: refuse further writes until the store is reopened
            mb.broken = ex;
            throw new MailboxException("cannot sync the log of " + mb.name + ": " + ex.getMessage(), true, ex);
        }
    }

    @Override
    public List<StoredMessage> list(String mailbox, String folder) throws MailboxException {
        refresh();
        return folder(mailbox(mailbox), folder).messages.values().stream().map(Entry::message).toList();
    }

    @Override
    public Optional<MessageContent> content(String mailbox, String folder, long uid) throws MailboxException {
        refresh();
        Entry e = folder(mailbox(mailbox), folder).messages.get(uid);
        if (e == null) return Optional.empty();
        return Optional.of(blobs.content(e.blob(), e.message().size()));
    }

    /**
     * Full-text search (Lucene query syntax, words ANDed) over subject, body text, From and attachment names of one
     * mailbox, in one folder or in all when {@code folder} is null. Results in folder and UID order.
     * A read-only store searches the last committed index.
     */
    public List<StoredMessage> search(String mailbox, String folder, String query) throws MailboxException {
        refresh();
        Mailbox mb = mailbox(mailbox);
        if (folder != null) folder(mb, folder);
        List<MessageIndex.Hit> hits;
        try {
            hits = index.search(mailbox, folder, query);
        } catch (IOException e) {
            throw new MailboxException("search failed: " + e.getMessage(), true, e);
        }
        List<StoredMessage> out = new ArrayList<>(hits.size());
        for (MessageIndex.Hit h : hits) {
            Folder f = mb.folders.get(h.folder());
            Entry e = f == null ? null : f.messages.get(h.uid());
            if (e != null) out.add(e.message());
        }
        return out;
    }

    // ---------------------------------------------------------------- index

    private void indexOne(Mailbox mb, Entry e, ParsedMessage parsed) {
        indexLock.readLock().lock();
        try {
            StoredMessage m = e.message();
            index.add(mb.name, m.folder(), m.uid(), m.size(), m.internalDate(), parsed);
            mb.unindexed.remove(e.recordStart());
            dirty.set(true);
        } catch (IOException | RuntimeException ex) {
            // stays in 'unindexed': the commit data will not pass it, so the next open indexes it again
            log.warn("indexing {} {} uid {} failed: {}", mb.name, e.message().folder(), e.message().uid(), ex.toString());
        } finally {
            indexLock.readLock().unlock();
        }
    }

    private ParsedMessage parseBlob(Entry e) {
        try (InputStream in = Files.newInputStream(blobs.path(e.blob()))) {
            return parser.parse(in);
        } catch (IOException ex) {
            log.warn("message file {} of {} {} uid {} cannot be read: {}; indexing its summary only", e.blob(),
                    e.message().mailbox(), e.message().folder(), e.message().uid(), ex.toString());
            StoredMessage m = e.message();
            return new ParsedMessage(m.from(), "", "", m.subject(), m.messageId(), null, "", List.of());
        }
    }

    /** On open: index the log records after the last commit's position (or everything when the index is new). */
    private void catchUpIndex() throws IOException {
        if (index.fresh()) {
            reindexAll();
            return;
        }
        Map<String, String> data = index.committedData();
        List<Map.Entry<Mailbox, Entry>> todo = new ArrayList<>();
        for (Mailbox mb : mailboxes.values()) {
            long from = Long.parseLong(data.getOrDefault(COMMIT_KEY_PREFIX + mb.name, "0"));
            if (from > mb.log.end()) {
                log.warn("mailbox index is ahead of the log of {}; rebuilding the index", mb.name);
                reindexAll();
                return;
            }
            for (Folder f : mb.folders.values()) {
                for (Entry e : f.messages.values()) {
                    if (e.recordStart() >= from) todo.add(Map.entry(mb, e));
                }
            }
        }
        if (!todo.isEmpty()) log.info("indexing {} messages delivered after the last index commit", todo.size());
        for (Map.Entry<Mailbox, Entry> t : todo) {
            StoredMessage m = t.getValue().message();
            index.add(t.getKey().name, m.folder(), m.uid(), m.size(), m.internalDate(), parseBlob(t.getValue()));
        }
        commit();
    }

    /** Throws the index away and rebuilds it from the logs and message files. Deliveries may continue meanwhile. */
    public void reindex() throws MailboxException {
        requireWritable();
        try {
            reindexAll();
        } catch (IOException e) {
            throw new MailboxException("reindexing failed: " + e.getMessage(), true, e);
        }
    }

    private void reindexAll() throws IOException {
        indexLock.writeLock().lock();
        try {
            index.deleteAll();
            int n = 0;
            for (Mailbox mb : mailboxes.values()) {
                for (Folder f : mb.folders.values()) {
                    for (Entry e : f.messages.values()) {
                        StoredMessage m = e.message();
                        index.add(mb.name, m.folder(), m.uid(), m.size(), m.internalDate(), parseBlob(e));
                        n++;
                    }
                }
            }
            log.info("mailbox index rebuilt: {} messages in {} mailboxes", n, mailboxes.size());
        } finally {
            indexLock.writeLock().unlock();
        }
        commit();
    }

    /** Commits the index, recording for each mailbox how far its log is indexed. */
    public void commit() throws IOException {
        if (readOnly) return;
        synchronized (commitLock) {
            dirty.set(false);
            Map<String, String> data = new HashMap<>();
            for (Mailbox mb : mailboxes.values()) {
                mb.lock.lock();
                try {
                    Long first = mb.unindexed.isEmpty() ? null : mb.unindexed.first();
                    data.put(COMMIT_KEY_PREFIX + mb.name, Long.toString(first != null ? first : mb.log.end()));
                } finally {
                    mb.lock.unlock();
                }
            }
            index.commit(data);
        }
    }

    private void periodicCommit() {
        if (!dirty.get() || closed.get()) return;
        try {
            commit();
        } catch (IOException | RuntimeException e) {
            log.warn("mailbox index commit failed (will retry): {}", e.toString());
            dirty.set(true);
        }
    }

    // ---------------------------------------------------------------- helpers

    private Mailbox mailbox(String name) throws MailboxException {
        Mailbox mb = mailboxes.get(name);
        if (mb == null) throw new MailboxException("no such mailbox: " + name, false);
        return mb;
    }

    private static Folder folder(Mailbox mb, String name) throws MailboxException {
        Folder f = mb.folders.get(name);
        if (f == null) throw new MailboxException("no such folder in " + mb.name + ": " + name, false);
        return f;
    }

    private void requireWritable() throws MailboxException {
        if (readOnly) throw new MailboxException("the mailbox store is open read-only", false);
        if (closed.get()) throw new MailboxException("the mailbox store is closed", true);
    }

    private static void checkBroken(Mailbox mb) throws MailboxException {
        IOException e = mb.broken;
        if (e != null) {
            throw new MailboxException("mailbox " + mb.name + " cannot be written until the store is reopened: " + e.getMessage(), true, e);
        }
    }

    private static void validateName(String mailbox) throws MailboxException {
        if (mailbox == null || mailbox.isBlank() || mailbox.length() > 512 || mailbox.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new MailboxException("not a valid mailbox name: " + mailbox, false);
        }
    }

    /** A file name for a mailbox: safe characters kept, others as %XX (uppercase too, for case-insensitive disks). */
    static String fileName(String mailbox) {
        StringBuilder sb = new StringBuilder();
        for (byte b : mailbox.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '@' || c == '-' || c == '_') {
                sb.append(c);
            } else {
                sb.append('%').append(String.format(Locale.ROOT, "%02X", b & 0xff));
            }
        }
        if (sb.length() > 200 || sb.charAt(0) == '.') {
            return "h-" + HexFormat.of().formatHex(BlobStore.sha256().digest(mailbox.getBytes(StandardCharsets.UTF_8)));
        }
        return sb.toString();
    }

    private static String cap(String s) {
        return s.length() <= MAX_SUMMARY ? s : s.substring(0, MAX_SUMMARY);
    }

    private void publish(MailboxEvent e) {
        try {
            events.publish(e);
        } catch (RuntimeException ex) {
            log.warn("publishing {} failed: {}", e.getClass().getSimpleName(), ex.toString());
        }
    }

    /** Commits the index and closes every file. Idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) return;
        if (committer != null) {
            committer.shutdown();
            try {
                committer.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        IOException failure = null;
        if (!readOnly) {
            try {
                commit();
            } catch (IOException | RuntimeException e) {
                failure = e instanceof IOException io ? io : new IOException(e);
            }
        }
        try {
            closeFiles();
        } catch (IOException e) {
            if (failure == null) failure = e; else failure.addSuppressed(e);
        }
        if (failure != null) throw failure;
    }

    private void closeFiles() throws IOException {
        IOException failure = null;
        for (Mailbox mb : mailboxes.values()) {
            try {
                if (mb.log != null) mb.log.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        try {
            index.close();
        } catch (IOException e) {
            failure = e;
        }
        if (failure != null) throw failure;
    }

    @Override
    public String toString() {
        return "LuceneMailboxStore[" + dataDir + (readOnly ? ", read-only" : "") + "]";
    }
}

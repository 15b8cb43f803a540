package io.herald.plugin.mailbox;

import io.herald.api.config.Configuration;
import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.FlagOp;
import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.FolderInfo;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.mailbox.MailboxEventPublisher;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxException.Reason;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.Quota;
import io.herald.api.mailbox.Reindexed;
import io.herald.api.mailbox.SearchCriteria;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.mailbox.UidSet;
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
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
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
 * blobs/new/abcdef…   message bytes stored since the last settling (moved to their hash folders every
 *                     {@code index.commit-interval}, and at open; see {@link BlobStore})
 * blobs/tmp/          blobs being written
 * logs/&lt;mailbox&gt;.log  one append-only, checksummed log per mailbox (record types in {@link LogRecord}): mailbox and
 *                     folders created/deleted/renamed, subscriptions, messages added/moved/expunged, flags set
 * index/              Lucene: one document per message (mailbox, folder id, UID); derived, rebuilt from blobs + logs
 * </pre>
 *
 * <p>The in-memory state of a mailbox (folders, UIDs, flags, mod-sequences, quota usage) is what replaying its log
 * gives: {@link Mailbox#apply} is the one state transition, used on open, by read-only readers and after each
 * durable append. Mod-sequences are derived by that replay, so they are not written. Every change other than a
 * delivery appends, forces and applies its records under the mailbox lock, so it is durable and visible at once;
 * a delivery reserves its UID under the lock, forces outside it (concurrent deliveries share a force) and becomes
 * visible once durable, so a UID is never shown and then lost in a crash.
 *
 * <p>Index documents are keyed by a folder id that never changes, so renaming a folder touches no document.
 * Flags and mod-sequences are not in the documents: SEARCH evaluates flag, UID, date, size and MODSEQ keys against
 * the authoritative in-memory state and asks Lucene only for text, header and Date-header keys, so a STORE never
 * re-parses a message. Copy and move parse the message file once to index it under its new UID.
 *
 * <p>The blobs and logs are the truth. {@link #deliver} returns once the blob (written, renamed into {@code new/},
 * forced, folder synced) and then the log record (appended, forced) are durable; concurrent deliveries share the
 * syncs of {@code new/} ({@link GroupSync}) and, to one mailbox, the log force. The index is
 * updated right after, seen at once by {@link #search} (near-real-time reader) and committed every
 * {@code index.commit-interval}; each commit records how far each log is indexed, and opening the store indexes the
 * records after that point.
 *
 * <p>Read-only mode (command-line tools beside a running server) writes nothing and takes no lock: it reads the logs
 * (so it sees every durable delivery) and the last committed index.
 *
 * <p>Configuration ({@code conf/mailbox-lucene.cfg}): {@code index.commit-interval} (default 5s),
 * {@code index.max-text} (characters of text indexed per message, default 1000000),
 * {@code index.max-mime-depth} (default 20), {@code index.max-parts} (body parts read per message, default 1000), {@code quota.bytes} and {@code quota.messages} (per mailbox, 0 = none,
 * the default), {@code blobs.gc-on-open} (remove message files no live message refers to, default true).
 */
public final class LuceneMailboxStore implements MailboxStore, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LuceneMailboxStore.class);
    private static final int LOG_VERSION = 1;
    private static final int MAX_SUMMARY = 4096;
    private static final String COMMIT_KEY_PREFIX = "log:";

    private final Path dataDir;
    private final Configuration config;
    /** What the open rebuilt (a missing, damaged or older index), or null. */
    private volatile Counts rebuiltOnOpen;
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
    private final long quotaBytes;
    private final long quotaMessages;
    /** Read: a delivery between storing its blob and the message being visible. Write: blob garbage collection. */
    private final ReentrantReadWriteLock blobLock = new ReentrantReadWriteLock();

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
        this.config = config;
        this.logsDir = dataDir.resolve("logs");
        this.readOnly = readOnly;
        this.events = events;
        this.clock = clock;
        this.blobs = new BlobStore(dataDir.resolve("blobs"));
        this.index = new MessageIndex(dataDir.resolve("index"), readOnly);
        this.parser = new MessageParser(config.getInt("index.max-text", 1_000_000, 0, Integer.MAX_VALUE / 8),
                config.getInt("index.max-mime-depth", 20, 1, 1000),
                config.getInt("index.max-parts", 1000, 1, 1_000_000));
        Duration interval = config.getDuration("index.commit-interval", Duration.ofSeconds(5));
        this.quotaBytes = config.getLong("quota.bytes", 0, 0, Long.MAX_VALUE);
        this.quotaMessages = config.getLong("quota.messages", 0, 0, Long.MAX_VALUE);
        try {
            if (readOnly) {
                committer = null;
                refresh();
            } else {
                Files.createDirectories(logsDir);
                index.openWriter(); // takes Lucene's write lock: one writer per data folder
                blobs.open();
                blobs.settle();
                Durable.syncDir(dataDir);
                loadLogs();
                catchUpIndex();
                if (config.getBoolean("blobs.gc-on-open", true)) collectGarbageNow();
                committer = Executors.newSingleThreadScheduledExecutor(r -> {
                    Thread t = new Thread(r, "mailbox-lucene-committer");
                    t.setDaemon(true);
                    return t;
                });
                long ms = Math.max(10, interval.toMillis());
                committer.scheduleWithFixedDelay(this::periodicCommit, ms, ms, TimeUnit.MILLISECONDS);
                committer.scheduleWithFixedDelay(this::settleBlobs, ms, ms, TimeUnit.MILLISECONDS);
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

    /** A message of a folder, with where the record that added it is in the log. */
    private record Entry(StoredMessage message, String blob, long recordStart, long recordEnd) {
        Entry with(StoredMessage m) {
            return new Entry(m, blob, recordStart, recordEnd);
        }
    }

    private static final class Folder {
        /** Never changes, also not on rename: index documents are keyed by it. */
        final String fid;
        final long uidValidity;
        volatile String name;
        String specialUse;
        long nextUid = 1; // guarded by the mailbox lock
        volatile long highestModSeq = 1;
        final ConcurrentSkipListMap<Long, Entry> messages = new ConcurrentSkipListMap<>();

        Folder(String fid, String name, long uidValidity) {
            this.fid = fid;
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
        final Map<String, Folder> byFid = new ConcurrentHashMap<>();
        final Set<String> subscriptions = new ConcurrentSkipListSet<>();
        final Map<String, Entry> byKey = new ConcurrentHashMap<>();
        /** Offsets of records appended but not yet in the index. */
        final ConcurrentSkipListSet<Long> unindexed = new ConcurrentSkipListSet<>();
        long lastUidValidity;
        int folderSeq;
        volatile long usedBytes;
        volatile long usedMessages;
        volatile IOException broken;

        Mailbox(Path path) {
            this.path = path;
        }

        /** The one state transition: replaying the log applies its records in order; writers apply what they appended. */
        void apply(LogRecord r, long start, long end) {
            if (r instanceof LogRecord.MailboxCreated m) {
                name = m.mailbox();
            } else if (r instanceof LogRecord.FolderCreated f) {
                if (!folders.containsKey(f.folder())) newFolder(f.folder(), f.uidValidity());
            } else if (r instanceof LogRecord.MessageAdded m) {
                if (name == null) return;
                Folder folder = folders.get(m.folder());
                if (folder == null) folder = newFolder(m.folder(), m.uidValidity()); // written by version 1
                Entry e = reserve(folder, m, start, end);
                folder.messages.put(m.uid(), e);
            } else if (r instanceof LogRecord.FlagsSet f) {
                Folder folder = folders.get(f.folder());
                Entry e = folder == null ? null : folder.messages.get(f.uid());
                if (e == null) return;
                StoredMessage o = e.message();
                folder.messages.put(f.uid(), e.with(new StoredMessage(o.mailbox(), o.folder(), o.uidValidity(), o.uid(),
                        o.size(), o.internalDate(), f.flags(), o.from(), o.subject(), o.messageId(), ++folder.highestModSeq)));
            } else if (r instanceof LogRecord.Expunged x) {
                Folder folder = folders.get(x.folder());
                Entry e = folder == null ? null : folder.messages.remove(x.uid());
                if (e == null) return;
                folder.highestModSeq++;
                usedBytes -= e.message().size();
                usedMessages--;
            } else if (r instanceof LogRecord.MessageMoved mv) {
                Folder from = folders.get(mv.fromFolder()), to = folders.get(mv.toFolder());
                if (from == null || to == null) return;
                Entry e = from.messages.remove(mv.fromUid());
                if (e == null) return;
                from.highestModSeq++;
                StoredMessage o = e.message();
                long modSeq = ++to.highestModSeq;
                to.nextUid = Math.max(to.nextUid, mv.toUid() + 1);
                to.messages.put(mv.toUid(), new Entry(new StoredMessage(name, to.name, to.uidValidity, mv.toUid(), o.size(),
                        o.internalDate(), o.flags(), o.from(), o.subject(), o.messageId(), modSeq), e.blob(), start, end));
            } else if (r instanceof LogRecord.FolderDeleted d) {
                Folder folder = folders.remove(d.folder());
                if (folder == null) return;
                byFid.remove(folder.fid);
                for (Entry e : folder.messages.values()) {
                    usedBytes -= e.message().size();
                    usedMessages--;
                }
            } else if (r instanceof LogRecord.FolderRenamed n) {
                Folder folder = folders.get(n.from());
                if (folder == null || folders.containsKey(n.to())) return;
                folders.remove(n.from());
                folder.name = n.to();
                folders.put(n.to(), folder);
                folder.messages.replaceAll((uid, e) -> {
                    StoredMessage o = e.message();
                    return e.with(new StoredMessage(o.mailbox(), n.to(), o.uidValidity(), o.uid(), o.size(),
                            o.internalDate(), o.flags(), o.from(), o.subject(), o.messageId(), o.modSeq()));
                });
                if (subscriptions.remove(n.from())) subscriptions.add(n.to());
            } else if (r instanceof LogRecord.Subscribed sub) {
                if (sub.subscribed()) subscriptions.add(sub.folder()); else subscriptions.remove(sub.folder());
            } else if (r instanceof LogRecord.Unknown u) {
                LuceneMailboxStore.log.debug("{}: skipping log record of unknown type {}", path, u.type());
            }
        }

        private Folder newFolder(String folderName, long uidValidity) {
            Folder f = new Folder(Integer.toString(++folderSeq), folderName, uidValidity);
            String use = Folders.specialUse(folderName);
            if (use != null && folders.values().stream().noneMatch(o -> use.equals(o.specialUse))) f.specialUse = use;
            folders.put(folderName, f);
            byFid.put(f.fid, f);
            lastUidValidity = Math.max(lastUidValidity, uidValidity);
            return f;
        }

        /**
         * The counters a MESSAGE_ADDED record changes (UIDNEXT, HIGHESTMODSEQ, usage, delivery key); the message is
         * made visible by putting the entry into the folder.
         */
        Entry reserve(Folder folder, LogRecord.MessageAdded m, long start, long end) {
            long modSeq = ++folder.highestModSeq;
            folder.nextUid = Math.max(folder.nextUid, m.uid() + 1);
            usedBytes += m.size();
            usedMessages++;
            Entry e = new Entry(new StoredMessage(name, folder.name, folder.uidValidity, m.uid(), m.size(), m.internalDate(),
                    m.flags(), m.from(), m.subject(), m.messageId(), modSeq), m.blob(), start, end);
            if (!m.deliveryKey().isEmpty()) byKey.put(m.deliveryKey(), e);
            return e;
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

    /** The server's store (read-write) knows its mailboxes in memory; a read-only one reads the logs first. */
    @Override
    public boolean existsWithoutBlocking() {
        return !readOnly;
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
            for (String f : Folders.DEFAULTS) list.add(new LogRecord.Subscribed(f, true));
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
                throw new MailboxException(Reason.STORAGE, "cannot create mailbox " + mailbox + ": " + e.getMessage(), true, e);
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

    private static final Comparator<String> FOLDER_ORDER =
            Comparator.comparing((String n) -> !n.equals(Folders.INBOX)).thenComparing(Comparator.naturalOrder());

    @Override
    public List<String> folders(String mailbox) throws MailboxException {
        refresh();
        List<String> names = new ArrayList<>(mailbox(mailbox).folders.keySet());
        names.sort(FOLDER_ORDER);
        return names;
    }

    @Override
    public List<FolderInfo> folderInfos(String mailbox) throws MailboxException {
        refresh();
        Mailbox mb = mailbox(mailbox);
        List<FolderInfo> out = new ArrayList<>();
        for (String n : folders(mailbox)) {
            Folder f = mb.folders.get(n);
            if (f != null) out.add(info(mb, f));
        }
        return out;
    }

    @Override
    public FolderInfo folderInfo(String mailbox, String folder) throws MailboxException {
        refresh();
        Mailbox mb = mailbox(mailbox);
        return info(mb, folder(mb, folder));
    }

    private static FolderInfo info(Mailbox mb, Folder f) {
        String name = f.name;
        Set<String> attrs = new HashSet<>();
        if (f.specialUse != null) attrs.add(f.specialUse);
        String prefix = name + Folders.SEPARATOR;
        attrs.add(mb.folders.keySet().stream().anyMatch(n -> n.startsWith(prefix)) ? "\\HasChildren" : "\\HasNoChildren");
        int messages = 0, unseen = 0, deleted = 0;
        long size = 0;
        for (Entry e : f.messages.values()) {
            StoredMessage m = e.message();
            messages++;
            size += m.size();
            if (!m.hasFlag(Flags.SEEN)) unseen++;
            if (m.hasFlag(Flags.DELETED)) deleted++;
        }
        return new FolderInfo(name, attrs, mb.subscriptions.contains(name), f.uidValidity, f.nextUid, f.highestModSeq,
                messages, unseen, deleted, size);
    }

    @Override
    public FolderInfo createFolder(String mailbox, String folder) throws MailboxException {
        requireWritable();
        String name = folderName(folder);
        Mailbox mb = mailbox(mailbox);
        FolderInfo info;
        mb.lock.lock();
        try {
            checkBroken(mb);
            if (mb.folders.containsKey(name)) throw new MailboxException(Reason.ALREADY_EXISTS, "folder exists: " + name, false);
            Instant now = clock.instant();
            // a new UIDVALIDITY, greater than any this mailbox gave: a folder deleted and created again never reuses one
            long uidValidity = Math.max(Math.max(1, now.getEpochSecond()), mb.lastUidValidity + 1);
            writeAndApply(mb, List.of(new LogRecord.FolderCreated(name, uidValidity, now)));
            info = info(mb, mb.folders.get(name));
        } finally {
            mb.lock.unlock();
        }
        publish(new MailboxEvent.FolderChanged(mb.name, name, MailboxEvent.FolderChanged.Change.CREATED, null, clock.instant()));
        return info;
    }

    @Override
    public void deleteFolder(String mailbox, String folder) throws MailboxException {
        requireWritable();
        String name = folderName(folder);
        if (name.equals(Folders.INBOX)) throw new MailboxException(Reason.NOT_ALLOWED, "INBOX cannot be deleted", false);
        Mailbox mb = mailbox(mailbox);
        mb.lock.lock();
        try {
            checkBroken(mb);
            Folder f = folder(mb, name);
            long start = writeAndApply(mb, List.of(new LogRecord.FolderDeleted(name)))[0];
            indexChange(mb, start, () -> index.deleteFolder(mb.name, f.fid));
        } finally {
            mb.lock.unlock();
        }
        publish(new MailboxEvent.FolderChanged(mb.name, name, MailboxEvent.FolderChanged.Change.DELETED, null, clock.instant()));
    }

    @Override
    public void renameFolder(String mailbox, String from, String to) throws MailboxException {
        requireWritable();
        String src = folderName(from), dst = folderName(to);
        Mailbox mb = mailbox(mailbox);
        List<String[]> renamed = new ArrayList<>();
        List<MailboxEvent> moved = new ArrayList<>();
        mb.lock.lock();
        try {
            checkBroken(mb);
            Folder f = folder(mb, src);
            if (mb.folders.containsKey(dst)) throw new MailboxException(Reason.ALREADY_EXISTS, "folder exists: " + dst, false);
            if (dst.startsWith(src + Folders.SEPARATOR)) {
                throw new MailboxException(Reason.NOT_ALLOWED, "cannot rename " + src + " below itself", false);
            }
            if (src.equals(Folders.INBOX)) {
                // RFC 3501 6.3.5: the messages move to a new folder, INBOX stays (empty), its sub-folders stay
                Instant now = clock.instant();
                List<LogRecord> records = new ArrayList<>();
                records.add(new LogRecord.FolderCreated(dst, Math.max(Math.max(1, now.getEpochSecond()), mb.lastUidValidity + 1), now));
                long uid = 1;
                for (Entry e : f.messages.values()) {
                    records.add(new LogRecord.MessageMoved(src, e.message().uid(), dst, uid++));
                }
                List<Entry> before = List.copyOf(f.messages.values());
                long start = writeAndApply(mb, records)[0];
                Folder target = mb.folders.get(dst);
                indexChange(mb, start, () -> {
                    long u = 1;
                    for (Entry e : before) {
                        index.update(mb.name, target.fid, u++, e.message().size(), e.message().internalDate(), parseBlob(e));
                        index.delete(mb.name, f.fid, e.message().uid());
                    }
                });
                renamed.add(null);
                for (Entry e : before) moved.add(new MailboxEvent.Expunged(mb.name, src, e.message().uid(), clock.instant()));
                for (Entry e : target.messages.values()) moved.add(added(e.message()));
            } else {
                List<LogRecord> records = new ArrayList<>();
                String prefix = src + Folders.SEPARATOR;
                List<String> names = new ArrayList<>(mb.folders.keySet());
                names.sort(Comparator.naturalOrder());
                for (String n : names) {
                    if (!n.equals(src) && !n.startsWith(prefix)) continue;
                    String target = dst + n.substring(src.length());
                    if (mb.folders.containsKey(target)) throw new MailboxException(Reason.ALREADY_EXISTS, "folder exists: " + target, false);
                    records.add(new LogRecord.FolderRenamed(n, target));
                    renamed.add(new String[] {n, target});
                }
                writeAndApply(mb, records); // folder ids do not change: nothing to re-index
            }
        } finally {
            mb.lock.unlock();
        }
        if (renamed.size() == 1 && renamed.get(0) == null) {
            publish(new MailboxEvent.FolderChanged(mb.name, dst, MailboxEvent.FolderChanged.Change.CREATED, null, clock.instant()));
            moved.forEach(this::publish);
        } else {
            for (String[] r : renamed) {
                publish(new MailboxEvent.FolderChanged(mb.name, r[0], MailboxEvent.FolderChanged.Change.RENAMED, r[1], clock.instant()));
            }
        }
    }

    @Override
    public void subscribe(String mailbox, String folder, boolean subscribed) throws MailboxException {
        requireWritable();
        String name = folderName(folder);
        Mailbox mb = mailbox(mailbox);
        mb.lock.lock();
        try {
            checkBroken(mb);
            if (mb.subscriptions.contains(name) == subscribed) return;
            writeAndApply(mb, List.of(new LogRecord.Subscribed(name, subscribed)));
        } finally {
            mb.lock.unlock();
        }
    }

    @Override
    public List<String> subscriptions(String mailbox) throws MailboxException {
        refresh();
        List<String> names = new ArrayList<>(mailbox(mailbox).subscriptions);
        names.sort(FOLDER_ORDER);
        return names;
    }

    @Override
    public StoredMessage deliver(Delivery d) throws MailboxException {
        return add(d.mailbox(), d.folder(), d.content(), d.deliveryKey(), d.internalDate(), d.flags());
    }

    @Override
    public StoredMessage append(String mailbox, String folder, MessageContent content, Set<String> flags, Instant internalDate)
            throws MailboxException {
        return add(mailbox, folder, content, "", internalDate, flags);
    }

    /** Deliver (with a key: idempotent) or append (key ""). */
    private StoredMessage add(String mailbox, String folderName, MessageContent content, String key, Instant internalDate,
                              Set<String> rawFlags) throws MailboxException {
        requireWritable();
        Mailbox mb = mailbox(mailbox);
        checkBroken(mb);
        if (!key.isEmpty()) {
            Entry prior = mb.byKey.get(key);
            if (prior != null) return afterDurable(mb, prior);
        }
        String name = Folders.normalize(folderName);
        folder(mb, name);
        Set<String> flags = cleanFlags(rawFlags);
        checkQuota(mb, content.size(), 1);

        blobLock.readLock().lock(); // garbage collection must not remove the blob before the message is visible
        try {
            String blob;
            long size;
            ParsedMessage parsed;
            try {
                BlobStore.Stored stored = blobs.store(content);
                blob = stored.hash();
                size = stored.size();
                // parsed from the bytes just written when they were kept, else from the file
                try (InputStream in = stored.bytes() != null ? new java.io.ByteArrayInputStream(stored.bytes()) : blobs.read(blob)) {
                    parsed = parser.parse(in);
                }
            } catch (IOException e) {
                throw new MailboxException(Reason.STORAGE, "cannot store the message for " + mailbox + ": " + e.getMessage(), true, e);
            }

            Entry entry;
            Folder folder;
            mb.lock.lock();
            try {
                checkBroken(mb);
                if (!key.isEmpty()) {
                    Entry prior = mb.byKey.get(key);
                    if (prior != null) return afterDurable(mb, prior);
                }
                folder = folder(mb, name); // again under the lock: it may have been deleted meanwhile
                checkQuota(mb, size, 1);
                long uid = folder.nextUid;
                LogRecord.MessageAdded rec = new LogRecord.MessageAdded(folder.name, uid, folder.uidValidity, blob,
                        size, internalDate, flags, key, cap(parsed.from()), cap(parsed.subject()), cap(parsed.messageId()));
                byte[] record = LogRecord.encode(rec);
                long start = mb.log.end();
                long end;
                try {
                    end = mb.log.append(record);
                } catch (IOException e) {
                    throw appendFailed(mb, e);
                }
                entry = mb.reserve(folder, rec, start, end);
                mb.unindexed.add(start);
            } finally {
                mb.lock.unlock();
            }
            sync(mb, entry);
            entry = indexAndShow(mb, folder, entry, parsed);
            publish(added(entry.message()));
            return entry.message();
        } finally {
            blobLock.readLock().unlock();
        }
    }

    private MailboxEvent.MessageAdded added(StoredMessage m) {
        return new MailboxEvent.MessageAdded(m.mailbox(), m.folder(), m.uidValidity(), m.uid(), m.from(), m.subject(),
                m.size(), Folders.JUNK.equalsIgnoreCase(m.folder()) || m.hasFlag(Flags.JUNK), clock.instant());
    }

    private void checkQuota(Mailbox mb, long bytes, long messages) throws MailboxException {
        if (quotaBytes > 0 && mb.usedBytes + bytes > quotaBytes) {
            throw new MailboxException(Reason.QUOTA_EXCEEDED, "mailbox " + mb.name + " is over its quota of " + quotaBytes
                    + " bytes (" + mb.usedBytes + " used, " + bytes + " more asked)", true);
        }
        if (quotaMessages > 0 && mb.usedMessages + messages > quotaMessages) {
            throw new MailboxException(Reason.QUOTA_EXCEEDED, "mailbox " + mb.name + " is over its quota of " + quotaMessages
                    + " messages", true);
        }
    }

    @Override
    public Optional<Quota> quota(String mailbox) throws MailboxException {
        refresh();
        Mailbox mb = mailbox(mailbox);
        return Optional.of(new Quota(mb.usedBytes, quotaBytes, mb.usedMessages, quotaMessages));
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
            throw new MailboxException(Reason.STORAGE, "cannot sync the log of " + mb.name + ": " + ex.getMessage(), true, ex);
        }
    }

    /**
     * Appends records, forces them and applies them to the in-memory state; caller holds the mailbox lock.
     * Returns where each record starts.
     */
    private long[] writeAndApply(Mailbox mb, List<LogRecord> records) throws MailboxException {
        if (records.isEmpty()) return new long[0];
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        long[] starts = new long[records.size() + 1];
        long pos = mb.log.end();
        for (int i = 0; i < records.size(); i++) {
            byte[] b = LogRecord.encode(records.get(i));
            starts[i] = pos;
            pos += b.length;
            all.writeBytes(b);
        }
        starts[records.size()] = pos;
        long end;
        try {
            end = mb.log.append(all.toByteArray());
        } catch (IOException e) {
            throw appendFailed(mb, e);
        }
        try {
            mb.log.syncTo(end);
        } catch (IOException e) {
            mb.broken = e;
            throw new MailboxException(Reason.STORAGE, "cannot sync the log of " + mb.name + ": " + e.getMessage(), true, e);
        }
        for (int i = 0; i < records.size(); i++) mb.apply(records.get(i), starts[i], starts[i + 1]);
        return starts;
    }

    @Override
    public List<StoredMessage> list(String mailbox, String folder) throws MailboxException {
        refresh();
        return folder(mailbox(mailbox), folder).messages.values().stream().map(Entry::message).toList();
    }

    @Override
    public List<StoredMessage> list(String mailbox, String folder, UidSet uids) throws MailboxException {
        refresh();
        return select(folder(mailbox(mailbox), folder), uids).stream().map(Entry::message).toList();
    }

    @Override
    public List<StoredMessage> changedSince(String mailbox, String folder, long modSeq) throws MailboxException {
        refresh();
        return folder(mailbox(mailbox), folder).messages.values().stream().map(Entry::message)
                .filter(m -> m.modSeq() > modSeq).toList();
    }

    private static List<Entry> select(Folder f, UidSet uids) {
        List<Entry> out = new ArrayList<>();
        for (UidSet.Range r : uids.ranges()) out.addAll(f.messages.subMap(r.first(), true, r.last(), true).values());
        return out;
    }

    @Override
    public Optional<MessageContent> content(String mailbox, String folder, long uid) throws MailboxException {
        refresh();
        Entry e = folder(mailbox(mailbox), folder).messages.get(uid);
        if (e == null) return Optional.empty();
        return Optional.of(blobs.content(e.blob(), e.message().size()));
    }

    @Override
    public SortedMap<Long, Long> copy(String mailbox, String folder, UidSet uids, String toFolder) throws MailboxException {
        return copyOrMove(mailbox, folder, uids, toFolder, false);
    }

    @Override
    public SortedMap<Long, Long> move(String mailbox, String folder, UidSet uids, String toFolder) throws MailboxException {
        return copyOrMove(mailbox, folder, uids, toFolder, true);
    }

    private SortedMap<Long, Long> copyOrMove(String mailbox, String folder, UidSet uids, String toFolder, boolean move)
            throws MailboxException {
        requireWritable();
        Mailbox mb = mailbox(mailbox);
        SortedMap<Long, Long> map = new TreeMap<>();
        List<MailboxEvent> events = new ArrayList<>();
        mb.lock.lock();
        try {
            checkBroken(mb);
            Folder src = folder(mb, folder), dst = folder(mb, toFolder);
            List<Entry> chosen = select(src, uids);
            if (chosen.isEmpty()) return map;
            if (move && src == dst) throw new MailboxException(Reason.NOT_ALLOWED, "cannot move messages to their own folder", false);
            if (!move) checkQuota(mb, chosen.stream().mapToLong(e -> e.message().size()).sum(), chosen.size());
            List<LogRecord> records = new ArrayList<>();
            long uid = dst.nextUid;
            for (Entry e : chosen) {
                StoredMessage m = e.message();
                map.put(m.uid(), uid);
                records.add(move ? new LogRecord.MessageMoved(src.name, m.uid(), dst.name, uid)
                        : new LogRecord.MessageAdded(dst.name, uid, dst.uidValidity, e.blob(), m.size(), m.internalDate(),
                        m.flags(), "", m.from(), m.subject(), m.messageId()));
                uid++;
            }
            long start = writeAndApply(mb, records)[0];
            indexChange(mb, start, () -> {
                Map<String, ParsedMessage> parsed = new HashMap<>();
                for (Entry e : chosen) {
                    ParsedMessage p = parsed.computeIfAbsent(e.blob(), b -> parseBlob(e));
                    long newUid = map.get(e.message().uid());
                    index.update(mb.name, dst.fid, newUid, e.message().size(), e.message().internalDate(), p);
                    if (move) index.delete(mb.name, src.fid, e.message().uid());
                }
            });
            for (long u : map.values()) events.add(added(dst.messages.get(u).message()));
            if (move) for (long u : map.keySet()) events.add(new MailboxEvent.Expunged(mb.name, src.name, u, clock.instant()));
        } finally {
            mb.lock.unlock();
        }
        events.forEach(this::publish);
        return map;
    }

    @Override
    public List<StoredMessage> storeFlags(String mailbox, String folder, UidSet uids, FlagOp op, Set<String> flags)
            throws MailboxException {
        requireWritable();
        Mailbox mb = mailbox(mailbox);
        Set<String> given = cleanFlags(flags);
        List<StoredMessage> changed = new ArrayList<>();
        mb.lock.lock();
        try {
            checkBroken(mb);
            Folder f = folder(mb, folder);
            List<LogRecord> records = new ArrayList<>();
            for (Entry e : select(f, uids)) {
                Map<String, String> now = new LinkedHashMap<>();
                for (String x : e.message().flags()) now.put(Flags.key(x), x);
                Map<String, String> next = new LinkedHashMap<>(op == FlagOp.REPLACE ? Map.of() : now);
                for (String x : given) {
                    if (op == FlagOp.REMOVE) next.remove(Flags.key(x)); else next.putIfAbsent(Flags.key(x), x);
                }
                if (!next.keySet().equals(now.keySet())) {
                    records.add(new LogRecord.FlagsSet(f.name, e.message().uid(), new java.util.LinkedHashSet<>(next.values())));
                }
            }
            writeAndApply(mb, records);
            for (LogRecord r : records) changed.add(f.messages.get(((LogRecord.FlagsSet) r).uid()).message());
        } finally {
            mb.lock.unlock();
        }
        for (StoredMessage m : changed) {
            publish(new MailboxEvent.FlagsChanged(m.mailbox(), m.folder(), m.uid(), m.flags(), clock.instant()));
        }
        return changed;
    }

    @Override
    public List<Long> expunge(String mailbox, String folder, UidSet uids) throws MailboxException {
        requireWritable();
        Mailbox mb = mailbox(mailbox);
        List<Long> gone = new ArrayList<>();
        String name;
        mb.lock.lock();
        try {
            checkBroken(mb);
            Folder f = folder(mb, folder);
            name = f.name;
            List<LogRecord> records = new ArrayList<>();
            for (Entry e : uids == null ? List.copyOf(f.messages.values()) : select(f, uids)) {
                if (!e.message().hasFlag(Flags.DELETED)) continue;
                records.add(new LogRecord.Expunged(f.name, e.message().uid()));
                gone.add(e.message().uid());
            }
            if (records.isEmpty()) return gone;
            long start = writeAndApply(mb, records)[0];
            indexChange(mb, start, () -> {
                for (long u : gone) index.delete(mb.name, f.fid, u);
            });
        } finally {
            mb.lock.unlock();
        }
        for (long u : gone) publish(new MailboxEvent.Expunged(mb.name, name, u, clock.instant()));
        return gone;
    }

    /** Flags as stored: system flags in canonical spelling, \Recent dropped, invalid ones refused. */
    private static Set<String> cleanFlags(Set<String> flags) throws MailboxException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String f : flags) {
            if (f.equalsIgnoreCase(Flags.RECENT)) continue;
            if (f.equalsIgnoreCase("\\Junk")) f = Flags.JUNK; // spelled like a system flag by earlier Herald versions
            if (!Flags.isValid(f)) throw new MailboxException(Reason.NOT_ALLOWED, "not a valid flag: " + f, false);
            String c = Flags.canonical(f);
            out.putIfAbsent(Flags.key(c), c);
        }
        return new java.util.LinkedHashSet<>(out.values());
    }

    // ---------------------------------------------------------------- search

    /**
     * Evaluates the criteria on the live folder (no copy of it): an AND sends all its index criteria to Lucene as one
     * query, tests its in-memory criteria (flags, dates, sizes, UIDs) only on the messages the index found, and
     * narrows every other part to what is left, so that a selective search costs what its hits cost. A UID the index
     * returns is kept only while the folder still has it (a message expunged meanwhile is never returned); NOT is
     * the complement within the folder's messages (a message appended but not yet indexed is in NOT BODY x).
     */
    @Override
    public List<Long> search(String mailbox, String folder, SearchCriteria criteria) throws MailboxException {
        refresh();
        Mailbox mb = mailbox(mailbox);
        Folder f = folder(mb, folder);
        try {
            return SortedUids.asList(eval(criteria, mb, f, null));
        } catch (IOException e) {
            throw new MailboxException(Reason.STORAGE, "search failed: " + e.getMessage(), true, e);
        }
    }

    /** Most criteria one Lucene query is made of (Lucene refuses more than 1024 clauses in all). */
    private static final int MAX_INDEX_PARTS = 64;

    /**
     * The UIDs of the folder matching {@code c}, ascending, among {@code domain} (ascending UIDs the folder had when
     * they were computed) or among all of the folder's messages when it is null.
     */
    private long[] eval(SearchCriteria c, Mailbox mb, Folder f, long[] domain) throws IOException {
        if (c instanceof SearchCriteria.All) return domain != null ? domain : SortedUids.keys(f.messages);
        if (indexOnly(c)) {
            long[] hits = present(index.uids(mb.name, f.fid, indexQuery(c)), f);
            return domain == null ? hits : SortedUids.intersect(hits, domain);
        }
        if (memoryOnly(c)) return filter(c, f, domain);
        if (c instanceof SearchCriteria.And and) {
            List<SearchCriteria> idx = new ArrayList<>(), mem = new ArrayList<>(), mixed = new ArrayList<>();
            for (SearchCriteria p : and.all()) {
                if (p instanceof SearchCriteria.All) continue;
                if (indexOnly(p)) idx.add(p);
                else if (memoryOnly(p)) mem.add(p);
                else mixed.add(p);
            }
            long[] out = domain;
            for (int i = 0; i < idx.size() && (out == null || out.length > 0); i += MAX_INDEX_PARTS) {
                List<SearchCriteria> chunk = idx.subList(i, Math.min(idx.size(), i + MAX_INDEX_PARTS));
                SearchCriteria one = chunk.size() == 1 ? chunk.get(0) : new SearchCriteria.And(chunk);
                if (indexOnly(one)) {
                    out = eval(one, mb, f, out);
                } else {
                    // parts that are one query each (an OR of index criteria) but not together (indexOnly looks one
                    // level deep): one query per part; never the same AND again, which would recurse without end
                    for (SearchCriteria p : chunk) {
                        if (out != null && out.length == 0) break;
                        out = eval(p, mb, f, out);
                    }
                }
            }
            if (!mem.isEmpty() && (out == null || out.length > 0)) {
                out = filter(mem.size() == 1 ? mem.get(0) : new SearchCriteria.And(mem), f, out);
            }
            for (SearchCriteria p : mixed) {
                if (out != null && out.length == 0) break;
                out = eval(p, mb, f, out);
            }
            return out != null ? out : SortedUids.keys(f.messages);
        }
        if (c instanceof SearchCriteria.Or or) {
            long[] out = SortedUids.EMPTY;
            for (SearchCriteria p : or.any()) out = SortedUids.union(out, eval(p, mb, f, domain));
            return out;
        }
        if (c instanceof SearchCriteria.Not not) {
            long[] base = domain != null ? domain : SortedUids.keys(f.messages);
            return SortedUids.minus(base, eval(not.criterion(), mb, f, base));
        }
        throw new IllegalArgumentException("unknown search criterion " + c);
    }

    /** The UIDs the folder still has (index documents of messages expunged meanwhile dropped), in place. */
    private static long[] present(long[] uids, Folder f) {
        int n = 0;
        for (long uid : uids) if (f.messages.containsKey(uid)) uids[n++] = uid;
        return n == uids.length ? uids : java.util.Arrays.copyOf(uids, n);
    }

    /** The messages among {@code domain} (or the whole folder) that an in-memory criterion accepts. */
    private static long[] filter(SearchCriteria c, Folder f, long[] domain) {
        SortedUids.Builder out = new SortedUids.Builder();
        if (domain != null) {
            for (long uid : domain) {
                Entry e = f.messages.get(uid);
                if (e != null && test(c, e.message())) out.add(uid);
            }
        } else if (c instanceof SearchCriteria.Uid u) { // only the messages in the ranges are looked at
            for (io.herald.api.mailbox.UidSet.Range r : u.uids().ranges()) {
                for (Long uid : f.messages.subMap(r.first(), true, r.last(), true).keySet()) out.add(uid);
            }
        } else if (!(c instanceof SearchCriteria.Recent rc && rc.recent())) {
            for (Entry e : f.messages.values()) if (test(c, e.message())) out.add(e.message().uid());
        }
        return out.sorted();
    }

    /** An in-memory criterion (see {@link #memoryOnly}) on one message. */
    private static boolean test(SearchCriteria c, StoredMessage m) {
        if (c instanceof SearchCriteria.All) return true;
        if (c instanceof SearchCriteria.And and) {
            for (SearchCriteria p : and.all()) if (!test(p, m)) return false;
            return true;
        }
        if (c instanceof SearchCriteria.Or or) {
            for (SearchCriteria p : or.any()) if (test(p, m)) return true;
            return false;
        }
        if (c instanceof SearchCriteria.Not not) return !test(not.criterion(), m);
        return matches(c, m);
    }

    private static boolean needsIndex(SearchCriteria c) {
        return c instanceof SearchCriteria.Header || c instanceof SearchCriteria.Body || c instanceof SearchCriteria.Text
                || c instanceof SearchCriteria.SentDate;
    }

    /** Answered by the index alone: index criteria, and AND/OR of them (NOT is the complement within the folder). */
    private static boolean indexOnly(SearchCriteria c) {
        if (needsIndex(c)) return true;
        List<SearchCriteria> parts = c instanceof SearchCriteria.And a ? a.all() : c instanceof SearchCriteria.Or o ? o.any() : null;
        if (parts == null || parts.isEmpty() || parts.size() > MAX_INDEX_PARTS) return false;
        for (SearchCriteria p : parts) if (!needsIndex(p)) return false; // one level: the query stays small
        return true;
    }

    /** Answered from the folder's messages alone (flags, dates, sizes, UIDs, mod-sequences). */
    private static boolean memoryOnly(SearchCriteria c) {
        if (needsIndex(c)) return false;
        if (c instanceof SearchCriteria.And a) return a.all().stream().allMatch(LuceneMailboxStore::memoryOnly);
        if (c instanceof SearchCriteria.Or o) return o.any().stream().allMatch(LuceneMailboxStore::memoryOnly);
        if (c instanceof SearchCriteria.Not n) return memoryOnly(n.criterion());
        return true;
    }

    /** The Lucene query of an {@link #indexOnly} criterion. */
    private org.apache.lucene.search.Query indexQuery(SearchCriteria c) {
        if (c instanceof SearchCriteria.Header h) return index.headerQuery(h.name(), h.value());
        if (c instanceof SearchCriteria.Body b) return index.bodyQuery(b.text());
        if (c instanceof SearchCriteria.Text t) return index.textQuery(t.text());
        if (c instanceof SearchCriteria.SentDate d) return index.sentDateQuery(d.op(), d.date());
        boolean and = c instanceof SearchCriteria.And;
        List<SearchCriteria> parts = and ? ((SearchCriteria.And) c).all() : ((SearchCriteria.Or) c).any();
        org.apache.lucene.search.BooleanQuery.Builder b = new org.apache.lucene.search.BooleanQuery.Builder();
        for (SearchCriteria p : parts) {
            b.add(indexQuery(p), and ? org.apache.lucene.search.BooleanClause.Occur.FILTER
                    : org.apache.lucene.search.BooleanClause.Occur.SHOULD);
        }
        return b.build();
    }

    private static boolean matches(SearchCriteria c, StoredMessage m) {
        if (c instanceof SearchCriteria.InternalDate d) {
            LocalDate day = m.internalDate().atOffset(ZoneOffset.UTC).toLocalDate();
            return switch (d.op()) {
                case BEFORE -> day.isBefore(d.date());
                case ON -> day.isEqual(d.date());
                case SINCE -> !day.isBefore(d.date());
            };
        }
        if (c instanceof SearchCriteria.Larger l) return m.size() > l.size();
        if (c instanceof SearchCriteria.Smaller s) return m.size() < s.size();
        if (c instanceof SearchCriteria.Flag fl) return m.hasFlag(fl.flag()) == fl.set();
        if (c instanceof SearchCriteria.Recent r) return !r.recent(); // \Recent is not kept: RECENT none, OLD all
        if (c instanceof SearchCriteria.Uid u) return u.uids().contains(m.uid());
        if (c instanceof SearchCriteria.ModSeq ms) return m.modSeq() >= ms.modSeq();
        throw new IllegalArgumentException("unknown search criterion " + c);
    }

    /**
     * Full-text search (Lucene query syntax, words ANDed) over subject, body text, From and attachment names of one
     * mailbox, in one folder or in all when {@code folder} is null. Results in folder and UID order.
     * A read-only store searches the last committed index.
     */
    public List<StoredMessage> search(String mailbox, String folder, String query) throws MailboxException {
        refresh();
        Mailbox mb = mailbox(mailbox);
        Folder only = folder == null ? null : folder(mb, folder);
        List<MessageIndex.Hit> hits;
        try {
            hits = index.search(mailbox, only == null ? null : only.fid, query);
        } catch (IOException e) {
            throw new MailboxException(Reason.STORAGE, "search failed: " + e.getMessage(), true, e);
        }
        List<StoredMessage> out = new ArrayList<>(hits.size());
        for (MessageIndex.Hit h : hits) {
            Folder f = mb.byFid.get(h.fid());
            Entry e = f == null ? null : f.messages.get(h.uid());
            if (e != null) out.add(e.message());
        }
        out.sort(Comparator.comparing(StoredMessage::folder).thenComparingLong(StoredMessage::uid));
        return out;
    }

    // ---------------------------------------------------------------- blob garbage collection

    /**
     * Removes message files that no message in any folder of any mailbox refers to (all their copies expunged or
     * their folders deleted). Safe beside deliveries: it waits for those in progress and holds new ones back while
     * it collects, and reads each mailbox under its lock. Returns the number of files removed.
     */
    public int collectGarbage() throws MailboxException {
        requireWritable();
        try {
            return collectGarbageNow();
        } catch (IOException e) {
            throw new MailboxException(Reason.STORAGE, "blob garbage collection failed: " + e.getMessage(), true, e);
        }
    }

    private int collectGarbageNow() throws IOException {
        blobLock.writeLock().lock();
        try {
            Set<String> live = new HashSet<>();
            for (Mailbox mb : mailboxes.values()) {
                mb.lock.lock();
                try {
                    for (Folder f : mb.folders.values()) for (Entry e : f.messages.values()) live.add(e.blob());
                } finally {
                    mb.lock.unlock();
                }
            }
            int removed = blobs.removeExcept(live);
            if (removed > 0) log.info("removed {} message files no folder refers to", removed);
            return removed;
        } finally {
            blobLock.writeLock().unlock();
        }
    }

    // ---------------------------------------------------------------- index

    private interface IndexOp {
        void run() throws IOException;
    }

    /** Runs index updates for records starting at {@code start}; on failure the next open reconciles this mailbox. */
    private void indexChange(Mailbox mb, long start, IndexOp op) {
        mb.unindexed.add(start);
        indexLock.readLock().lock();
        try {
            op.run();
            mb.unindexed.remove(start);
            dirty.set(true);
        } catch (IOException | RuntimeException ex) {
            log.warn("updating the index of {} failed (it is reconciled on the next open): {}", mb.name, ex.toString());
        } finally {
            indexLock.readLock().unlock();
        }
    }

    /**
     * A delivered message, durable now: indexed, then made visible. The indexing runs outside the mailbox lock, so that
     * concurrent deliveries to one mailbox index side by side and meet again at the log force (which they then share)
     * instead of one after the other. Nobody can expunge or move a message before it is visible, so no change of
     * that message can reach the index before its document; a folder deleted meanwhile is checked under the lock.
     * The index's read lock is held from the document to the visibility, so a concurrent {@link #reindexAll} runs
     * before (the message not visible yet: not indexed by it) or after (indexed once, by it).
     */
    private Entry indexAndShow(Mailbox mb, Folder folder, Entry entry, ParsedMessage parsed) {
        StoredMessage m = entry.message();
        indexLock.readLock().lock();
        try {
            boolean indexed;
            try {
                index.add(mb.name, folder.fid, m.uid(), m.size(), m.internalDate(), parsed);
                indexed = true;
            } catch (IOException | RuntimeException ex) {
                log.warn("updating the index of {} failed (it is reconciled on the next open): {}", mb.name, ex.toString());
                indexed = false;
            }
            mb.lock.lock();
            try {
                if (mb.byFid.get(folder.fid) != folder) {
                    // the folder was deleted meanwhile (its documents with it, maybe before this one was added)
                    if (indexed) index.delete(mb.name, folder.fid, m.uid());
                } else {
                    // visible only now that it is durable; the folder may have been renamed meanwhile
                    if (!m.folder().equals(folder.name)) {
                        entry = entry.with(new StoredMessage(m.mailbox(), folder.name, m.uidValidity(), m.uid(), m.size(),
                                m.internalDate(), m.flags(), m.from(), m.subject(), m.messageId(), m.modSeq()));
                    }
                    folder.messages.put(m.uid(), entry);
                }
                if (indexed) {
                    mb.unindexed.remove(entry.recordStart());
                    dirty.set(true);
                }
            } catch (IOException ex) {
                log.warn("updating the index of {} failed (it is reconciled on the next open): {}", mb.name, ex.toString());
            } finally {
                mb.lock.unlock();
            }
        } finally {
            indexLock.readLock().unlock();
        }
        return entry;
    }

    private ParsedMessage parseBlob(Entry e) {
        try (InputStream in = blobs.read(e.blob())) {
            return parser.parse(in);
        } catch (IOException ex) {
            log.warn("message file {} of {} {} uid {} cannot be read: {}; indexing its summary only", e.blob(),
                    e.message().mailbox(), e.message().folder(), e.message().uid(), ex.toString());
            StoredMessage m = e.message();
            return ParsedMessage.summary(m.from(), m.subject(), m.messageId());
        }
    }

    /**
     * On open: a mailbox whose log grew after the last index commit is reconciled (documents of messages no longer
     * live removed, missing ones added); an index of another layout, or ahead of a log, is rebuilt.
     */
    private void catchUpIndex() throws IOException {
        if (index.fresh()) {
            rebuiltOnOpen = reindexAll();
            return;
        }
        Map<String, String> data = index.committedData();
        if (!MessageIndex.FORMAT.equals(data.get(MessageIndex.FORMAT_KEY))) {
            log.info("mailbox index has an older layout; rebuilding it");
            rebuiltOnOpen = reindexAll();
            return;
        }
        int changed = 0;
        for (Mailbox mb : mailboxes.values()) {
            long from = Long.parseLong(data.getOrDefault(COMMIT_KEY_PREFIX + mb.name, "0"));
            if (from > mb.log.end()) {
                log.warn("mailbox index is ahead of the log of {}; rebuilding the index", mb.name);
                rebuiltOnOpen = reindexAll();
                return;
            }
            if (from < mb.log.end()) changed += reconcile(mb);
        }
        if (changed > 0) log.info("index caught up with the logs: {} documents added or removed", changed);
        commit();
    }

    private int reconcile(Mailbox mb) throws IOException {
        Set<String> indexed = new HashSet<>();
        int n = 0;
        for (MessageIndex.Hit h : index.hits(mb.name, null, new org.apache.lucene.search.MatchAllDocsQuery())) {
            Folder f = mb.byFid.get(h.fid());
            if (f == null || !f.messages.containsKey(h.uid())) {
                index.delete(mb.name, h.fid(), h.uid());
                n++;
            } else {
                indexed.add(h.fid() + '/' + h.uid());
            }
        }
        for (Folder f : mb.folders.values()) {
            for (Entry e : f.messages.values()) {
                if (indexed.contains(f.fid + '/' + e.message().uid())) continue;
                StoredMessage m = e.message();
                index.add(mb.name, f.fid, m.uid(), m.size(), m.internalDate(), parseBlob(e));
                n++;
            }
        }
        return n;
    }

    /**
     * Throws the index away and rebuilds it from the logs and message files. On a writing store deliveries may
     * continue meanwhile. A read-only store opens the data folder for writing for the rebuild (taking Lucene's write
     * lock) and fails with {@link io.herald.api.mailbox.StoreInUseException} when a running server holds it: the lock is never stolen.
     */
    @Override
    public Reindexed reindex() throws MailboxException {
        if (closed.get()) throw new MailboxException(Reason.READ_ONLY, "the mailbox store is closed", true);
        long start = System.nanoTime();
        Counts counts;
        if (readOnly) {
            counts = reindexAsWriter();
            refresh();
        } else {
            try {
                counts = reindexAll();
            } catch (IOException e) {
                throw new MailboxException(Reason.STORAGE, "reindexing failed: " + e.getMessage(), true, e);
            }
        }
        return new Reindexed(counts.mailboxes(), counts.messages(), Duration.ofNanos(System.nanoTime() - start));
    }

    /** Read-only store: a writing store on the same folder for the rebuild; refused when another writer has it. */
    private Counts reindexAsWriter() throws MailboxException {
        LuceneMailboxStore writer;
        try {
            writer = new LuceneMailboxStore(dataDir, config, events, clock, false);
        } catch (UncheckedIOException e) {
            if (lockHeld(e)) {
                throw new io.herald.api.mailbox.StoreInUseException("the mailbox store in " + dataDir
                        + " is held for writing by another process (its index write lock is taken; a running server?)", e);
            }
            throw new MailboxException(Reason.STORAGE, e.getMessage(), true, e);
        }
        try (writer) {
            // a missing or damaged index was already rebuilt by the open: once is enough
            Counts counts = writer.rebuiltOnOpen;
            return counts != null ? counts : writer.reindexAll();
        } catch (IOException e) {
            throw new MailboxException(Reason.STORAGE, "reindexing failed: " + e.getMessage(), true, e);
        }
    }

    private static boolean lockHeld(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.apache.lucene.store.LockObtainFailedException) return true;
        }
        return false;
    }

    private record Counts(int mailboxes, long messages) { }

    private Counts reindexAll() throws IOException {
        long n = 0;
        int boxes;
        indexLock.writeLock().lock();
        try {
            index.deleteAll();
            boxes = mailboxes.size();
            for (Mailbox mb : mailboxes.values()) {
                for (Folder f : mb.folders.values()) {
                    for (Entry e : f.messages.values()) {
                        StoredMessage m = e.message();
                        index.add(mb.name, f.fid, m.uid(), m.size(), m.internalDate(), parseBlob(e));
                        n++;
                    }
                }
            }
            log.info("mailbox index rebuilt: {} messages in {} mailboxes", n, boxes);
        } finally {
            indexLock.writeLock().unlock();
        }
        commit();
        return new Counts(boxes, n);
    }

    /** Index documents of a mailbox (what the near-real-time reader sees); for checks and tests. */
    int indexedCount(String mailbox) throws IOException {
        return index.count(mailbox);
    }

    /** Commits the index, recording for each mailbox how far its log is indexed. */
    public void commit() throws IOException {
        if (readOnly) return;
        synchronized (commitLock) {
            dirty.set(false);
            Map<String, String> data = new HashMap<>();
            data.put(MessageIndex.FORMAT_KEY, MessageIndex.FORMAT);
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

    /** Moves the message files stored since the last time to their hash folders ({@link BlobStore#settle}). */
    private void settleBlobs() {
        blobLock.readLock().lock(); // not beside garbage collection
        try {
            blobs.settle();
        } catch (IOException | RuntimeException e) {
            log.warn("settling new message files failed (will retry): {}", e.toString());
        } finally {
            blobLock.readLock().unlock();
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
        if (mb == null) throw new MailboxException(Reason.NO_SUCH_MAILBOX, "no such mailbox: " + name, false);
        return mb;
    }

    private static Folder folder(Mailbox mb, String name) throws MailboxException {
        Folder f = name == null ? null : mb.folders.get(Folders.normalize(name));
        if (f == null) throw new MailboxException(Reason.NO_SUCH_FOLDER, "no such folder in " + mb.name + ": " + name, false);
        return f;
    }

    /** A valid folder name, INBOX normalized: levels separated by '/', none empty, no control or wildcard characters. */
    static String folderName(String name) throws MailboxException {
        String n = Folders.normalize(name);
        boolean ok = n != null && !n.isEmpty() && n.length() <= 1000 && n.charAt(0) != Folders.SEPARATOR
                && n.charAt(n.length() - 1) != Folders.SEPARATOR && !n.contains("//")
                && n.chars().noneMatch(c -> c < 0x20 || c == 0x7f || c == '*' || c == '%');
        if (!ok) throw new MailboxException(Reason.NOT_ALLOWED, "not a valid folder name: " + name, false);
        return n;
    }

    private void requireWritable() throws MailboxException {
        if (readOnly) throw new MailboxException(Reason.READ_ONLY, "the mailbox store is open read-only", false);
        if (closed.get()) throw new MailboxException(Reason.READ_ONLY, "the mailbox store is closed", true);
    }

    /**
     * A write to the log failed (typically a full disk: ENOSPC). Unlike a failed force, that leaves nothing unknown:
     * the log's valid end did not move, the next append writes over whatever part of the record reached the file,
     * and a reader or the next open stops before it. So the mailbox stays writable and recovers by itself once there
     * is space again; the delivery is retried by the queue. Caller holds the mailbox lock.
     */
    private static MailboxException appendFailed(Mailbox mb, IOException e) {
        mb.log.cutTail();
        return new MailboxException(Reason.STORAGE, "cannot write the log of " + mb.name + ": " + e.getMessage(), true, e);
    }

    private static void checkBroken(Mailbox mb) throws MailboxException {
        IOException e = mb.broken;
        if (e != null) {
            throw new MailboxException(Reason.STORAGE, "mailbox " + mb.name + " cannot be written until the store is reopened: "
                    + e.getMessage(), true, e);
        }
    }

    private static void validateName(String mailbox) throws MailboxException {
        if (mailbox == null || mailbox.isBlank() || mailbox.length() > 512 || mailbox.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new MailboxException(Reason.NOT_ALLOWED, "not a valid mailbox name: " + mailbox, false);
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
                settleBlobs();
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

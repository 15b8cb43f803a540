package io.herald.plugin.mailbox;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.queryparser.classic.MultiFieldQueryParser;
import org.apache.lucene.queryparser.classic.ParseException;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Lucene index of all mailboxes: one document per message, keyed by mailbox, folder and UID. It is derived
 * data: the store can rebuild it from the logs and the message files at any time. The writer keeps a near-real-time
 * reader for queries; commits are batched by the store, which records in the commit data how far each mailbox log
 * has been indexed.
 */
final class MessageIndex implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(MessageIndex.class);

    static final String F_ID = "id", F_MAILBOX = "mailbox", F_FOLDER = "folder", F_UID = "uid", F_FROM = "from",
            F_TO = "to", F_CC = "cc", F_SUBJECT = "subject", F_MESSAGE_ID = "message-id", F_DATE = "date",
            F_INTERNAL_DATE = "internal-date", F_SIZE = "size", F_BODY = "body", F_ATTACHMENT = "attachment";

    /** One search hit: the folder and UID of a message. */
    record Hit(String folder, long uid) { }

    private final Path dir;
    private final boolean readOnly;
    private final Analyzer analyzer = new StandardAnalyzer();
    private Directory directory;
    private IndexWriter writer;
    private SearcherManager searchers;
    private DirectoryReader roReader;
    private boolean fresh;

    MessageIndex(Path dir, boolean readOnly) {
        this.dir = dir;
        this.readOnly = readOnly;
    }

    /** Opens the index for writing (taking Lucene's write lock); a damaged index is thrown away and rebuilt. */
    void openWriter() throws IOException {
        Files.createDirectories(dir);
        directory = FSDirectory.open(dir);
        try {
            fresh = !DirectoryReader.indexExists(directory);
            writer = new IndexWriter(directory, config(IndexWriterConfig.OpenMode.CREATE_OR_APPEND));
        } catch (org.apache.lucene.store.LockObtainFailedException e) {
            throw e; // another writer holds this data folder: never steal it
        } catch (IOException | RuntimeException e) {
            log.warn("mailbox index in {} cannot be opened ({}); it will be rebuilt from the logs", dir, e.toString());
            writer = new IndexWriter(directory, config(IndexWriterConfig.OpenMode.CREATE));
            fresh = true;
        }
        searchers = new SearcherManager(writer, null);
    }

    private IndexWriterConfig config(IndexWriterConfig.OpenMode mode) {
        IndexWriterConfig c = new IndexWriterConfig(analyzer);
        c.setOpenMode(mode);
        c.setCommitOnClose(false); // the store commits with its own commit data
        c.setRAMBufferSizeMB(32);
        return c;
    }

    /** True when there was no usable commit: everything must be indexed from the logs. */
    boolean fresh() {
        return fresh;
    }

    /** The commit data of the last commit (how far each log is indexed). */
    Map<String, String> committedData() throws IOException {
        if (fresh) return Map.of();
        Map<String, String> data = new HashMap<>();
        Iterable<Map.Entry<String, String>> live = writer.getLiveCommitData();
        if (live != null) live.forEach(e -> data.put(e.getKey(), e.getValue()));
        if (data.isEmpty()) data.putAll(SegmentInfos.readLatestCommit(directory).getUserData());
        return data;
    }

    void add(String mailbox, String folder, long uid, long size, Instant internalDate, ParsedMessage p) throws IOException {
        Document d = new Document();
        String id = id(mailbox, folder, uid);
        d.add(new StringField(F_ID, id, Field.Store.NO));
        d.add(new StringField(F_MAILBOX, mailbox, Field.Store.NO));
        d.add(new StringField(F_FOLDER, folder, Field.Store.YES));
        d.add(new LongPoint(F_UID, uid));
        d.add(new StoredField(F_UID, uid));
        d.add(new NumericDocValuesField(F_UID, uid));
        d.add(new LongPoint(F_SIZE, size));
        d.add(new LongPoint(F_INTERNAL_DATE, internalDate.toEpochMilli()));
        if (p.date() != null) d.add(new LongPoint(F_DATE, p.date().toEpochMilli()));
        text(d, F_FROM, p.from());
        text(d, F_TO, p.to());
        text(d, F_CC, p.cc());
        text(d, F_SUBJECT, p.subject());
        text(d, F_BODY, p.body());
        if (!p.messageId().isEmpty()) d.add(new StringField(F_MESSAGE_ID, p.messageId(), Field.Store.NO));
        for (String a : p.attachmentNames()) text(d, F_ATTACHMENT, a);
        writer.updateDocument(new Term(F_ID, id), d);
    }

    private static void text(Document d, String field, String value) {
        if (value != null && !value.isEmpty()) d.add(new TextField(field, value, Field.Store.NO));
    }

    static String id(String mailbox, String folder, long uid) {
        return mailbox + '\u0000' + folder + '\u0000' + uid;
    }

    void deleteAll() throws IOException {
        writer.deleteAll();
    }

    void commit(Map<String, String> data) throws IOException {
        writer.setLiveCommitData(Map.copyOf(data).entrySet());
        writer.commit();
    }

    /** Full-text search over subject, body, from and attachment names of one mailbox (one folder, or all when null). */
    List<Hit> search(String mailbox, String folder, String query) throws IOException {
        Query text = parse(query);
        BooleanQuery.Builder b = new BooleanQuery.Builder()
                .add(text, BooleanClause.Occur.MUST)
                .add(new TermQuery(new Term(F_MAILBOX, mailbox)), BooleanClause.Occur.FILTER);
        if (folder != null) b.add(new TermQuery(new Term(F_FOLDER, folder)), BooleanClause.Occur.FILTER);
        Query q = b.build();
        if (readOnly) {
            DirectoryReader r = readOnlyReader();
            if (r == null) return List.of();
            return collect(new IndexSearcher(r), q);
        }
        searchers.maybeRefreshBlocking();
        IndexSearcher s = searchers.acquire();
        try {
            return collect(s, q);
        } finally {
            searchers.release(s);
        }
    }

    private Query parse(String query) {
        MultiFieldQueryParser p = new MultiFieldQueryParser(new String[] {F_SUBJECT, F_BODY, F_FROM, F_ATTACHMENT}, analyzer);
        p.setDefaultOperator(QueryParser.Operator.AND);
        p.setSplitOnWhitespace(true);
        p.setAutoGeneratePhraseQueries(true); // a CJK word becomes a phrase of its characters
        try {
            return p.parse(query);
        } catch (ParseException e) {
            try {
                return p.parse(QueryParser.escape(query));
            } catch (ParseException e2) {
                throw new IllegalArgumentException("cannot parse search query: " + query, e2);
            }
        }
    }

    private static List<Hit> collect(IndexSearcher s, Query q) throws IOException {
        int n = Math.max(1, s.count(q));
        ScoreDoc[] docs = s.search(q, n).scoreDocs;
        StoredFields fields = s.storedFields();
        List<Hit> hits = new ArrayList<>(docs.length);
        for (ScoreDoc sd : docs) {
            Document d = fields.document(sd.doc, Set.of(F_FOLDER, F_UID));
            hits.add(new Hit(d.get(F_FOLDER), d.getField(F_UID).numericValue().longValue()));
        }
        hits.sort(Comparator.comparing(Hit::folder).thenComparingLong(Hit::uid));
        return hits;
    }

    /** Read-only: the latest commit, without ever taking the write lock. */
    private synchronized DirectoryReader readOnlyReader() throws IOException {
        if (roReader == null) {
            if (!Files.isDirectory(dir)) return null;
            if (directory == null) directory = FSDirectory.open(dir);
            if (!DirectoryReader.indexExists(directory)) return null;
            roReader = DirectoryReader.open(directory);
        } else {
            DirectoryReader newer = DirectoryReader.openIfChanged(roReader);
            if (newer != null) {
                roReader.close();
                roReader = newer;
            }
        }
        return roReader;
    }

    @Override
    public synchronized void close() throws IOException {
        if (searchers != null) searchers.close();
        if (writer != null) writer.close();
        if (roReader != null) roReader.close();
        if (directory != null) directory.close();
    }
}

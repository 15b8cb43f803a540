package io.herald.plugin.mailbox;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.FieldType;
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

    static final String F_ID = "id", F_MAILBOX = "mailbox", F_FID = "fid", F_UID = "uid", F_FROM = "from",
            F_TO = "to", F_CC = "cc", F_BCC = "bcc", F_SUBJECT = "subject", F_MESSAGE_ID = "message-id", F_DATE = "date",
            F_INTERNAL_DATE = "internal-date", F_SIZE = "size", F_BODY = "body", F_ATTACHMENT = "attachment",
            F_HEADERS = "headers", F_HEADER_NAMES = "header-names";
    /** Prefix of the analyzed field of any other header ({@code h.x-mailer}); {@code kw.} of the normalized whole value. */
    static final String HEADER_PREFIX = "h.", KEYWORD_PREFIX = "kw.";
    /** The headers that have their own analyzed field and a normalized keyword field for substring matching. */
    static final Set<String> ADDRESS_HEADERS = Set.of(F_FROM, F_TO, F_CC, F_BCC, F_SUBJECT);
    /** Commit data key of the index layout; an index without it (or another value) is rebuilt. */
    static final String FORMAT_KEY = "format", FORMAT = "3";
    /**
     * Analyzed text, not stored (the message file is the stored form), with positions (phrase searches) but without
     * norms: results are ordered by folder and UID, never by score, so the length normalisation Lucene would write
     * for every text field of every message, and merge again and again, is never read. (Layout "3"; "2" had norms.)
     */
    private static final FieldType TEXT;
    static {
        FieldType t = new FieldType(TextField.TYPE_NOT_STORED);
        t.setOmitNorms(true);
        t.freeze();
        TEXT = t;
    }
    private static final int MAX_KEYWORD = 1000;

    /** One indexed message: its folder id and UID. */
    record Hit(String fid, long uid) { }

    private final Path dir;
    private final boolean readOnly;
    private final Analyzer analyzer = new StandardAnalyzer(CharArraySet.EMPTY_SET); // stop words would make "the" unfindable
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
            // OpenMode.CREATE still reads the last commit (for its generation): a damaged segments_N fails it too.
            // Holding the write lock, so that no other writer's files are touched, the damaged files go first.
            try (org.apache.lucene.store.Lock lock = directory.obtainLock(IndexWriter.WRITE_LOCK_NAME)) {
                for (String name : directory.listAll()) {
                    if (!name.equals(IndexWriter.WRITE_LOCK_NAME)) directory.deleteFile(name);
                }
            }
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

    /**
     * Adds the document of a message the index has no document for (a delivery made visible only after this, a
     * rebuild, a reconciliation): no delete by id to apply at every flush, as {@link #update} has.
     */
    void add(String mailbox, String fid, long uid, long size, Instant internalDate, ParsedMessage p) throws IOException {
        writer.addDocument(document(mailbox, fid, uid, size, internalDate, p));
    }

    /** Adds or replaces the document of a message (one that may already be in the index). */
    void update(String mailbox, String fid, long uid, long size, Instant internalDate, ParsedMessage p) throws IOException {
        writer.updateDocument(new Term(F_ID, id(mailbox, fid, uid)), document(mailbox, fid, uid, size, internalDate, p));
    }

    private static Document document(String mailbox, String fid, long uid, long size, Instant internalDate, ParsedMessage p) {
        Document d = new Document();
        String id = id(mailbox, fid, uid);
        d.add(new StringField(F_ID, id, Field.Store.NO));
        d.add(new StringField(F_MAILBOX, mailbox, Field.Store.NO));
        d.add(new StringField(F_FID, fid, Field.Store.YES));
        d.add(new LongPoint(F_UID, uid));
        d.add(new StoredField(F_UID, uid));
        d.add(new NumericDocValuesField(F_UID, uid));
        d.add(new LongPoint(F_SIZE, size));
        d.add(new LongPoint(F_INTERNAL_DATE, internalDate.toEpochMilli()));
        if (p.date() != null) d.add(new LongPoint(F_DATE, p.date().toEpochMilli()));
        header(d, F_FROM, p.from());
        header(d, F_TO, p.to());
        header(d, F_CC, p.cc());
        header(d, F_BCC, p.bcc());
        header(d, F_SUBJECT, p.subject());
        text(d, F_BODY, p.body());
        if (!p.messageId().isEmpty()) d.add(new StringField(F_MESSAGE_ID, keyword(p.messageId()), Field.Store.NO));
        for (String a : p.attachmentNames()) text(d, F_ATTACHMENT, a);
        Set<String> names = new java.util.HashSet<>();
        for (Map.Entry<String, String> h : p.headers()) {
            String name = h.getKey();
            if (!validFieldName(name)) continue;
            if (names.add(name)) d.add(new StringField(F_HEADER_NAMES, name, Field.Store.NO));
            text(d, F_HEADERS, h.getValue());
            if (!ADDRESS_HEADERS.contains(name)) text(d, HEADER_PREFIX + name, h.getValue());
        }
        for (String n : ADDRESS_HEADERS) { // a message parsed from the summary only still has these
            if (!names.contains(n) && d.getField(n) != null) d.add(new StringField(F_HEADER_NAMES, n, Field.Store.NO));
        }
        return d;
    }

    private static void header(Document d, String field, String value) {
        if (value == null || value.isEmpty()) return;
        text(d, field, value);
        d.add(new StringField(KEYWORD_PREFIX + field, normalize(value), Field.Store.NO));
    }

    /** The form a header value is compared in for substring matching: lower case, white space collapsed, capped. */
    static String normalize(String value) {
        String v = value.toLowerCase(java.util.Locale.ROOT).replaceAll("\\s+", " ").strip();
        return v.length() <= MAX_KEYWORD ? v : v.substring(0, MAX_KEYWORD);
    }

    /**
     * A whole value as one keyword term, capped: Lucene refuses a term over 32766 octets ("immense term") and would
     * refuse the whole document, so an uncapped Message-ID could make a message unindexable. Queries cap the same way.
     */
    static String keyword(String value) {
        return value.length() <= MAX_KEYWORD ? value : value.substring(0, MAX_KEYWORD);
    }

    static boolean validFieldName(String name) {
        if (name.isEmpty() || name.length() > 64) return false;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
        }
        return true;
    }

    void delete(String mailbox, String fid, long uid) throws IOException {
        writer.deleteDocuments(new Term(F_ID, id(mailbox, fid, uid)));
    }

    /** Deletes every document of a folder. */
    void deleteFolder(String mailbox, String fid) throws IOException {
        writer.deleteDocuments(new BooleanQuery.Builder()
                .add(new TermQuery(new Term(F_MAILBOX, mailbox)), BooleanClause.Occur.FILTER)
                .add(new TermQuery(new Term(F_FID, fid)), BooleanClause.Occur.FILTER).build());
    }

    private static void text(Document d, String field, String value) {
        if (value != null && !value.isEmpty()) d.add(new Field(field, value, TEXT));
    }

    static String id(String mailbox, String fid, long uid) {
        return mailbox + '\u0000' + fid + '\u0000' + uid;
    }

    void deleteAll() throws IOException {
        writer.deleteAll();
    }

    void commit(Map<String, String> data) throws IOException {
        writer.setLiveCommitData(Map.copyOf(data).entrySet());
        writer.commit();
    }

    /** Full-text search (Lucene syntax) over subject, body, from and attachment names of one mailbox (one folder id, or all). */
    List<Hit> search(String mailbox, String fid, String query) throws IOException {
        return hits(mailbox, fid, parse(query));
    }

    /** The documents of a mailbox (one folder id, or all when null) matching a query. */
    List<Hit> hits(String mailbox, String fid, Query query) throws IOException {
        BooleanQuery.Builder b = new BooleanQuery.Builder()
                .add(query, BooleanClause.Occur.MUST)
                .add(new TermQuery(new Term(F_MAILBOX, mailbox)), BooleanClause.Occur.FILTER);
        if (fid != null) b.add(new TermQuery(new Term(F_FID, fid)), BooleanClause.Occur.FILTER);
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

    /**
     * The UIDs in one folder matching a query, ascending and each once, collected from doc values (no stored fields
     * read, no scores computed): the cost follows the number of matching documents.
     */
    long[] uids(String mailbox, String fid, Query query) throws IOException {
        Query q = new BooleanQuery.Builder()
                .add(query, BooleanClause.Occur.FILTER)
                .add(new TermQuery(new Term(F_MAILBOX, mailbox)), BooleanClause.Occur.FILTER)
                .add(new TermQuery(new Term(F_FID, fid)), BooleanClause.Occur.FILTER).build();
        if (readOnly) {
            DirectoryReader r = readOnlyReader();
            return r == null ? SortedUids.EMPTY : collectUids(new IndexSearcher(r), q);
        }
        searchers.maybeRefreshBlocking();
        IndexSearcher s = searchers.acquire();
        try {
            return collectUids(s, q);
        } finally {
            searchers.release(s);
        }
    }

    /** Documents of one mailbox (live index view), for tests and the consistency check. */
    int count(String mailbox) throws IOException {
        if (readOnly) {
            DirectoryReader r = readOnlyReader();
            return r == null ? 0 : new IndexSearcher(r).count(new TermQuery(new Term(F_MAILBOX, mailbox)));
        }
        searchers.maybeRefreshBlocking();
        IndexSearcher s = searchers.acquire();
        try {
            return s.count(new TermQuery(new Term(F_MAILBOX, mailbox)));
        } finally {
            searchers.release(s);
        }
    }

    private static long[] collectUids(IndexSearcher s, Query q) throws IOException {
        SortedUids.Builder out = new SortedUids.Builder();
        s.search(q, new org.apache.lucene.search.SimpleCollector() {
            org.apache.lucene.index.NumericDocValues uids;

            @Override
            protected void doSetNextReader(org.apache.lucene.index.LeafReaderContext context) throws IOException {
                uids = org.apache.lucene.index.DocValues.getNumeric(context.reader(), F_UID);
            }

            @Override
            public void collect(int doc) throws IOException {
                if (uids.advanceExact(doc)) out.add(uids.longValue());
            }

            @Override
            public org.apache.lucene.search.ScoreMode scoreMode() {
                return org.apache.lucene.search.ScoreMode.COMPLETE_NO_SCORES;
            }
        });
        return out.sorted();
    }

    // ---------------------------------------------------------------- query building (SearchCriteria leaves)

    /**
     * A header field contains a value: analyzed words (phrase, or every word with the last one as prefix), or for the
     * address and subject headers the normalized whole value containing the value as a substring; a value with
     * {@code @} in an address header only as a substring. An empty value asks whether the field exists.
     */
    Query headerQuery(String name, String value) {
        String n = name.toLowerCase(java.util.Locale.ROOT);
        if (value.isEmpty()) return new TermQuery(new Term(F_HEADER_NAMES, n));
        if (ADDRESS_HEADERS.contains(n)) {
            String needle = normalize(value);
            Query substring = new org.apache.lucene.search.WildcardQuery(new Term(KEYWORD_PREFIX + n, "*" + escapeWildcard(needle) + "*"));
            // an address (or part of one with '@') is matched as IMAP says, as a substring only: the words of
            // "doug@example.com" are also in "Doug Sauder <dwsauder@example.com>", which does not contain it
            if (value.indexOf('@') >= 0) return substring;
            return new BooleanQuery.Builder()
                    .add(words(n, value), BooleanClause.Occur.SHOULD)
                    .add(new org.apache.lucene.search.WildcardQuery(new Term(KEYWORD_PREFIX + n, "*" + escapeWildcard(needle) + "*")),
                            BooleanClause.Occur.SHOULD)
                    .build();
        }
        if (n.equals(F_MESSAGE_ID)) {
            return new BooleanQuery.Builder()
                    .add(words(HEADER_PREFIX + n, value), BooleanClause.Occur.SHOULD)
                    .add(new TermQuery(new Term(F_MESSAGE_ID, keyword(value.strip()))), BooleanClause.Occur.SHOULD).build();
        }
        if (!validFieldName(n)) return new org.apache.lucene.search.MatchNoDocsQuery();
        return words(HEADER_PREFIX + n, value);
    }

    Query bodyQuery(String text) {
        return anyField(text, F_BODY, F_ATTACHMENT);
    }

    Query textQuery(String text) {
        return anyField(text, F_HEADERS, F_BODY, F_ATTACHMENT);
    }

    /** SENTBEFORE / SENTON / SENTSINCE: the Date header against a UTC day. */
    Query sentDateQuery(io.herald.api.mailbox.SearchCriteria.DateOp op, java.time.LocalDate day) {
        long start = day.atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli();
        long next = day.plusDays(1).atStartOfDay(java.time.ZoneOffset.UTC).toInstant().toEpochMilli();
        return switch (op) {
            case BEFORE -> LongPoint.newRangeQuery(F_DATE, Long.MIN_VALUE, start - 1);
            case ON -> LongPoint.newRangeQuery(F_DATE, start, next - 1);
            case SINCE -> LongPoint.newRangeQuery(F_DATE, start, Long.MAX_VALUE);
        };
    }

    private Query anyField(String text, String... fields) {
        BooleanQuery.Builder b = new BooleanQuery.Builder();
        for (String f : fields) b.add(words(f, text), BooleanClause.Occur.SHOULD);
        return b.build();
    }

    /**
     * Words of {@code text} in an analyzed field: the exact phrase, or every word with the last as a prefix (so a
     * word typed in part still matches). No words at all (only punctuation) matches nothing.
     */
    Query words(String field, String text) {
        List<String> tokens = tokens(field, text);
        if (tokens.isEmpty()) return new org.apache.lucene.search.MatchNoDocsQuery();
        String last = tokens.get(tokens.size() - 1);
        if (tokens.size() == 1) {
            // the word itself is one of the terms it prefixes: a TermQuery beside it would only read its postings twice
            return new org.apache.lucene.search.PrefixQuery(new Term(field, last));
        }
        org.apache.lucene.search.PhraseQuery.Builder phrase = new org.apache.lucene.search.PhraseQuery.Builder();
        for (String t : tokens) phrase.add(new Term(field, t));
        BooleanQuery.Builder all = new BooleanQuery.Builder();
        for (int i = 0; i < tokens.size() - 1; i++) all.add(new TermQuery(new Term(field, tokens.get(i))), BooleanClause.Occur.FILTER);
        all.add(new org.apache.lucene.search.PrefixQuery(new Term(field, last)), BooleanClause.Occur.FILTER);
        return new BooleanQuery.Builder()
                .add(phrase.build(), BooleanClause.Occur.SHOULD)
                .add(all.build(), BooleanClause.Occur.SHOULD).build();
    }

    private List<String> tokens(String field, String text) {
        List<String> out = new ArrayList<>();
        try (org.apache.lucene.analysis.TokenStream ts = analyzer.tokenStream(field, text)) {
            org.apache.lucene.analysis.tokenattributes.CharTermAttribute term =
                    ts.addAttribute(org.apache.lucene.analysis.tokenattributes.CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) out.add(term.toString());
            ts.end();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // string readers do not fail
        }
        return out;
    }

    private static String escapeWildcard(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            if (c == '*' || c == '?' || c == '\\') sb.append('\\');
            sb.append(c);
        }
        return sb.toString();
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
            Document d = fields.document(sd.doc, Set.of(F_FID, F_UID));
            hits.add(new Hit(d.get(F_FID), d.getField(F_UID).numericValue().longValue()));
        }
        hits.sort(Comparator.comparing(Hit::fid).thenComparingLong(Hit::uid));
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

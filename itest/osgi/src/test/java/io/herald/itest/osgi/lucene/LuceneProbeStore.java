package io.herald.itest.osgi.lucene;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.Delivery;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.plugin.PluginContext;
import jakarta.inject.Inject;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.custom.CustomAnalyzer;
import org.apache.lucene.codecs.Codec;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Indexes each delivered message's text; {@link #list(String, String)} takes a word instead of a folder and returns
 * the messages that contain it (a test shortcut, not the store's contract). The analyzer is assembled by SPI names:
 * the "standard" tokenizer lives in lucene-core, the "lowercase" filter in lucene-analysis-common, so both jars'
 * {@code META-INF/services} must be visible; the codec is looked up by name too.
 */
public final class LuceneProbeStore implements MailboxStore, AutoCloseable {

    private final Directory directory;
    private final Analyzer analyzer;
    private final IndexWriter writer;
    private long nextUid = 1;

    @Inject
    public LuceneProbeStore(PluginContext context) throws IOException {
        this.directory = FSDirectory.open(context.dataDir().resolve("index"));
        this.analyzer = CustomAnalyzer.builder().withTokenizer("standard").addTokenFilter("lowercase").build();
        IndexWriterConfig config = new IndexWriterConfig(analyzer).setCodec(Codec.forName("Lucene912"));
        this.writer = new IndexWriter(directory, config);
    }

    /** The name of the codec this store writes with, and the directory implementation (MMapDirectory here). */
    public String describe() {
        return writer.getConfig().getCodec().getName() + " on " + directory.getClass().getSimpleName();
    }

    @Override
    public synchronized StoredMessage deliver(Delivery delivery) throws MailboxException {
        try (InputStream in = delivery.content().open()) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            long uid = nextUid++;
            Document doc = new Document();
            doc.add(new StringField("mailbox", delivery.mailbox(), Field.Store.YES));
            doc.add(new StoredField("uid", uid));
            doc.add(new TextField("body", text, Field.Store.NO));
            writer.addDocument(doc);
            writer.commit();
            return new StoredMessage(delivery.mailbox(), delivery.folder(), 1, uid, text.length(), delivery.internalDate(),
                    Set.of(), "", "", "");
        } catch (IOException e) {
            throw new MailboxException("cannot index: " + e, false);
        }
    }

    @Override
    public synchronized List<StoredMessage> list(String mailbox, String word) throws MailboxException {
        try (DirectoryReader reader = DirectoryReader.open(directory)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            BooleanQuery query = new BooleanQuery.Builder()
                    .add(new TermQuery(new Term("mailbox", mailbox)), BooleanClause.Occur.FILTER)
                    .add(new TermQuery(new Term("body", analyzer.normalize("body", word))), BooleanClause.Occur.MUST)
                    .build();
            List<StoredMessage> hits = new ArrayList<>();
            for (ScoreDoc sd : searcher.search(query, 10).scoreDocs) {
                long uid = searcher.storedFields().document(sd.doc).getField("uid").numericValue().longValue();
                hits.add(new StoredMessage(mailbox, "INBOX", 1, uid, 0, java.time.Instant.EPOCH, Set.of(), "", describe(), ""));
            }
            return hits;
        } catch (IOException e) {
            throw new MailboxException("cannot search: " + e, false);
        }
    }

    @Override public boolean exists(String mailbox) { return true; }

    @Override public void create(String mailbox) { }

    @Override public List<String> mailboxes() { return List.of(); }

    @Override public List<String> folders(String mailbox) { return List.of("INBOX"); }

    @Override public Optional<MessageContent> content(String mailbox, String folder, long uid) { return Optional.empty(); }

    @Override
    public void close() throws IOException {
        writer.close();
        directory.close();
    }
}

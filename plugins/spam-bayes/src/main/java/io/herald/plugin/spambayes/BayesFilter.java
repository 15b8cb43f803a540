package io.herald.plugin.spambayes;

import io.herald.api.config.Configuration;
import io.herald.api.mail.MessageContent;
import io.herald.api.plugin.PluginContext;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamLearner;
import io.herald.api.spam.SpamVerdict;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Bayesian filter: scores with {@link Classifier} over {@link Tokenizer}'s features and learns into a
 * {@link TokenStore} kept in the plugin's data folder ({@code tokens.db}).
 *
 * <p>Configuration ({@code conf/spam-bayes.cfg}):
 * <pre>
 * # bands = 0.999:8.0, 0.98:6.0, 0.95:3.0, 0.80:2.0, 0.50:0.5, 0.20:0.0, 0.05:-1.0, 0.00:-2.0
 * # min.spam = 50      no opinion until this many spam messages have been learnt
 * # min.ham = 50       ... and this many ham messages
 * # save.every = 20    learnt messages between saves of tokens.db (also saved on flush and on stop)
 * </pre>
 */
@Singleton
public final class BayesFilter implements SpamFilter, SpamLearner, AutoCloseable {

    private final TokenStore store;
    private final Classifier classifier;
    private final Tokenizer tokenizer = new Tokenizer();
    private final ScoreBands bands;
    private final Path file;
    private final boolean readOnly;
    private final int minSpam;
    private final int minHam;
    private final int saveEvery;
    private final AtomicInteger unsaved = new AtomicInteger();

    @Inject
    public BayesFilter(PluginContext context) {
        this(load(context.dataDir().resolve("tokens.db")), context.config(), context.dataDir().resolve("tokens.db"), context.readOnly());
    }

    /** @param file where {@link #flush()} writes; null for a store that is never saved */
    public BayesFilter(TokenStore store, Configuration config, Path file, boolean readOnly) {
        this.store = store;
        this.classifier = new Classifier(store);
        this.bands = ScoreBands.from(config);
        this.file = file;
        this.readOnly = readOnly;
        this.minSpam = config.getInt("min.spam", 50, 0, Integer.MAX_VALUE);
        this.minHam = config.getInt("min.ham", 50, 0, Integer.MAX_VALUE);
        this.saveEvery = config.getInt("save.every", 20, 1, Integer.MAX_VALUE);
    }

    private static TokenStore load(Path file) {
        try {
            return TokenStore.load(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the Bayes token file " + file, e);
        }
    }

    @Override
    public String name() {
        return "bayes";
    }

    public TokenStore store() {
        return store;
    }

    @Override
    public SpamVerdict score(SpamCheck check) throws IOException {
        TokenStore.Totals t = store.totals();
        if (t.spam() < minSpam || t.ham() < minHam) return SpamVerdict.NONE; // not trained enough to have an opinion
        return SpamVerdict.of(bands.reason(probability(check.message())));
    }

    /** The spam probability of a message, 0..1. */
    public double probability(MessageContent message) throws IOException {
        return classifier.classify(tokens(message)).probability();
    }

    public Classifier.Result classify(MessageContent message) throws IOException {
        return classifier.classify(tokens(message));
    }

    private Set<String> tokens(MessageContent message) throws IOException {
        try (InputStream in = new BufferedInputStream(message.open(), 1 << 16)) {
            return tokenizer.tokenize(in);
        }
    }

    @Override
    public void learn(MessageContent message, boolean spam) throws IOException {
        store.add(tokens(message), spam, +1);
        if (unsaved.incrementAndGet() >= saveEvery) flush();
    }

    @Override
    public void forget(MessageContent message, boolean wasSpam) throws IOException {
        store.add(tokens(message), wasSpam, -1);
        if (unsaved.incrementAndGet() >= saveEvery) flush();
    }

    @Override
    public synchronized void flush() throws IOException {
        if (readOnly || file == null || unsaved.get() == 0) return;
        unsaved.set(0);
        store.save(file);
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}

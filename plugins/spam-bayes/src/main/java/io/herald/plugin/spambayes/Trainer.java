package io.herald.plugin.spambayes;

import io.herald.api.mail.MessageContent;
import io.herald.api.spam.SpamLearner;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Trains a {@link SpamLearner} from folders of labelled messages (one message per file, any depth; files whose
 * name starts with a dot are skipped). Used by {@code herald spam train --spam DIR --ham DIR}, and runnable alone:
 * <pre>java -cp ... io.herald.plugin.spambayes.Trainer --spam DIR --ham DIR --db data/plugins/spam-bayes/tokens.db</pre>
 */
public final class Trainer {

    /** How many messages were learnt. */
    public record Counts(int spam, int ham) { }

    private final SpamLearner learner;

    public Trainer(SpamLearner learner) {
        this.learner = learner;
    }

    /** Learns every message below {@code spamDir} as spam and below {@code hamDir} as ham, then flushes. */
    public Counts train(Path spamDir, Path hamDir) throws IOException {
        int s = spamDir == null ? 0 : learnAll(files(spamDir), true);
        int h = hamDir == null ? 0 : learnAll(files(hamDir), false);
        learner.flush();
        return new Counts(s, h);
    }

    public int learnAll(List<Path> files, boolean spam) throws IOException {
        for (Path f : files) learner.learn(file(f), spam);
        return files.size();
    }

    /** The message files below a folder, sorted by path. */
    public static List<Path> files(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new IOException("not a folder: " + dir);
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        }
    }

    /** A message file, streamed. */
    public static MessageContent file(Path p) {
        return new MessageContent() {
            @Override public long size() {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return -1;
                }
            }

            @Override public InputStream open() throws IOException {
                return Files.newInputStream(p);
            }
        };
    }

    public static void main(String[] args) throws IOException {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) throws IOException {
        Path spam = null, ham = null, db = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length) { err.println("missing value after " + a); return 2; }
            switch (a) {
                case "--spam" -> spam = Path.of(args[++i]);
                case "--ham" -> ham = Path.of(args[++i]);
                case "--db" -> db = Path.of(args[++i]);
                default -> { err.println("unknown option " + a + "; usage: --spam DIR --ham DIR --db FILE"); return 2; }
            }
        }
        if (db == null || (spam == null && ham == null)) {
            err.println("usage: --spam DIR --ham DIR --db FILE");
            return 2;
        }
        BayesFilter filter = new BayesFilter(TokenStore.load(db), MapConfig.EMPTY, db, false);
        Counts c = new Trainer(filter).train(spam, ham);
        TokenStore.Totals t = filter.store().totals();
        out.printf("learnt %d spam and %d ham; %s now holds %d spam, %d ham, %d tokens%n", c.spam(), c.ham(), db, t.spam(), t.ham(), t.tokens());
        return 0;
    }
}

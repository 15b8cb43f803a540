package io.herald.plugin.spambayes;

import io.herald.api.spam.SpamVerdict;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The repeatable accuracy evaluation on the SpamAssassin corpus (docs/spam-filtering.md).
 *
 * <p>Split: each of the four labelled folders ({@code spam/spam}, {@code spam/spam_2}, {@code ham/easy_ham},
 * {@code ham/hard_ham}) is sorted by name, shuffled with {@code new Random(42)}, and cut 70 % train / 30 % test
 * (stratified by folder). Choices (tokenizer, classifier settings, the junk cut-off) are made on 5-fold
 * cross-validation inside the training part ({@link #crossValidate}); the older single validation split (the last
 * 20 % of each folder's training part) is still available. The test figures come from training on the whole training
 * part and scoring the test part once.
 */
public final class BayesEvaluation {

    static final long SEED = 42;
    /** Dealings of the training part into cross-validation folds whose mean is printed (choices are made on it). */
    static final int DEALINGS = 5;
    static final String[][] FOLDERS = {
            {"spam/spamassassin/spam", "spam"}, {"spam/spamassassin/spam_2", "spam"},
            {"ham/spamassassin/easy_ham", "ham"}, {"ham/spamassassin/hard_ham", "ham"}};

    /** The parts of one folder. */
    record Parts(String folder, boolean spam, List<Path> train, List<Path> validation, List<Path> test) {
        List<Path> trainMinusValidation() {
            return train.subList(0, train.size() - validation.size());
        }
    }

    static List<Parts> split(Path corpus, double trainShare, int limitPerFolder) throws IOException {
        List<Parts> out = new ArrayList<>();
        for (String[] f : FOLDERS) {
            List<Path> files = new ArrayList<>(Trainer.files(corpus.resolve(f[0])));
            Collections.shuffle(files, new Random(SEED));
            if (limitPerFolder > 0 && files.size() > limitPerFolder) files = files.subList(0, limitPerFolder);
            int nTrain = (int) Math.round(files.size() * trainShare);
            List<Path> train = List.copyOf(files.subList(0, nTrain));
            List<Path> test = List.copyOf(files.subList(nTrain, files.size()));
            List<Path> validation = List.copyOf(train.subList(train.size() - (int) Math.round(train.size() * 0.2), train.size()));
            out.add(new Parts(f[0], f[1].equals("spam"), train, validation, test));
        }
        return out;
    }

    /** Counts at one decision rule. */
    record Confusion(int tp, int fn, int fp, int tn, int hardHam, int hardHamFp) {
        double precision() { return tp + fp == 0 ? 1 : (double) tp / (tp + fp); }
        double recall() { return tp + fn == 0 ? 0 : (double) tp / (tp + fn); }
        double fpRate() { return fp + tn == 0 ? 0 : (double) fp / (fp + tn); }

        String line(String label) {
            return String.format(Locale.ROOT, "%-26s spam caught %4d/%-4d recall %6.2f%%  ham flagged %2d/%-4d FP rate %5.2f%%  precision %6.2f%%  (hard_ham FP %d/%d)",
                    label, tp, tp + fn, 100 * recall(), fp, fp + tn, 100 * fpRate(), 100 * precision(), hardHamFp, hardHam);
        }
    }

    record Scored(boolean spam, boolean hard, double probability, double score, Path file) { }

    /** Trains a fresh filter on {@code train} parts and scores the {@code eval} parts. */
    static List<Scored> trainAndScore(List<Parts> parts, boolean validation) throws IOException {
        BayesFilter filter = new BayesFilter(new TokenStore(), MapConfig.of(Map.of("min.spam", "0", "min.ham", "0")), null, true);
        Trainer trainer = new Trainer(filter);
        for (Parts p : parts) trainer.learnAll(validation ? p.trainMinusValidation() : p.train(), p.spam());
        ScoreBands bands = ScoreBands.parse(ScoreBands.DEFAULT);
        List<Scored> out = new ArrayList<>();
        for (Parts p : parts) {
            for (Path f : validation ? p.validation() : p.test()) {
                double prob = filter.probability(Trainer.file(f));
                SpamVerdict.Reason r = bands.reason(prob);
                out.add(new Scored(p.spam(), p.folder().endsWith("hard_ham"), prob, r.score(), f));
            }
        }
        return out;
    }

    /** The features of every training message, tokenized once for all folds and dealings. */
    static Map<Path, java.util.Set<String>> tokenizeTraining(List<Parts> parts) throws IOException {
        Tokenizer tokenizer = new Tokenizer();
        Map<Path, java.util.Set<String>> tokens = new java.util.HashMap<>();
        for (Parts p : parts) {
            for (Path f : p.train()) {
                try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(f), 1 << 16)) {
                    tokens.put(f, tokenizer.tokenize(in));
                }
            }
        }
        return tokens;
    }

    /**
     * {@code k}-fold cross-validation inside the training part only (the test part is never read): each folder's
     * training list (already shuffled) is dealt into {@code k} folds by position; each fold is scored by a store
     * trained on the other {@code k - 1}. Dealing 0 puts the message at position {@code i} into fold {@code i % k};
     * dealing {@code d > 0} first shuffles the positions with {@code new Random(d)}, so that several dealings show how
     * much a figure depends on which messages happen to be trained together. Used to choose tokenizer and classifier
     * settings and cut-offs without looking at the test part.
     */
    static List<Scored> crossValidate(List<Parts> parts, Map<Path, java.util.Set<String>> tokens, int k, long dealing) {
        Map<Path, Integer> foldOf = new java.util.HashMap<>();
        for (Parts p : parts) {
            List<Integer> positions = new ArrayList<>();
            for (int i = 0; i < p.train().size(); i++) positions.add(i);
            if (dealing != 0) Collections.shuffle(positions, new Random(dealing));
            for (int i = 0; i < positions.size(); i++) foldOf.put(p.train().get(positions.get(i)), i % k);
        }
        ScoreBands bands = ScoreBands.parse(ScoreBands.DEFAULT);
        List<Scored> out = new ArrayList<>();
        for (int fold = 0; fold < k; fold++) {
            TokenStore store = new TokenStore();
            for (Parts p : parts) {
                for (Path f : p.train()) if (foldOf.get(f) != fold) store.add(tokens.get(f), p.spam(), +1);
            }
            Classifier classifier = new Classifier(store);
            for (Parts p : parts) {
                for (Path f : p.train()) {
                    if (foldOf.get(f) != fold) continue;
                    double prob = classifier.classify(tokens.get(f)).probability();
                    out.add(new Scored(p.spam(), p.folder().endsWith("hard_ham"), prob, bands.reason(prob).score(), f));
                }
            }
        }
        return out;
    }

    /** The mean over several cross-validation dealings at each rule of {@link #printTable}. */
    static void printMeanTable(List<List<Scored>> dealings, PrintStream out) {
        out.println(meanLine(dealings, s -> s.score() >= 5.0, "score >= 5.0 (junk)"));
        for (double cut : CUTS) out.println(meanLine(dealings, s -> s.probability() >= cut, "probability >= " + cut));
    }

    private static String meanLine(List<List<Scored>> dealings, java.util.function.Predicate<Scored> flagged, String label) {
        double tp = 0, spam = 0, fp = 0, ham = 0;
        for (List<Scored> d : dealings) {
            Confusion c = confusion(d, flagged);
            tp += c.tp(); spam += c.tp() + c.fn(); fp += c.fp(); ham += c.fp() + c.tn();
        }
        int n = dealings.size();
        return String.format(Locale.ROOT, "%-26s spam caught %6.1f/%-4.0f recall %6.2f%%  ham flagged %4.1f/%-4.0f FP rate %5.2f%%",
                label, tp / n, spam / n, 100 * tp / spam, fp / n, ham / n, 100 * fp / ham);
    }

    /** The probability cut-offs every table shows besides the junk rule. */
    static final double[] CUTS = {0.5, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.998, 0.999};

    static void printTable(List<Scored> scored, PrintStream out) {
        out.println(confusion(scored, s -> s.score() >= 5.0).line("score >= 5.0 (junk)"));
        for (double cut : CUTS) {
            out.println(confusion(scored, s -> s.probability() >= cut).line("probability >= " + cut));
        }
    }

    static Confusion confusion(List<Scored> scored, java.util.function.Predicate<Scored> flagged) {
        int tp = 0, fn = 0, fp = 0, tn = 0, hard = 0, hardFp = 0;
        for (Scored s : scored) {
            boolean f = flagged.test(s);
            if (s.spam()) { if (f) tp++; else fn++; }
            else {
                if (f) fp++; else tn++;
                if (s.hard()) { hard++; if (f) hardFp++; }
            }
        }
        return new Confusion(tp, fn, fp, tn, hard, hardFp);
    }

    /**
     * Runs 5-fold cross-validation inside the training part (where the cut-off was chosen: the mean over
     * {@link #DEALINGS} dealings), then trains on the whole
     * training part and scores the test part once. {@code -Dherald.eval.split=cv} runs only the cross-validation and
     * {@code -Dherald.eval.split=validation} only the single validation split: both never read the test part, for
     * trying changes. Returns the confusion at the default junk threshold (score ≥ 5.0) of the last table printed.
     */
    public static Confusion run(Path corpus, PrintStream out, Path splitDir) throws IOException {
        long t0 = System.nanoTime();
        List<Parts> parts = split(corpus, 0.7, 0);
        for (Parts p : parts) {
            out.printf(Locale.ROOT, "%-28s train %4d (validation %3d of them)  test %4d%n", p.folder(), p.train().size(), p.validation().size(), p.test().size());
        }
        String mode = System.getProperty("herald.eval.split", "");
        List<Scored> scored;
        if (mode.equals("validation")) {
            scored = trainAndScore(parts, true);
            out.println("-- validation (train on 80% of the training part, score the other 20%)");
            printTable(scored, out);
            printMisses(scored, "validation", out);
        } else {
            Map<Path, java.util.Set<String>> tokens = tokenizeTraining(parts);
            scored = crossValidate(parts, tokens, 5, 0);
            out.println("-- 5-fold cross-validation inside the training part (the test part is not read), dealing 0");
            printTable(scored, out);
            printMisses(scored, "cv", out);
            List<List<Scored>> dealings = new ArrayList<>(List.of(scored));
            for (int d = 1; d < DEALINGS; d++) dealings.add(crossValidate(parts, tokens, 5, d));
            out.println("-- the same, mean over " + DEALINGS + " dealings into folds (0.." + (DEALINGS - 1) + ")");
            printMeanTable(dealings, out);
            if (!mode.equals("cv")) {
                scored = trainAndScore(parts, false);
                out.println("-- test (train on the whole training part, score the test part)");
                printTable(scored, out);
                if (splitDir != null) {
                    Files.createDirectories(splitDir);
                    List<String> lines = new ArrayList<>();
                    for (Scored s : scored) lines.add((s.spam() ? "spam" : "ham") + "\t" + String.format(Locale.ROOT, "%.4f", s.probability()) + "\t" + s.file());
                    Files.write(splitDir.resolve("test-split.tsv"), lines);
                    out.println("test split with probabilities written to " + splitDir.resolve("test-split.tsv"));
                }
            }
        }
        out.printf(Locale.ROOT, "evaluation took %.1f s%n", (System.nanoTime() - t0) / 1e9);
        return confusion(scored, s -> s.score() >= 5.0);
    }

    private static void printMisses(List<Scored> scored, String label, PrintStream out) {
        for (Scored s : scored) {
            if ((s.score() >= 5.0) != s.spam()) out.printf(Locale.ROOT, "   %s miss: %s p=%.4f %s%n", label, s.spam() ? "spam" : "ham", s.probability(), s.file().getFileName());
        }
    }

    public static void main(String[] args) throws IOException {
        Path corpus = Path.of(args.length > 0 ? args[0] : System.getProperty("herald.corpus", "../../../shared/corpus"));
        run(corpus, System.out, Path.of("target/spam-eval"));
    }
}

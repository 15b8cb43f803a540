package io.herald.plugin.spambayes;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Gary Robinson's token probabilities combined with Fisher's chi-square method (as in SpamBayes):
 *
 * <ul>
 *   <li>per token, {@code p = (s/S) / (s/S + h/H)} from its spam/ham message counts {@code s, h} and the totals
 *       {@code S, H}; smoothed towards {@link #UNKNOWN} with strength {@link #STRENGTH}:
 *       {@code f = (STRENGTH·UNKNOWN + n·p) / (STRENGTH + n)}, {@code n = s + h};</li>
 *   <li>only the {@link #MAX_CLUES} tokens furthest from 0.5 count, and none closer than {@link #MIN_DISTANCE};</li>
 *   <li>{@code S = 1 − C⁻¹(−2 Σ ln(1−f), 2n)}, {@code H = 1 − C⁻¹(−2 Σ ln f, 2n)}, spam probability
 *       {@code (1 + S − H) / 2}: near 1 for spam, near 0 for ham, near 0.5 when unsure.</li>
 * </ul>
 */
public final class Classifier {

    static final double UNKNOWN = 0.5;
    static final double STRENGTH = 0.45;
    static final double MIN_DISTANCE = 0.1;
    static final int MAX_CLUES = 300;

    /** One token that counted, with its probability. */
    public record Clue(String token, double probability) { }

    /** @param probability spam probability 0..1; @param clues the tokens that counted, strongest first */
    public record Result(double probability, List<Clue> clues) { }

    private final TokenStore store;
    private final double strength;
    private final double unknown;
    private final double minDistance;
    private final int maxClues;

    public Classifier(TokenStore store) {
        this(store, STRENGTH, UNKNOWN, MIN_DISTANCE, MAX_CLUES);
    }

    Classifier(TokenStore store, double strength, double unknown, double minDistance, int maxClues) {
        this.store = store;
        this.strength = strength;
        this.unknown = unknown;
        this.minDistance = minDistance;
        this.maxClues = maxClues;
    }

    public Result classify(Collection<String> tokens) {
        List<Clue> clues = new ArrayList<>();
        store.read(tokens, new TokenStore.CountVisitor() {
            int spamTotal, hamTotal;

            @Override public void totals(int spamMessages, int hamMessages) {
                spamTotal = Math.max(spamMessages, 1);
                hamTotal = Math.max(hamMessages, 1);
            }

            @Override public void token(String token, int spam, int ham) {
                int n = spam + ham;
                if (n == 0) return;
                double sr = Math.min(1.0, (double) spam / spamTotal);
                double hr = Math.min(1.0, (double) ham / hamTotal);
                double p = sr / (sr + hr);
                double f = (strength * unknown + n * p) / (strength + n);
                if (Math.abs(f - 0.5) >= minDistance) clues.add(new Clue(token, f));
            }
        });
        clues.sort((a, b) -> Double.compare(Math.abs(b.probability() - 0.5), Math.abs(a.probability() - 0.5)));
        List<Clue> used = clues.size() > maxClues ? List.copyOf(clues.subList(0, maxClues)) : List.copyOf(clues);
        if (used.isEmpty()) return new Result(0.5, used);
        double lnSpam = 0, lnHam = 0;
        for (Clue c : used) {
            lnHam += Math.log(c.probability());
            lnSpam += Math.log(1.0 - c.probability());
        }
        int v = 2 * used.size();
        double s = 1.0 - chi2Q(-2.0 * lnSpam, v);
        double h = 1.0 - chi2Q(-2.0 * lnHam, v);
        return new Result((s - h + 1.0) / 2.0, used);
    }

    /** The probability that a chi-square variable with {@code v} (even) degrees of freedom is at least {@code x2}. */
    static double chi2Q(double x2, int v) {
        double m = x2 / 2.0;
        if (m <= 0) return 1.0;
        // sum of e^-m m^i / i! for i < v/2, in log space so that large m does not underflow early
        double lnM = Math.log(m);
        double sum = 0, lnTerm = -m;
        for (int i = 0; i < v / 2; i++) {
            if (i > 0) lnTerm += lnM - Math.log(i);
            sum += Math.exp(lnTerm);
        }
        return Math.min(sum, 1.0);
    }
}

package io.herald.plugin.spambayes;

import io.herald.api.config.Configuration;
import io.herald.api.spam.SpamVerdict.Reason;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Maps a spam probability to a score contribution, SpamAssassin style: the highest band whose lower bound the
 * probability reaches gives its reason, e.g. {@code BAYES_98 +6.0}. Configured as {@code bands = 0.98:6.0, 0.95:3.0, …}
 * (lower bound : score); a band is named {@code BAYES_} and the decimals of its bound, at least two and without
 * trailing zeros ({@code 0.999} is {@code BAYES_999}, {@code 0.5} is {@code BAYES_50}, as SpamAssassin names them).
 */
public record ScoreBands(List<Band> bands) {

    public record Band(double from, double score, String name) { }

    /**
     * The default bands. {@code BAYES_98} (6.0) and {@code BAYES_999} (8.0) reach the default junk threshold (5.0)
     * alone: p ≥ 0.98 was chosen by 5-fold cross-validation inside the evaluation's training part (the mean over five
     * dealings into folds) as the lowest cut-off whose false-positive rate stays at or below 0.35 % of ham, a margin
     * under the 0.5 % goal (docs/spam-filtering.md); {@code BAYES_95} (3.0) junks together with another filter's
     * points.
     */
    public static final String DEFAULT = "0.999:8.0, 0.98:6.0, 0.95:3.0, 0.80:2.0, 0.50:0.5, 0.20:0.0, 0.05:-1.0, 0.00:-2.0";

    public ScoreBands {
        bands = bands.stream().sorted(Comparator.comparingDouble(Band::from).reversed()).toList();
    }

    public static ScoreBands parse(String spec) {
        List<Band> out = new ArrayList<>();
        for (String item : spec.split(",")) {
            if (item.isBlank()) continue;
            String[] kv = item.trim().split(":");
            if (kv.length != 2) throw new IllegalArgumentException(item.trim());
            double from = Double.parseDouble(kv[0].trim());
            double score = Double.parseDouble(kv[1].trim());
            if (from < 0 || from > 1 || !Double.isFinite(score)) throw new IllegalArgumentException(item.trim());
            out.add(new Band(from, score, name(from)));
        }
        if (out.stream().noneMatch(b -> b.from() == 0.0)) throw new IllegalArgumentException("no band starts at 0.00");
        return new ScoreBands(out);
    }

    /** {@code BAYES_} and the decimals of {@code from}: 0.999 → BAYES_999, 0.99 → BAYES_99, 0.5 → BAYES_50, 0 → BAYES_00. */
    static String name(double from) {
        if (from >= 1.0) return "BAYES_100";
        String digits = new java.math.BigDecimal(Double.toString(from)).setScale(4, java.math.RoundingMode.FLOOR)
                .stripTrailingZeros().toPlainString();
        int dot = digits.indexOf('.');
        String decimals = dot < 0 ? "" : digits.substring(dot + 1);
        while (decimals.length() < 2) decimals += "0";
        return "BAYES_" + decimals;
    }

    /** 0.9957 → "99.5", 0.97 → "97", 0 → "0" (rounded down: a probability below 1 never shows as 100). */
    private static String percent(double p) {
        return new java.math.BigDecimal(p * 100).setScale(1, java.math.RoundingMode.FLOOR).stripTrailingZeros().toPlainString();
    }

    public static ScoreBands from(Configuration config) {
        String spec = config.get("bands", DEFAULT);
        try {
            return parse(spec);
        } catch (IllegalArgumentException e) {
            throw config.invalid("bands", spec, "a list of probability:score bands such as " + DEFAULT);
        }
    }

    public Reason reason(double probability) {
        for (Band b : bands) {
            if (probability >= b.from()) {
                return new Reason(b.name(), b.score(), String.format(Locale.ROOT,
                        "Bayes spam probability is %s%% (band from %s%%)", percent(probability), percent(b.from())));
            }
        }
        throw new IllegalStateException("no band for " + probability);
    }
}

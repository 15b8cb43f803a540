package io.herald.plugin.spambayes;

import io.herald.api.config.Configuration;
import io.herald.api.spam.SpamVerdict.Reason;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * Maps a spam probability to a score contribution, SpamAssassin style: the highest band whose lower bound the
 * probability reaches gives its reason, e.g. {@code BAYES_99 +8.0}. Configured as {@code bands = 0.99:8.0, 0.95:4.0, …}
 * (lower bound : score); a band is named {@code BAYES_} and the two first digits of its bound.
 */
public record ScoreBands(List<Band> bands) {

    public record Band(double from, double score, String name) { }

    public static final String DEFAULT = "0.99:8.0, 0.95:4.0, 0.80:2.0, 0.50:0.5, 0.20:0.0, 0.05:-1.0, 0.00:-2.0";

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
            out.add(new Band(from, score, String.format(Locale.ROOT, "BAYES_%02d", (int) Math.floor(from * 100 + 1e-9))));
        }
        if (out.stream().noneMatch(b -> b.from() == 0.0)) throw new IllegalArgumentException("no band starts at 0.00");
        return new ScoreBands(out);
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
                int pct = (int) Math.round(probability * 100);
                return new Reason(b.name(), b.score(), String.format(Locale.ROOT,
                        "Bayes spam probability is %d%% (band from %.0f%%)", pct, b.from() * 100));
            }
        }
        throw new IllegalStateException("no band for " + probability);
    }
}

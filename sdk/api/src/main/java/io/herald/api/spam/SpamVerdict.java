package io.herald.api.spam;

import java.util.List;
import java.util.Objects;

/**
 * What one {@link SpamFilter} thinks of a message.
 *
 * @param score   the filter's total contribution (positive: spammy, negative: hammy)
 * @param reasons the named tests that fired, each with its share of the score
 */
public record SpamVerdict(double score, List<Reason> reasons) {

    /** No opinion: score 0, no reasons. */
    public static final SpamVerdict NONE = new SpamVerdict(0.0, List.of());

    public SpamVerdict {
        if (!Double.isFinite(score)) throw new IllegalArgumentException("score must be finite: " + score);
        reasons = List.copyOf(reasons);
    }

    /** A verdict whose score is the sum of its reasons' scores. */
    public static SpamVerdict of(List<Reason> reasons) {
        double sum = 0;
        for (Reason r : reasons) sum += r.score();
        return new SpamVerdict(sum, reasons);
    }

    public static SpamVerdict of(Reason... reasons) {
        return of(List.of(reasons));
    }

    /**
     * One test that fired.
     *
     * @param name        upper-case rule name as shown in {@code X-Spam-Status tests=}, e.g. {@code BAYES_99}
     * @param score       its contribution
     * @param description one line for people, e.g. {@code Bayes spam probability is 99 to 100%}
     */
    public record Reason(String name, double score, String description) {
        public Reason {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(description, "description");
            if (name.isEmpty() || !name.chars().allMatch(c -> (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
                throw new IllegalArgumentException("a reason name is upper-case letters, digits and _: " + name);
            if (!Double.isFinite(score)) throw new IllegalArgumentException("score must be finite: " + score);
        }
    }
}

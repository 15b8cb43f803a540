package io.herald.api.spam;

import io.herald.api.smtp.HeaderField;

import java.util.List;
import java.util.Objects;

/**
 * What one {@link SpamFilter} thinks of a message.
 *
 * @param score   the filter's total contribution (positive: spammy, negative: hammy)
 * @param reasons the named tests that fired, each with its share of the score
 * @param headers  header fields this filter asks the hop to add with its verdict, e.g. {@code Authentication-Results}
 *                 (RFC 8601); added at the top of the message with {@code X-Spam-Status}, only when the filter was
 *                 not skipped (since 1.1)
 */
public record SpamVerdict(double score, List<Reason> reasons, List<HeaderField> headers) {

    /** No opinion: score 0, no reasons. */
    public static final SpamVerdict NONE = new SpamVerdict(0.0, List.of());

    public SpamVerdict {
        if (!Double.isFinite(score)) throw new IllegalArgumentException("score must be finite: " + score);
        reasons = List.copyOf(reasons);
        headers = List.copyOf(headers);
    }

    /** A verdict that adds no header field. */
    public SpamVerdict(double score, List<Reason> reasons) {
        this(score, reasons, List.of());
    }

    /** The same verdict, adding these header fields (since 1.1). */
    public SpamVerdict withHeaders(List<HeaderField> fields) {
        return new SpamVerdict(score, reasons, fields);
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

package io.herald.api.spam;

import java.time.Duration;
import java.util.Optional;

/**
 * Scores one received message. All filters run for every message (on every hop, while the sending client waits
 * for the reply to the end of DATA); the core adds their {@link SpamVerdict#score() scores} and compares the sum
 * with its thresholds (configuration pid {@code spam}: {@code junk}, {@code reject}).
 *
 * <p>Conventions, as in SpamAssassin: a positive contribution means "looks like spam", a negative one "looks like
 * ham"; 5 points is the default junk threshold, 15 the default reject threshold.
 *
 * <p><b>Failure policy: fail open.</b> A filter that throws, or that has not answered within its
 * {@link #timeLimit()} (or the core's {@code filter.timeout}), is skipped: its score counts as 0, a warning is
 * logged and the {@code X-Spam-Status} header names it under {@code skipped=}. A filter is called concurrently
 * for different messages and must be thread-safe. It may be interrupted when it runs out of time.
 */
@org.osgi.annotation.versioning.ConsumerType
public interface SpamFilter {

    /** A short name for logs and the {@code skipped=} list; letters, digits, {@code -} and {@code _}. */
    default String name() {
        return getClass().getSimpleName();
    }

    /** Order in which results are listed (lower first); filters run concurrently, so order never changes a score. */
    default int priority() {
        return 100;
    }

    /** This filter's own time limit; empty means the core's {@code filter.timeout}. The core's limit is an upper bound. */
    default Optional<Duration> timeLimit() {
        return Optional.empty();
    }

    /**
     * Scores a message. Read the message with {@link SpamCheck#message()}{@code .open()} (streamed; never assume it
     * fits in memory) and the header fields with {@link SpamCheck#headers()}.
     *
     * @return the score and the reasons for it; {@link SpamVerdict#NONE} when the filter has no opinion
     * @throws Exception any failure: the filter is skipped for this message (fail open)
     */
    SpamVerdict score(SpamCheck check) throws Exception;
}

package io.herald.api.notify;

import java.time.Duration;
import java.util.Optional;

/**
 * Thrown by {@link NotificationSink#onEvent} for "not delivered now, try again": the receiver did not answer in
 * time, refused the connection, or answered with a temporary failure (HTTP 5xx, 429). The core tries the event
 * again after the sink's back-off ({@link DeliveryPolicy}), or after {@link #after()} when the receiver said when
 * (HTTP {@code Retry-After}), capped at the policy's largest back-off.
 */
public final class RetryLaterException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient Duration after;

    /** Retry after the policy's back-off. */
    public RetryLaterException(String reason, Throwable cause) {
        this(reason, null, cause);
    }

    /** Retry after the policy's back-off. */
    public RetryLaterException(String reason) {
        this(reason, null, null);
    }

    /**
     * @param after when the receiver asked to be tried again (null: the policy's back-off)
     */
    public RetryLaterException(String reason, Duration after, Throwable cause) {
        super(reason, cause);
        if (after != null && after.isNegative()) throw new IllegalArgumentException("negative retry delay " + after);
        this.after = after;
    }

    /** When the receiver asked to be tried again, if it did. */
    public Optional<Duration> after() {
        return Optional.ofNullable(after);
    }
}

package io.herald.api.notify;

import io.herald.api.config.Configuration;
import io.herald.api.config.ConfigurationException;

import java.time.Duration;

/**
 * How the core delivers events to one {@link NotificationSink}: the size of its queue and its retry schedule.
 * Attempt {@code n} (from 2) waits {@code firstRetry * 2^(n-2)}, at most {@code maxRetry}.
 *
 * @param queueCapacity events waiting for this sink (queued plus waiting for a retry); more are dropped and counted
 * @param maxAttempts   attempts per event, the first included (1: never retry)
 * @param firstRetry    the wait before the second attempt
 * @param maxRetry      the longest wait between two attempts
 * @param concurrency   events this sink is given at the same time, each on a worker thread of its own (1: one at a
 *                      time, in the order published; more: for receivers that answer slowly, in no guaranteed order)
 */
public record DeliveryPolicy(int queueCapacity, int maxAttempts, Duration firstRetry, Duration maxRetry, int concurrency) {

    /** 10,000 events, 6 attempts, back-off from 1 s doubling up to 5 min (1, 2, 4, 8, 16 s: the last attempt 31 s after the first). */
    public static final DeliveryPolicy DEFAULT = new DeliveryPolicy(10_000, 6, Duration.ofSeconds(1), Duration.ofMinutes(5), 1);

    /** For in-process sinks such as IMAP IDLE: a queue of 10,000, never retried, one at a time in order. */
    public static final DeliveryPolicy IN_PROCESS = new DeliveryPolicy(10_000, 1, Duration.ofSeconds(1), Duration.ofSeconds(1), 1);

    public DeliveryPolicy {
        if (queueCapacity < 1) throw new IllegalArgumentException("queueCapacity must be at least 1, not " + queueCapacity);
        if (maxAttempts < 1) throw new IllegalArgumentException("maxAttempts must be at least 1, not " + maxAttempts);
        if (firstRetry.isNegative() || firstRetry.isZero()) throw new IllegalArgumentException("firstRetry must be positive: " + firstRetry);
        if (maxRetry.compareTo(firstRetry) < 0) throw new IllegalArgumentException("maxRetry " + maxRetry + " is shorter than firstRetry " + firstRetry);
        if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
            throw new IllegalArgumentException("concurrency must be from 1 to " + MAX_CONCURRENCY + ", not " + concurrency);
        }
    }

    /** The most worker threads one sink may ask for. */
    public static final int MAX_CONCURRENCY = 64;

    /** {@link #from(Configuration, DeliveryPolicy)} with {@link #DEFAULT} for missing keys. */
    public static DeliveryPolicy from(Configuration config) {
        return from(config, DEFAULT);
    }

    /**
     * The policy from a plugin's configuration, with {@code defaults} for missing keys: {@code queue} (1 to
     * 1,000,000), {@code attempts} (1 to 100), {@code retry.first} and {@code retry.max} (durations such as
     * {@code 1s}, {@code 5m}), {@code concurrency} (1 to {@value #MAX_CONCURRENCY}).
     *
     * @throws ConfigurationException naming the key, the value and what is allowed
     */
    public static DeliveryPolicy from(Configuration config, DeliveryPolicy defaults) {
        int queue = config.getInt("queue", defaults.queueCapacity, 1, 1_000_000);
        int attempts = config.getInt("attempts", defaults.maxAttempts, 1, 100);
        Duration first = config.getDuration("retry.first", defaults.firstRetry);
        Duration max = config.getDuration("retry.max", defaults.maxRetry);
        int concurrency = config.getInt("concurrency", defaults.concurrency, 1, MAX_CONCURRENCY);
        if (first.isZero() || first.isNegative()) {
            throw config.invalid("retry.first", config.get("retry.first", ""), "a positive duration (e.g. 1s)");
        }
        if (max.compareTo(first) < 0) {
            throw config.invalid("retry.max", config.get("retry.max", ""), "a duration no shorter than retry.first (" + first.toMillis() + "ms)");
        }
        return new DeliveryPolicy(queue, attempts, first, max, concurrency);
    }

    /** This policy with another concurrency. */
    public DeliveryPolicy withConcurrency(int n) {
        return new DeliveryPolicy(queueCapacity, maxAttempts, firstRetry, maxRetry, n);
    }

    /** The wait before attempt {@code attempt} (2 or more). */
    public Duration backoff(int attempt) {
        if (attempt < 2) return Duration.ZERO;
        Duration d = firstRetry;
        for (int i = 2; i < attempt && d.compareTo(maxRetry) < 0; i++) d = d.multipliedBy(2);
        return d.compareTo(maxRetry) > 0 ? maxRetry : d;
    }
}

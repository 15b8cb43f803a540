package io.herald.queue;

import io.herald.api.config.Configuration;

import java.time.Duration;

/**
 * Settings of the queue and of local delivery (pid {@code queue}, file {@code conf/queue.cfg}).
 *
 * @param retryInitial    the first retry delay after a temporary failure ({@code retry.initial}, default 30s)
 * @param retryMax        the longest retry delay; delays double up to it ({@code retry.max}, default 1h)
 * @param giveUpAfter     a recipient still deferred this long after arrival fails permanently
 *                        ({@code giveUpAfter}, default 5d; RFC 5321 §4.5.4.1 suggests at least 4-5 days)
 * @param deliveryThreads threads that deliver queue entries ({@code delivery.threads}, default 8: deliveries at the
 *                        same time share the mailbox store's forces; see docs/benchmarks.md)
 * @param syncThreads     threads that force files of one commit batch concurrently ({@code sync.threads}, default 8)
 * @param minFreeSpace    octets that must stay free on the queue's file system: with less (plus the SIZE a client
 *                        announces) MAIL is answered {@code 452 4.3.1} (RFC 1870 §6.1), so a filling disk refuses new
 *                        mail before a write fails half-way ({@code minFreeSpace}, default 33554432 = 32 MiB; 0 = no check)
 * @param routerTimeout   the time limit of one router call at delivery time ({@code delivery.routerTimeout}, default
 *                        10s, like the SMTP listeners' {@code hookTimeout}); a router that does not answer in time
 *                        defers the recipient
 */
public record QueueSettings(Duration retryInitial, Duration retryMax, Duration giveUpAfter, int deliveryThreads,
                            int syncThreads, long minFreeSpace, Duration routerTimeout) {

    public static final Duration DEFAULT_ROUTER_TIMEOUT = Duration.ofSeconds(10);

    /** With the default {@link #routerTimeout()}. */
    public QueueSettings(Duration retryInitial, Duration retryMax, Duration giveUpAfter, int deliveryThreads, int syncThreads,
                         long minFreeSpace) {
        this(retryInitial, retryMax, giveUpAfter, deliveryThreads, syncThreads, minFreeSpace, DEFAULT_ROUTER_TIMEOUT);
    }

    public static final String PID = "queue";

    public QueueSettings {
        if (retryInitial.isNegative() || retryInitial.isZero()) throw new IllegalArgumentException("retry.initial must be positive");
        if (retryMax.compareTo(retryInitial) < 0) throw new IllegalArgumentException("retry.max must be >= retry.initial");
        if (deliveryThreads < 1 || syncThreads < 1) throw new IllegalArgumentException("thread counts must be >= 1");
        if (minFreeSpace < 0) throw new IllegalArgumentException("minFreeSpace must be >= 0");
        if (routerTimeout.isNegative() || routerTimeout.isZero()) throw new IllegalArgumentException("delivery.routerTimeout must be positive");
    }

    public static QueueSettings defaults() {
        return new QueueSettings(Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofDays(5), 8, 8, 32L << 20);
    }

    /** Reads {@code conf/queue.cfg}; a wrong value is refused naming the file, key, value and what is allowed. */
    public static QueueSettings from(Configuration c) {
        QueueSettings d = defaults();
        Duration initial = c.getDuration("retry.initial", d.retryInitial());
        if (initial.isZero()) throw c.invalid("retry.initial", c.get("retry.initial").orElse(""), "a positive duration");
        Duration max = c.getDuration("retry.max", d.retryMax());
        if (max.compareTo(initial) < 0) throw c.invalid("retry.max", c.get("retry.max").orElse(""), "a duration not shorter than retry.initial");
        Duration routerTimeout = c.getDuration("delivery.routerTimeout", d.routerTimeout());
        if (routerTimeout.isZero() || routerTimeout.isNegative()) {
            throw c.invalid("delivery.routerTimeout", c.get("delivery.routerTimeout").orElse(""), "a positive duration");
        }
        return new QueueSettings(initial, max, c.getDuration("giveUpAfter", d.giveUpAfter()),
                c.getInt("delivery.threads", d.deliveryThreads(), 1, 256),
                c.getInt("sync.threads", d.syncThreads(), 1, 256),
                c.getLong("minFreeSpace", d.minFreeSpace(), 0, Long.MAX_VALUE), routerTimeout);
    }

    /** The delay before retry number {@code attempts} (1 = after the first failure): doubling, capped. */
    public Duration retryDelay(int attempts) {
        Duration d = retryInitial;
        for (int i = 1; i < attempts && d.compareTo(retryMax) < 0; i++) d = d.multipliedBy(2);
        return d.compareTo(retryMax) > 0 ? retryMax : d;
    }
}

package io.herald.notify;

/**
 * What one notification sink's channel has done since it was registered.
 *
 * @param plugin      the plugin that contributed the sink ({@code core} for the core's own)
 * @param sink        the sink's {@linkplain io.herald.api.notify.NotificationSink#name() name}
 * @param queued      events waiting for a first attempt now
 * @param retrying    events waiting for a retry now
 * @param delivered   events the sink took (returned normally), first attempt or after retries
 * @param retries     attempts that asked for a retry ({@link io.herald.api.notify.RetryLaterException})
 * @param givenUp     events given up: the sink threw another exception, or the last attempt asked for a retry
 * @param dropped     events never attempted: the queue was full, or the sink was withdrawn before it got them
 * @param notAccepted events the sink's filter declined
 * @param lastError   the last failure, or null
 */
public record SinkStats(String plugin, String sink, int queued, int retrying, long delivered, long retries,
                        long givenUp, long dropped, long notAccepted, String lastError) {
}

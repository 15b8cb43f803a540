package io.herald.queue;

/**
 * Counters of a queue since it was started.
 *
 * @param committed      messages made durable
 * @param commitFailures commits that failed (the client got 452)
 * @param syncs          directory syncs performed (one per commit batch)
 * @param fileForces     message files forced
 * @param largestBatch   the most commits one directory sync covered
 * @param recovered      entries loaded from disk at start
 * @param corrupt        entries found damaged at start and moved aside
 * @param delivered      recipients delivered
 * @param failed         recipients failed permanently
 * @param deferred       recipient attempts that ended deferred
 * @param entries        entries in the queue now
 */
public record QueueStats(long committed, long commitFailures, long syncs, long fileForces, long largestBatch,
                         long recovered, long corrupt, long delivered, long failed, long deferred, int entries) {

    /** Group commit efficiency: messages made durable per directory sync. */
    public double messagesPerSync() {
        return syncs == 0 ? 0 : (double) committed / syncs;
    }
}

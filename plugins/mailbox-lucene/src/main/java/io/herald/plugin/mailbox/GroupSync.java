package io.herald.plugin.mailbox;

import java.io.IOException;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * Group commit of syncs without a thread of its own (the pattern of the queue's committer, leader-style): a caller
 * adds what it needs synced (a folder, say) to the open batch and waits; the first caller that finds no sync running
 * becomes the leader, closes the batch, syncs every distinct key in it once, and wakes the batch's callers; whoever
 * arrived meanwhile is in the next batch, led by one of them. So concurrent callers share one sync per distinct key
 * and per batch, and each caller returns only after a sync that <em>started after it called</em> has finished:
 * whatever the caller did before calling (a rename into the folder) is covered.
 *
 * <p>Threading: any number of callers. Failure policy: when syncing a key fails, every caller of that batch gets the
 * {@link IOException} (their changes may or may not be durable); the next batch tries again.
 *
 * @param <K> what is synced (equal keys are synced once per batch)
 */
final class GroupSync<K> {

    /** Syncs one key. */
    interface Syncer<K> {
        void sync(K key) throws IOException;
    }

    private static final class Batch<K> {
        final Set<K> keys = new LinkedHashSet<>();
        boolean done;
        IOException failure;
    }

    private final Syncer<K> syncer;
    private final Object lock = new Object();
    private Batch<K> open = new Batch<>();
    private boolean leading;
    private long batches;
    private long requests;

    GroupSync(Syncer<K> syncer) {
        this.syncer = syncer;
    }

    /** Returns once {@code key} was synced by a sync that started after this call. */
    void sync(K key) throws IOException {
        Batch<K> mine;
        synchronized (lock) {
            requests++;
            mine = open;
            mine.keys.add(key);
            while (leading && !mine.done) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for a sync", e);
                }
            }
            if (mine.done) {
                if (mine.failure != null) throw new IOException(mine.failure.getMessage(), mine.failure);
                return;
            }
            // no sync running and ours not done: lead this batch
            leading = true;
            open = new Batch<>();
            batches++;
        }
        IOException failure = null;
        for (K k : mine.keys) {
            try {
                syncer.sync(k);
            } catch (IOException | RuntimeException e) {
                IOException io = e instanceof IOException x ? x : new IOException(e.toString(), e);
                if (failure == null) failure = io; else failure.addSuppressed(io);
            }
        }
        synchronized (lock) {
            mine.failure = failure;
            mine.done = true;
            leading = false;
            lock.notifyAll();
        }
        if (failure != null) throw failure;
    }

    /** Syncs done so far (batches) and calls served; for the log and tests. */
    long[] counts() {
        synchronized (lock) {
            return new long[] {batches, requests};
        }
    }
}

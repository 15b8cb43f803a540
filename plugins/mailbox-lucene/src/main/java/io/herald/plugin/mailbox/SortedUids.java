package io.herald.plugin.mailbox;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.NavigableMap;
import java.util.RandomAccess;

/**
 * Sets of UIDs as ascending, duplicate-free {@code long[]}: what a search computes with, so that its cost follows the
 * number of hits and not the folder size, with no boxed {@code Long} per message. Every operation returns a new
 * array (or one of its arguments) and never changes its arguments.
 */
final class SortedUids {

    static final long[] EMPTY = new long[0];

    private SortedUids() { }

    /** Collects UIDs in any order, with repeats; {@link #sorted()} gives the set. */
    static final class Builder {
        private long[] a = new long[16];
        private int n;

        void add(long uid) {
            if (n == a.length) a = Arrays.copyOf(a, a.length * 2);
            a[n++] = uid;
        }

        /** The collected UIDs ascending, each once. */
        long[] sorted() {
            if (n == 0) return EMPTY;
            long[] out = Arrays.copyOf(a, n);
            Arrays.sort(out);
            int w = 1;
            for (int i = 1; i < out.length; i++) if (out[i] != out[w - 1]) out[w++] = out[i];
            return w == out.length ? out : Arrays.copyOf(out, w);
        }
    }

    /** The keys of a map keyed by UID (a folder's messages), ascending. */
    static long[] keys(NavigableMap<Long, ?> map) {
        Builder b = new Builder();
        for (Long uid : map.keySet()) b.add(uid);
        return b.n == 0 ? EMPTY : Arrays.copyOf(b.a, b.n); // a sorted map's keys: already ascending and distinct
    }

    static long[] intersect(long[] x, long[] y) {
        if (x.length == 0 || y.length == 0) return EMPTY;
        long[] out = new long[Math.min(x.length, y.length)];
        int i = 0, j = 0, n = 0;
        while (i < x.length && j < y.length) {
            if (x[i] < y[j]) i++;
            else if (x[i] > y[j]) j++;
            else {
                out[n++] = x[i++];
                j++;
            }
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    static long[] union(long[] x, long[] y) {
        if (x.length == 0) return y;
        if (y.length == 0) return x;
        long[] out = new long[x.length + y.length];
        int i = 0, j = 0, n = 0;
        while (i < x.length && j < y.length) {
            if (x[i] < y[j]) out[n++] = x[i++];
            else if (x[i] > y[j]) out[n++] = y[j++];
            else {
                out[n++] = x[i++];
                j++;
            }
        }
        while (i < x.length) out[n++] = x[i++];
        while (j < y.length) out[n++] = y[j++];
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** The UIDs of {@code x} not in {@code y}. */
    static long[] minus(long[] x, long[] y) {
        if (x.length == 0 || y.length == 0) return x;
        long[] out = new long[x.length];
        int i = 0, j = 0, n = 0;
        while (i < x.length) {
            while (j < y.length && y[j] < x[i]) j++;
            if (j < y.length && y[j] == x[i]) i++;
            else out[n++] = x[i++];
        }
        return n == out.length ? out : Arrays.copyOf(out, n);
    }

    /** A read-only list view (boxing only the element asked for). */
    static List<Long> asList(long[] uids) {
        return new View(uids);
    }

    private static final class View extends AbstractList<Long> implements RandomAccess {
        private final long[] a;

        View(long[] a) {
            this.a = a;
        }

        @Override
        public Long get(int index) {
            return a[index];
        }

        @Override
        public int size() {
            return a.length;
        }
    }
}

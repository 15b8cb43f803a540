package io.herald.api.mailbox;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A set of UIDs as IMAP writes it ({@code 1:4,7,10:*}). {@code *} is read as "no upper bound" ({@link Long#MAX_VALUE}):
 * the IMAP layer, which knows the folder's largest UID, replaces it where RFC 3501 says {@code n:*} with n above the
 * largest UID still means the largest one. Message sequence numbers are the IMAP session's business, not the store's:
 * it maps them to UIDs before calling.
 *
 * @param ranges non-overlapping, ascending, merged ranges
 */
public record UidSet(List<Range> ranges) {

    /** An inclusive range of UIDs, {@code first <= last}. */
    public record Range(long first, long last) {
        public Range {
            if (first < 1 || last < first) throw new IllegalArgumentException("not a UID range: " + first + ":" + last);
        }
    }

    /** Every UID. */
    public static final UidSet ALL = new UidSet(List.of(new Range(1, Long.MAX_VALUE)));

    public UidSet {
        List<Range> sorted = new ArrayList<>(ranges);
        sorted.sort(Comparator.comparingLong(Range::first));
        List<Range> merged = new ArrayList<>();
        for (Range r : sorted) {
            if (!merged.isEmpty()) {
                Range last = merged.get(merged.size() - 1);
                if (last.last() == Long.MAX_VALUE || r.first() <= last.last() + 1) {
                    merged.set(merged.size() - 1, new Range(last.first(), Math.max(last.last(), r.last())));
                    continue;
                }
            }
            merged.add(r);
        }
        ranges = List.copyOf(merged);
    }

    public static UidSet of(long... uids) {
        List<Range> r = new ArrayList<>();
        for (long u : uids) r.add(new Range(u, u));
        return new UidSet(r);
    }

    public static UidSet of(java.util.Collection<Long> uids) {
        return new UidSet(uids.stream().map(u -> new Range(u, u)).toList());
    }

    public static UidSet range(long first, long last) {
        return new UidSet(List.of(new Range(first, last)));
    }

    /** Parses IMAP's sequence-set syntax over UIDs: {@code 1,3:5,9:*}; ranges may be written backwards ({@code 5:3}). */
    public static UidSet parse(String s) {
        List<Range> out = new ArrayList<>();
        for (String part : s.split(",", -1)) {
            int colon = part.indexOf(':');
            try {
                if (colon < 0) {
                    long u = num(part);
                    out.add(new Range(u, u));
                } else {
                    long a = num(part.substring(0, colon)), b = num(part.substring(colon + 1));
                    out.add(new Range(Math.min(a, b), Math.max(a, b)));
                }
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("not a UID set: " + s, e);
            }
        }
        return new UidSet(out);
    }

    private static long num(String s) {
        if (s.equals("*")) return Long.MAX_VALUE;
        if (s.isEmpty() || !s.chars().allMatch(Character::isDigit)) throw new IllegalArgumentException(s);
        long v = Long.parseLong(s);
        if (v < 1) throw new IllegalArgumentException(s);
        return v;
    }

    public boolean contains(long uid) {
        int lo = 0, hi = ranges.size() - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            Range r = ranges.get(mid);
            if (uid < r.first()) hi = mid - 1;
            else if (uid > r.last()) lo = mid + 1;
            else return true;
        }
        return false;
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Range r : ranges) {
            if (sb.length() > 0) sb.append(',');
            sb.append(r.first());
            if (r.last() != r.first()) sb.append(':').append(r.last() == Long.MAX_VALUE ? "*" : Long.toString(r.last()));
        }
        return sb.toString();
    }
}

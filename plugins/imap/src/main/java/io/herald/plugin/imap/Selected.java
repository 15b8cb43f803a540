package io.herald.plugin.imap;

import io.herald.api.mailbox.StoredMessage;

import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A session's view of its selected folder (RFC 3501 §2.3.1): the UIDs in message-sequence-number order, their
 * flags as last reported to the client, and the messages that are \Recent for this session. The view changes only
 * where the session tells the client (EXISTS, EXPUNGE, FETCH FLAGS), so sequence numbers stay what the client
 * believes between those responses. Only the session's thread touches it.
 */
final class Selected {

    final String folder;
    final boolean readOnly;
    final long uidValidity;
    private long[] uids = new long[64];
    private int size;
    private final Map<Long, Set<String>> flags = new HashMap<>();
    final Set<Long> recent = new HashSet<>();

    Selected(String folder, boolean readOnly, long uidValidity, List<StoredMessage> messages) {
        this.folder = folder;
        this.readOnly = readOnly;
        this.uidValidity = uidValidity;
        for (StoredMessage m : messages) add(m.uid(), m.flags());
    }

    int exists() {
        return size;
    }

    long uid(int msn) {
        return uids[msn - 1];
    }

    long maxUid() {
        return size == 0 ? 0 : uids[size - 1];
    }

    /** The sequence number of a UID, or 0 when it is not in the view. */
    int msn(long uid) {
        int i = Arrays.binarySearch(uids, 0, size, uid);
        return i < 0 ? 0 : i + 1;
    }

    void add(long uid, Set<String> f) {
        if (size == uids.length) uids = Arrays.copyOf(uids, size * 2);
        uids[size++] = uid;
        flags.put(uid, canonical(f));
    }

    /** Removes the message with this sequence number (after an EXPUNGE response for it). */
    void remove(int msn) {
        long uid = uids[msn - 1];
        System.arraycopy(uids, msn, uids, msn - 1, size - msn);
        size--;
        flags.remove(uid);
        recent.remove(uid);
    }

    Set<String> flags(long uid) {
        Set<String> f = flags.get(uid);
        return f == null ? Set.of() : f;
    }

    void flags(long uid, Set<String> f) {
        if (flags.containsKey(uid)) flags.put(uid, canonical(f));
    }

    /** Whether the flags differ from the view's, ignoring case. */
    boolean flagsDiffer(long uid, Set<String> f) {
        return !flags(uid).equals(canonical(f));
    }

    int unseen() {
        int n = 0;
        for (int i = 0; i < size; i++) if (!has(uids[i], io.herald.api.mailbox.Flags.SEEN)) n++;
        return n;
    }

    /** The sequence number of the first message without \Seen, or 0. */
    int firstUnseen() {
        for (int i = 0; i < size; i++) if (!has(uids[i], io.herald.api.mailbox.Flags.SEEN)) return i + 1;
        return 0;
    }

    boolean has(long uid, String flag) {
        for (String f : flags(uid)) if (f.equalsIgnoreCase(flag)) return true;
        return false;
    }

    /** Every keyword seen in the folder, for the FLAGS response. */
    Set<String> keywords() {
        Set<String> out = new TreeSet<>();
        for (Set<String> f : flags.values()) for (String s : f) if (!s.startsWith("\\")) out.add(s);
        return out;
    }

    private static Set<String> canonical(Set<String> f) {
        Set<String> out = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        for (String s : f) if (!s.equalsIgnoreCase(io.herald.api.mailbox.Flags.RECENT)) out.add(io.herald.api.mailbox.Flags.canonical(s));
        return out;
    }
}

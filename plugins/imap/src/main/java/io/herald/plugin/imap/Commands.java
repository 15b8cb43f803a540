package io.herald.plugin.imap;

import io.herald.api.mail.MessageContent;
import io.herald.api.mailbox.FlagOp;
import io.herald.api.mailbox.FolderInfo;
import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxException;
import io.herald.api.mailbox.MailboxStore;
import io.herald.api.mailbox.StoredMessage;
import io.herald.api.mailbox.UidSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The commands of the authenticated and selected states (RFC 3501 §6.3, §6.4, RFC 6851 MOVE, RFC 4315 UIDPLUS,
 * RFC 6154 SPECIAL-USE, RFC 2971 ID, RFC 5161 ENABLE, RFC 3691 UNSELECT), on the active {@link MailboxStore}.
 * Runs on the session's turn only.
 */
final class Commands {

    private static final Logger log = LoggerFactory.getLogger(Commands.class);

    static final DateTimeFormatter INTERNALDATE = new DateTimeFormatterBuilder().appendPattern("dd-MMM-yyyy HH:mm:ss Z")
            .toFormatter(Locale.ENGLISH);
    private static final DateTimeFormatter APPEND_DATE = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .appendPattern("d-MMM-yyyy HH:mm:ss Z").toFormatter(Locale.ENGLISH);

    private final ImapSession s;

    Commands(ImapSession session) {
        this.s = session;
    }

    private MailboxStore store() {
        return s.store();
    }

    // ------------------------------------------------------------------ replies

    /** A failed mailbox operation as a tagged NO with the RFC 5530 response code. */
    void no(String tag, MailboxException e) {
        String code = switch (e.reason()) {
            case NO_SUCH_MAILBOX, NO_SUCH_FOLDER -> "NONEXISTENT";
            case ALREADY_EXISTS -> "ALREADYEXISTS";
            case NOT_ALLOWED -> "CANNOT";
            case QUOTA_EXCEEDED -> "OVERQUOTA";
            case READ_ONLY -> "UNAVAILABLE";
            case STORAGE -> e.isTemporary() ? "UNAVAILABLE" : "SERVERBUG";
            case OTHER -> e.isTemporary() ? "UNAVAILABLE" : "CANNOT";
        };
        if (e.reason() == MailboxException.Reason.STORAGE || e.reason() == MailboxException.Reason.OTHER) {
            log.warn("{}: {}: {}", s.id, s.user, e.toString());
        }
        s.tagged(tag, "NO [" + code + "] " + oneLine(e.getMessage()));
    }

    private static String oneLine(String m) {
        if (m == null) return "Failed";
        return m.replaceAll("[\\r\\n]+", " ");
    }

    /** Synchronises (every change may be reported here) and answers OK. */
    void check(String tag, String text) throws MailboxException {
        if (s.selected != null) s.sync(true);
        s.ok(tag, text);
    }

    private void done(String tag, String text, boolean allowExpunge) throws MailboxException {
        if (s.selected != null && s.dirty) s.sync(allowExpunge);
        s.ok(tag, text);
    }

    // ------------------------------------------------------------------ any state / authenticated

    /** ID (RFC 2971): logs what the client says about itself, tells who we are. */
    void id(String tag, Args a) throws Args.Bad, MailboxException {
        a.sp();
        List<String> fields = new ArrayList<>();
        if (a.tryChar('(')) {
            if (!a.tryChar(')')) {
                do {
                    fields.add(a.astring());
                    a.sp();
                    if (a.peek() == 'N' || a.peek() == 'n') fields.add(a.atom()); else fields.add(a.astring());
                } while (a.more());
                a.expect(')');
            }
        } else {
            if (!a.atom().equalsIgnoreCase("NIL")) throw new Args.Bad("Expected NIL or a field list");
        }
        a.end();
        if (!fields.isEmpty()) log.info("{}: client ID {}", s.id, fields);
        s.untagged("ID (\"name\" \"Herald\" \"vendor\" \"Herald\" \"support-url\" \"https://herald.test/\")");
        done(tag, "ID completed", true);
    }

    /** ENABLE (RFC 5161): none of the extensions that need enabling (CONDSTORE, UTF8=ACCEPT, ...) is offered. */
    void enable(String tag, Args a) throws Args.Bad, MailboxException {
        a.sp();
        do {
            a.atom();
        } while (a.more());
        a.end();
        s.untagged("ENABLED");
        done(tag, "ENABLE completed", true);
    }

    void select(String tag, Args a, boolean examine) throws Args.Bad, MailboxException {
        a.sp();
        String folder = ImapSession.folderArg(a.astring());
        a.end();
        // selecting deselects first, even when the new SELECT fails (RFC 3501 §6.3.1)
        s.selected = null;
        s.state = ImapSession.State.AUTHENTICATED;
        FolderInfo info = store().folderInfo(s.user, folder);
        List<StoredMessage> messages = store().list(s.user, info.name());
        Selected sel = new Selected(info.name(), examine, info.uidValidity(), messages);
        Set<String> flags = new LinkedHashSet<>(Flags.SYSTEM);
        flags.add(Flags.JUNK);
        flags.add(Flags.NOT_JUNK);
        flags.addAll(sel.keywords());
        s.untagged("FLAGS (" + String.join(" ", flags) + ")");
        s.untagged("OK [PERMANENTFLAGS " + (examine ? "()" : "(" + String.join(" ", Flags.SYSTEM) + " " + Flags.JUNK + " "
                + Flags.NOT_JUNK + " \\*)") + "] Flags permitted");
        s.untagged(sel.exists() + " EXISTS");
        s.untagged("0 RECENT");
        int unseen = sel.firstUnseen();
        if (unseen > 0) s.untagged("OK [UNSEEN " + unseen + "] First unseen");
        s.untagged("OK [UIDVALIDITY " + info.uidValidity() + "] UIDs valid");
        s.untagged("OK [UIDNEXT " + info.uidNext() + "] Predicted next UID");
        s.selected = sel;
        s.state = ImapSession.State.SELECTED;
        s.dirty = false;
        s.ok(tag, (examine ? "[READ-ONLY]" : "[READ-WRITE]") + " " + (examine ? "EXAMINE" : "SELECT") + " completed");
    }

    void create(String tag, Args a) throws Args.Bad, MailboxException {
        a.sp();
        String folder = ImapSession.folderArg(a.astring());
        a.end();
        while (folder.endsWith(String.valueOf(Folders.SEPARATOR))) folder = folder.substring(0, folder.length() - 1);
        if (folder.isEmpty()) throw new Args.Bad("Empty mailbox name");
        if (folder.equals(Folders.INBOX)) {
            s.tagged(tag, "NO [ALREADYEXISTS] INBOX always exists");
            return;
        }
        // RFC 3501 §6.3.3: create the superior hierarchy levels that are missing
        String[] levels = folder.split(String.valueOf(Folders.SEPARATOR));
        StringBuilder path = new StringBuilder();
        List<String> existing = store().folders(s.user);
        for (int i = 0; i < levels.length - 1; i++) {
            if (i > 0) path.append(Folders.SEPARATOR);
            path.append(levels[i]);
            String p = Folders.normalize(path.toString());
            if (existing.stream().noneMatch(f -> f.equals(p))) store().createFolder(s.user, p);
        }
        store().createFolder(s.user, folder);
        done(tag, "CREATE completed", true);
    }

    void delete(String tag, Args a) throws Args.Bad, MailboxException {
        a.sp();
        String folder = ImapSession.folderArg(a.astring());
        a.end();
        store().deleteFolder(s.user, folder);
        if (s.selected != null && s.selected.folder.equals(folder)) {
            s.selected = null;
            s.state = ImapSession.State.AUTHENTICATED;
        }
        done(tag, "DELETE completed", true);
    }

    void rename(String tag, Args a) throws Args.Bad, MailboxException {
        a.sp();
        String from = ImapSession.folderArg(a.astring());
        a.sp();
        String to = ImapSession.folderArg(a.astring());
        a.end();
        store().renameFolder(s.user, from, to);
        done(tag, "RENAME completed", true);
    }

    void subscribe(String tag, Args a, boolean on) throws Args.Bad, MailboxException {
        a.sp();
        String folder = ImapSession.folderArg(a.astring());
        a.end();
        store().subscribe(s.user, folder, on);
        done(tag, (on ? "SUBSCRIBE" : "UNSUBSCRIBE") + " completed", true);
    }

    /**
     * LIST [(selection-options)] reference pattern [RETURN (options)] (RFC 3501 §6.3.8, RFC 5258 syntax as far as
     * RFC 6154 needs it: the SPECIAL-USE and SUBSCRIBED selection options, RETURN (SPECIAL-USE SUBSCRIBED CHILDREN)).
     */
    void list(String tag, Args a) throws Args.Bad, MailboxException {
        a.sp();
        List<String> selection = List.of();
        if (a.peek() == '(') {
            selection = a.atomList();
            a.sp();
        }
        String reference = ImapSession.folderArg(a.astring());
        a.sp();
        String pattern = ImapSession.patternArg(a.listMailbox());
        List<String> returns = List.of();
        if (a.more()) {
            if (!a.atom().equalsIgnoreCase("RETURN")) throw new Args.Bad("Expected RETURN");
            a.sp();
            returns = a.atomList();
        }
        a.end();
        if (pattern.isEmpty()) {
            // RFC 3501 §6.3.8: the hierarchy delimiter and the root name
            s.untagged("LIST (\\Noselect) \"/\" \"\"");
            done(tag, "LIST completed", true);
            return;
        }
        boolean specialOnly = selection.contains("SPECIAL-USE");
        boolean subscribedOnly = selection.contains("SUBSCRIBED");
        boolean showSubscribed = subscribedOnly || returns.contains("SUBSCRIBED");
        Pattern match = pattern(reference + pattern);
        Set<String> subscriptions = showSubscribed ? new TreeSet<>(store().subscriptions(s.user)) : Set.of();
        for (FolderInfo f : store().folderInfos(s.user)) {
            if (!match.matcher(f.name()).matches()) continue;
            if (specialOnly && f.attributes().stream().noneMatch(Commands::isSpecialUse)) continue;
            boolean subscribed = f.subscribed() || subscriptions.contains(f.name());
            if (subscribedOnly && !subscribed) continue;
            List<String> attrs = new ArrayList<>(f.attributes());
            // a stable order: \HasChildren / \HasNoChildren, then the special use
            attrs.sort(java.util.Comparator.comparing((String x) -> !x.toLowerCase(Locale.ROOT).contains("children")).thenComparing(x -> x));
            if (showSubscribed && subscribed) attrs.add("\\Subscribed");
            Response r = new Response().raw("* LIST (").raw(String.join(" ", attrs)).raw(") \"/\" ").astring(ImapSession.folderOut(f.name())).crlf();
            s.send(r);
        }
        done(tag, "LIST completed", true);
    }

    void lsub(String tag, Args a) throws Args.Bad, MailboxException {
        a.sp();
        String reference = ImapSession.folderArg(a.astring());
        a.sp();
        String pattern = ImapSession.patternArg(a.listMailbox());
        a.end();
        Pattern match = pattern(reference + pattern);
        List<String> folders = store().folders(s.user);
        for (String name : store().subscriptions(s.user)) {
            if (!match.matcher(name).matches()) continue;
            String attrs = folders.contains(name) ? "" : "\\Noselect";
            s.send(new Response().raw("* LSUB (" + attrs + ") \"/\" ").astring(ImapSession.folderOut(name)).crlf());
        }
        done(tag, "LSUB completed", true);
    }

    private static boolean isSpecialUse(String attribute) {
        return switch (attribute.toLowerCase(Locale.ROOT)) {
            case "\\sent", "\\drafts", "\\trash", "\\junk", "\\archive", "\\all", "\\flagged" -> true;
            default -> false;
        };
    }

    /** A LIST pattern: {@code *} matches anything, {@code %} anything but the separator; INBOX in any case. */
    static Pattern pattern(String p) {
        StringBuilder re = new StringBuilder();
        int i = 0;
        if (p.length() >= 5 && p.regionMatches(true, 0, Folders.INBOX, 0, 5)) {
            re.append("(?i:INBOX)");
            i = 5;
        }
        for (; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '*') re.append(".*");
            else if (c == '%') re.append("[^/]*");
            else re.append(Pattern.quote(String.valueOf(c)));
        }
        return Pattern.compile(re.toString());
    }

    void status(String tag, Args a) throws Args.Bad, MailboxException {
        a.sp();
        String folder = ImapSession.folderArg(a.astring());
        a.sp();
        List<String> items = a.atomList();
        a.end();
        FolderInfo f = store().folderInfo(s.user, folder);
        List<String> out = new ArrayList<>();
        for (String item : items) {
            switch (item) {
                case "MESSAGES" -> out.add("MESSAGES " + f.messages());
                case "RECENT" -> out.add("RECENT 0");
                case "UIDNEXT" -> out.add("UIDNEXT " + f.uidNext());
                case "UIDVALIDITY" -> out.add("UIDVALIDITY " + f.uidValidity());
                case "UNSEEN" -> out.add("UNSEEN " + f.unseen());
                case "SIZE" -> out.add("SIZE " + f.size());
                default -> throw new Args.Bad("Unknown STATUS item " + item);
            }
        }
        s.send(new Response().raw("* STATUS ").astring(ImapSession.folderOut(f.name())).raw(" (" + String.join(" ", out) + ")").crlf());
        done(tag, "STATUS completed", true);
    }

    /** APPEND mailbox [(flags)] [date-time] literal (RFC 3501 §6.3.11; APPENDUID of RFC 4315). */
    void append(String tag, Args a) throws Args.Bad, MailboxException {
        a.sp();
        String folder = ImapSession.folderArg(a.astring());
        a.sp();
        Set<String> flags = new LinkedHashSet<>();
        if (a.peek() == '(') {
            for (String f : a.flags(false)) flags.add(validFlag(f));
            a.sp();
        }
        Instant date = Instant.now();
        if (a.peek() == '"') {
            String d = new String(a.stringBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim();
            try {
                date = ZonedDateTime.parse(d, APPEND_DATE).toInstant();
            } catch (DateTimeParseException e) {
                throw new Args.Bad("Invalid date-time " + d);
            }
            a.sp();
        }
        byte[] message = a.stringBytes();
        a.end();
        if (message.length == 0) throw new Args.Bad("Empty message");
        if (!store().folders(s.user).contains(folder)) {
            s.tagged(tag, "NO [TRYCREATE] No such mailbox");
            return;
        }
        flags.removeIf(f -> f.equalsIgnoreCase(Flags.RECENT));
        StoredMessage m = store().append(s.user, folder, MessageContent.of(message), flags, date);
        if (s.selected != null && s.selected.folder.equals(folder)) s.dirty = true;
        done(tag, "[APPENDUID " + m.uidValidity() + " " + m.uid() + "] APPEND completed", true);
    }

    // ------------------------------------------------------------------ selected state

    void close(String tag, boolean expunge) throws MailboxException {
        Selected sel = s.selected;
        s.selected = null;
        s.state = ImapSession.State.AUTHENTICATED;
        if (expunge && !sel.readOnly) store().expunge(s.user, sel.folder, null);   // silently (RFC 3501 §6.4.2)
        s.ok(tag, (expunge ? "CLOSE" : "UNSELECT") + " completed");
    }

    void expunge(String tag, UidSet uids) throws MailboxException {
        Selected sel = s.selected;
        if (sel.readOnly) {
            s.tagged(tag, "NO [READ-ONLY] The mailbox is open read-only");
            return;
        }
        List<Long> gone = store().expunge(s.user, sel.folder, uids);
        reportExpunged(gone);
        done(tag, "EXPUNGE completed", true);
    }

    private void reportExpunged(List<Long> uids) {
        Selected sel = s.selected;
        List<Integer> msns = new ArrayList<>();
        for (long u : uids) {
            int msn = sel.msn(u);
            if (msn > 0) msns.add(msn);
        }
        msns.sort(java.util.Comparator.reverseOrder());   // highest first: earlier numbers stay valid
        for (int msn : msns) {
            sel.remove(msn);
            s.untagged(msn + " EXPUNGE");
        }
    }

    /** The UIDs of the view a sequence set names: message sequence numbers, or UIDs ({@code uid} true). */
    List<Long> resolve(String set, boolean uid) throws Args.Bad {
        Selected sel = s.selected;
        List<Long> out = new ArrayList<>();
        if (uid) {
            UidSet u = uidSet(set);
            long max = sel.maxUid();
            for (UidSet.Range r : u.ranges()) {
                long first = r.first(), last = r.last();
                if (last == Long.MAX_VALUE) {           // n:* with n above the largest UID still means the largest
                    if (first > max) first = max;
                    last = max;
                }
                if (max == 0) continue;
                int from = firstAtLeast(sel, first);
                for (int msn = from; msn <= sel.exists() && sel.uid(msn) <= last; msn++) out.add(sel.uid(msn));
            }
            return out;
        }
        int exists = sel.exists();
        List<long[]> ranges = new ArrayList<>();
        for (String part : set.split(",", -1)) {
            int colon = part.indexOf(':');
            long a = msn(colon < 0 ? part : part.substring(0, colon), exists);
            long b = colon < 0 ? a : msn(part.substring(colon + 1), exists);
            long lo = Math.min(a, b), hi = Math.max(a, b);
            if (lo < 1 || hi > exists) throw new Args.Bad("Invalid message sequence number in " + set + " (" + exists + " messages)");
            ranges.add(new long[] {lo, hi});
        }
        // overlapping ranges are merged before they are expanded: "1:*,1:*,..." (16,000 times within the command
        // length limit) once listed every message once per range, memory and time multiplied by the mailbox size
        ranges.sort(java.util.Comparator.comparingLong(r -> r[0]));
        long next = 1;   // the first number not listed yet; UIDs grow with sequence numbers, so out stays sorted
        for (long[] r : ranges) {
            for (long m = Math.max(r[0], next); m <= r[1]; m++) out.add(sel.uid((int) m));
            next = Math.max(next, r[1] + 1);
        }
        return out;
    }

    private static int firstAtLeast(Selected sel, long uid) {
        int lo = 1, hi = sel.exists() + 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sel.uid(mid) < uid) lo = mid + 1; else hi = mid;
        }
        return lo;
    }

    private static long msn(String s, int exists) throws Args.Bad {
        if (s.equals("*")) {
            if (exists == 0) throw new Args.Bad("Invalid message sequence number * (the mailbox is empty)");
            return exists;
        }
        if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(Character::isDigit)) throw new Args.Bad("Invalid sequence set");
        return Long.parseLong(s);
    }

    UidSet uidSet(String set) throws Args.Bad {
        try {
            return UidSet.parse(set);
        } catch (IllegalArgumentException e) {
            throw new Args.Bad("Invalid UID set " + set);
        }
    }

    private static String validFlag(String f) throws Args.Bad {
        if (f.equalsIgnoreCase(Flags.RECENT)) return Flags.RECENT;
        if (!Flags.isValid(f)) throw new Args.Bad("Invalid flag " + f);
        return Flags.canonical(f);
    }

    /** The flags as a FLAGS list: system flags in their usual order, then keywords, then \Recent. */
    String flagList(Selected sel, long uid) {
        Set<String> have = sel.flags(uid);
        List<String> f = new ArrayList<>();
        for (String system : Flags.SYSTEM) if (have.contains(system)) f.add(system);
        for (String k : have) if (!k.startsWith("\\")) f.add(k);
        if (sel.recent.contains(uid)) f.add(Flags.RECENT);
        return "(" + String.join(" ", f) + ")";
    }

    /** STORE set [+|-]FLAGS[.SILENT] flags (RFC 3501 §6.4.6). */
    void store(String tag, Args a, boolean uid) throws Args.Bad, MailboxException {
        a.sp();
        String set = a.word();
        a.sp();
        String item = a.atom().toUpperCase(Locale.ROOT);
        a.sp();
        List<String> flags = a.flags(true);
        a.end();
        FlagOp op;
        String base = item.endsWith(".SILENT") ? item.substring(0, item.length() - 7) : item;
        boolean silent = item.endsWith(".SILENT");
        switch (base) {
            case "FLAGS" -> op = FlagOp.REPLACE;
            case "+FLAGS" -> op = FlagOp.ADD;
            case "-FLAGS" -> op = FlagOp.REMOVE;
            default -> throw new Args.Bad("Unknown STORE item " + item);
        }
        Set<String> fs = new LinkedHashSet<>();
        for (String f : flags) fs.add(validFlag(f));
        List<Long> uids = resolve(set, uid);
        Selected sel = s.selected;
        if (sel.readOnly) {
            s.tagged(tag, "NO [READ-ONLY] The mailbox is open read-only");
            return;
        }
        if (!uids.isEmpty()) {
            List<StoredMessage> changed = store().storeFlags(s.user, sel.folder, UidSet.of(uids), op, fs);
            for (StoredMessage m : changed) sel.flags(m.uid(), m.flags());
            if (!silent) {
                // RFC 3501 §6.4.6: the new flags of every message in the set (changed or not)
                for (long u : uids) {
                    int msn = sel.msn(u);
                    if (msn > 0) s.untagged(msn + " FETCH (FLAGS " + flagList(sel, u) + (uid ? " UID " + u : "") + ")");
                }
            }
        }
        done(tag, "STORE completed", uid);
    }

    /** COPY / MOVE set mailbox (RFC 3501 §6.4.7, RFC 6851), with COPYUID (RFC 4315); Junk moves are learnt from. */
    void copy(String tag, Args a, boolean uid, boolean move) throws Args.Bad, MailboxException {
        a.sp();
        String set = a.word();
        a.sp();
        String dest = ImapSession.folderArg(a.astring());
        a.end();
        List<Long> uids = resolve(set, uid);
        Selected sel = s.selected;
        if (move && sel.readOnly) {
            s.tagged(tag, "NO [READ-ONLY] The mailbox is open read-only");
            return;
        }
        FolderInfo to;
        try {
            to = store().folderInfo(s.user, dest);
        } catch (MailboxException e) {
            if (e.reason() == MailboxException.Reason.NO_SUCH_FOLDER) {
                s.tagged(tag, "NO [TRYCREATE] No such mailbox");
                return;
            }
            throw e;
        }
        if (uids.isEmpty()) {
            done(tag, (move ? "MOVE" : "COPY") + " completed (nothing to do)", uid || move);
            return;
        }
        SortedMap<Long, Long> map = move ? store().move(s.user, sel.folder, UidSet.of(uids), to.name())
                : store().copy(s.user, sel.folder, UidSet.of(uids), to.name());
        String copyUid = map.isEmpty() ? "" : "[COPYUID " + to.uidValidity() + " " + UidSet.of(map.keySet()) + " "
                + UidSet.of(map.values()) + "] ";
        learn(sel.folder, to, map, move);
        if (to.name().equals(sel.folder)) s.dirty = true;
        if (move) {
            if (!copyUid.isEmpty()) s.untagged("OK " + copyUid.trim() + " Moved");
            reportExpunged(new ArrayList<>(map.keySet()));
            done(tag, "MOVE completed", true);
        } else {
            done(tag, copyUid + "COPY completed", uid);
        }
    }

    /** Tells the spam learners: into Junk is spam; out of Junk (not to Trash, by MOVE) is not spam. */
    private void learn(String from, FolderInfo to, Map<Long, Long> map, boolean move) {
        boolean fromJunk;
        try {
            fromJunk = ImapSession.isJunk(store().folderInfo(s.user, from));
        } catch (MailboxException e) {
            fromJunk = from.equalsIgnoreCase(Folders.JUNK);
        }
        boolean toJunk = ImapSession.isJunk(to);
        boolean toTrash = to.attributes().stream().anyMatch(x -> x.equalsIgnoreCase("\\Trash"));
        Boolean spam = toJunk && !fromJunk ? Boolean.TRUE : fromJunk && !toJunk && move && !toTrash ? Boolean.FALSE : null;
        if (spam == null) return;
        for (long newUid : map.values()) s.server.spamFeedback().report(s.user, to.name(), newUid, spam);
        log.info("{}: {} message(s) of {} moved {} Junk: reported as {}", s.id, map.size(), s.user, spam ? "into" : "out of", spam ? "spam" : "ham");
    }

    void search(String tag, Args a, boolean uid) throws Args.Bad, MailboxException {
        a.sp();
        Search search = new Search(s, this);
        var criteria = search.parse(a);
        Selected sel = s.selected;
        List<Long> hits = store().search(s.user, sel.folder, criteria);
        StringBuilder line = new StringBuilder("SEARCH");
        for (long u : hits) {
            int msn = sel.msn(u);
            if (msn == 0) continue;   // arrived after the view: reported with EXISTS first
            line.append(' ').append(uid ? u : msn);
        }
        s.untagged(line.toString());
        done(tag, "SEARCH completed", uid);
    }

    void fetch(String tag, Args a, boolean uid) throws Args.Bad, MailboxException {
        a.sp();
        String set = a.word();
        a.sp();
        Fetch fetch = Fetch.parse(a, uid);
        a.end();
        List<Long> uids = resolve(set, uid);
        fetch.run(s, this, uids);
        done(tag, "FETCH completed", uid);
    }

    /** The bytes of a message, or null when it is gone. */
    byte[] content(String folder, long uid) throws MailboxException {
        var c = store().content(s.user, folder, uid);
        if (c.isEmpty()) return null;
        try (InputStream in = c.get().open()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new MailboxException(MailboxException.Reason.STORAGE, "cannot read message " + uid + ": " + e.getMessage(), true, e);
        }
    }

    static String internalDate(Instant t) {
        return INTERNALDATE.format(t.atZone(ZoneOffset.UTC));
    }
}

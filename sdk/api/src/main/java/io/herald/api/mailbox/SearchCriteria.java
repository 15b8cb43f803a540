package io.herald.api.mailbox;

import java.time.LocalDate;
import java.util.List;

/**
 * A search over the messages of one folder, mirroring the IMAP SEARCH keys (RFC 3501 §6.4.4, RFC 9051 §6.4.4,
 * RFC 7162 MODSEQ). Build with the static methods named like the keys: {@code and(from("elsa"), unseen(), since(d))}.
 *
 * <p>Text matching: IMAP asks for case-insensitive substring matching. A store backed by a full-text index may
 * approximate it; the Lucene store matches analyzed words, the last word of the value also as a prefix
 * (so {@code "herald.te"} and {@code "deliv"} match), consecutive words as a phrase or all of them, and for address
 * and subject headers also a true case-insensitive substring of the whole decoded header value.
 *
 * <p>Dates compare calendar days in UTC (IMAP says "disregarding time and timezone"; the store keeps instants).
 * Message sequence numbers are not here: the IMAP session maps them to UIDs and uses {@link Uid}.
 */
public sealed interface SearchCriteria {

    /** Every message (ALL). */
    record All() implements SearchCriteria { }

    /** Every criterion holds (IMAP's implicit AND of a key list). */
    record And(List<SearchCriteria> all) implements SearchCriteria {
        public And { all = List.copyOf(all); }
    }

    /** At least one holds (OR a b; several for convenience). */
    record Or(List<SearchCriteria> any) implements SearchCriteria {
        public Or { any = List.copyOf(any); }
    }

    /** The criterion does not hold (NOT). */
    record Not(SearchCriteria criterion) implements SearchCriteria { }

    /**
     * A header field contains a value (FROM, TO, CC, BCC, SUBJECT, HEADER name value). An empty value matches every
     * message that has the field (RFC 3501). Names are case-insensitive.
     */
    record Header(String name, String value) implements SearchCriteria { }

    /** The body contains the text (BODY). */
    record Body(String text) implements SearchCriteria { }

    /** The header or body contains the text (TEXT); attachment file names count as text. */
    record Text(String text) implements SearchCriteria { }

    /** How a date is compared. */
    enum DateOp { BEFORE, ON, SINCE }

    /** The internal date (BEFORE, ON, SINCE). */
    record InternalDate(DateOp op, LocalDate date) implements SearchCriteria { }

    /** The Date header (SENTBEFORE, SENTON, SENTSINCE); a message without a readable Date header never matches. */
    record SentDate(DateOp op, LocalDate date) implements SearchCriteria { }

    /** Size in octets greater than (LARGER) n. */
    record Larger(long size) implements SearchCriteria { }

    /** Size in octets smaller than (SMALLER) n. */
    record Smaller(long size) implements SearchCriteria { }

    /**
     * A flag is set or not: SEEN/UNSEEN, ANSWERED/UNANSWERED, DELETED/UNDELETED, FLAGGED/UNFLAGGED, DRAFT/UNDRAFT,
     * KEYWORD k/UNKEYWORD k (case-insensitive).
     */
    record Flag(String flag, boolean set) implements SearchCriteria { }

    /**
     * RECENT, NEW, OLD. \Recent is gone from IMAP4rev2 and is not stored: RECENT and NEW match nothing, OLD matches
     * everything. An IMAP4rev1 session that tracks \Recent itself can map these to a {@link Uid} set.
     */
    record Recent(boolean recent) implements SearchCriteria { }

    /** UID in the set (UID). */
    record Uid(UidSet uids) implements SearchCriteria { }

    /** MODSEQ n (RFC 7162): mod-sequence greater than or equal to n. */
    record ModSeq(long modSeq) implements SearchCriteria { }

    static SearchCriteria all() { return new All(); }
    static SearchCriteria and(SearchCriteria... c) { return new And(List.of(c)); }
    static SearchCriteria or(SearchCriteria a, SearchCriteria b) { return new Or(List.of(a, b)); }
    static SearchCriteria not(SearchCriteria c) { return new Not(c); }
    static SearchCriteria from(String v) { return new Header("From", v); }
    static SearchCriteria to(String v) { return new Header("To", v); }
    static SearchCriteria cc(String v) { return new Header("Cc", v); }
    static SearchCriteria bcc(String v) { return new Header("Bcc", v); }
    static SearchCriteria subject(String v) { return new Header("Subject", v); }
    static SearchCriteria header(String name, String v) { return new Header(name, v); }
    static SearchCriteria body(String v) { return new Body(v); }
    static SearchCriteria text(String v) { return new Text(v); }
    static SearchCriteria before(LocalDate d) { return new InternalDate(DateOp.BEFORE, d); }
    static SearchCriteria on(LocalDate d) { return new InternalDate(DateOp.ON, d); }
    static SearchCriteria since(LocalDate d) { return new InternalDate(DateOp.SINCE, d); }
    static SearchCriteria sentBefore(LocalDate d) { return new SentDate(DateOp.BEFORE, d); }
    static SearchCriteria sentOn(LocalDate d) { return new SentDate(DateOp.ON, d); }
    static SearchCriteria sentSince(LocalDate d) { return new SentDate(DateOp.SINCE, d); }
    static SearchCriteria larger(long n) { return new Larger(n); }
    static SearchCriteria smaller(long n) { return new Smaller(n); }
    static SearchCriteria seen() { return new Flag(Flags.SEEN, true); }
    static SearchCriteria unseen() { return new Flag(Flags.SEEN, false); }
    static SearchCriteria answered() { return new Flag(Flags.ANSWERED, true); }
    static SearchCriteria unanswered() { return new Flag(Flags.ANSWERED, false); }
    static SearchCriteria deleted() { return new Flag(Flags.DELETED, true); }
    static SearchCriteria undeleted() { return new Flag(Flags.DELETED, false); }
    static SearchCriteria flagged() { return new Flag(Flags.FLAGGED, true); }
    static SearchCriteria unflagged() { return new Flag(Flags.FLAGGED, false); }
    static SearchCriteria draft() { return new Flag(Flags.DRAFT, true); }
    static SearchCriteria undraft() { return new Flag(Flags.DRAFT, false); }
    static SearchCriteria keyword(String k) { return new Flag(k, true); }
    static SearchCriteria unkeyword(String k) { return new Flag(k, false); }
    static SearchCriteria recent() { return new Recent(true); }
    static SearchCriteria old() { return new Recent(false); }
    static SearchCriteria newMessages() { return and(recent(), unseen()); }
    static SearchCriteria uid(UidSet s) { return new Uid(s); }
    static SearchCriteria modSeq(long n) { return new ModSeq(n); }
}

package io.herald.plugin.imap;

import io.herald.api.mailbox.Flags;
import io.herald.api.mailbox.SearchCriteria;
import io.herald.api.mailbox.UidSet;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * SEARCH keys (RFC 3501 §6.4.4) to {@link SearchCriteria}, which the store runs on its index. Message sequence
 * numbers and \Recent are this session's business: they become {@link SearchCriteria.Uid} sets of the view.
 */
final class Search {

    private static final DateTimeFormatter DATE = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .appendPattern("d-MMM-yyyy").toFormatter(Locale.ENGLISH);

    private final ImapSession s;
    private final Commands commands;

    Search(ImapSession s, Commands commands) {
        this.s = s;
        this.commands = commands;
    }

    SearchCriteria parse(Args a) throws Args.Bad {
        if (a.peek() == 'C' || a.peek() == 'c') {
            // CHARSET is optional; only UTF-8 and US-ASCII (its subset) are accepted (RFC 3501: [BADCHARSET] otherwise)
            String word = peekAtom(a);
            if (word.equalsIgnoreCase("CHARSET")) {
                a.atom();
                a.sp();
                String cs = a.astring();
                if (!cs.equalsIgnoreCase("UTF-8") && !cs.equalsIgnoreCase("US-ASCII")) throw new BadCharset();
                a.sp();
            }
        }
        List<SearchCriteria> all = new ArrayList<>();
        do {
            all.add(key(a));
        } while (a.more());
        a.end();
        return all.size() == 1 ? all.get(0) : new SearchCriteria.And(all);
    }

    /** SEARCH with a charset other than UTF-8: answered {@code NO [BADCHARSET (UTF-8)]}. */
    static final class BadCharset extends Args.Bad {
        BadCharset() {
            super("[BADCHARSET (UTF-8 US-ASCII)] Only UTF-8 is supported");
        }
    }

    private static String peekAtom(Args a) {
        // Args has no look-ahead for atoms; CHARSET is the only key starting with "CH"
        return a.peekWord();
    }

    /**
     * How deeply search keys may nest (parenthesised lists, NOT, OR). The grammar (RFC 3501 §9) has no bound, but
     * both this parser and the store's evaluation recurse once per level: without a bound, {@code SEARCH (((...} or
     * {@code NOT NOT ...} within the command length limit overflowed the worker's stack (a StackOverflowError,
     * "* BYE Internal server error"). Clients nest OR for each alternative term: 100 levels is far beyond them.
     */
    static final int MAX_DEPTH = 100;

    private int depth;

    private SearchCriteria key(Args a) throws Args.Bad {
        if (++depth > MAX_DEPTH) throw new Args.Bad("Search keys nested more than " + MAX_DEPTH + " levels deep");
        try {
            return keyAtThisDepth(a);
        } finally {
            depth--;
        }
    }

    private SearchCriteria keyAtThisDepth(Args a) throws Args.Bad {
        if (a.tryChar('(')) {
            List<SearchCriteria> list = new ArrayList<>();
            do {
                list.add(key(a));
            } while (a.more());
            a.expect(')');
            return list.size() == 1 ? list.get(0) : new SearchCriteria.And(list);
        }
        int c = a.peek();
        if ((c >= '0' && c <= '9') || c == '*') return SearchCriteria.uid(uids(commands.resolve(a.word(), false)));
        String k = a.atom().toUpperCase(Locale.ROOT);
        return switch (k) {
            case "ALL" -> SearchCriteria.all();
            case "ANSWERED" -> SearchCriteria.answered();
            case "UNANSWERED" -> SearchCriteria.unanswered();
            case "DELETED" -> SearchCriteria.deleted();
            case "UNDELETED" -> SearchCriteria.undeleted();
            case "DRAFT" -> SearchCriteria.draft();
            case "UNDRAFT" -> SearchCriteria.undraft();
            case "FLAGGED" -> SearchCriteria.flagged();
            case "UNFLAGGED" -> SearchCriteria.unflagged();
            case "SEEN" -> SearchCriteria.seen();
            case "UNSEEN" -> SearchCriteria.unseen();
            case "KEYWORD" -> SearchCriteria.keyword(flag(a));
            case "UNKEYWORD" -> SearchCriteria.unkeyword(flag(a));
            case "RECENT" -> recent(true);
            case "OLD" -> recent(false);
            case "NEW" -> SearchCriteria.and(recent(true), SearchCriteria.unseen());
            case "BCC" -> SearchCriteria.bcc(string(a));
            case "CC" -> SearchCriteria.cc(string(a));
            case "FROM" -> SearchCriteria.from(string(a));
            case "TO" -> SearchCriteria.to(string(a));
            case "SUBJECT" -> SearchCriteria.subject(string(a));
            case "BODY" -> SearchCriteria.body(string(a));
            case "TEXT" -> SearchCriteria.text(string(a));
            case "HEADER" -> {
                String name = string(a);
                a.sp();
                yield SearchCriteria.header(name, a.astring());
            }
            case "BEFORE" -> SearchCriteria.before(date(a));
            case "ON" -> SearchCriteria.on(date(a));
            case "SINCE" -> SearchCriteria.since(date(a));
            case "SENTBEFORE" -> SearchCriteria.sentBefore(date(a));
            case "SENTON" -> SearchCriteria.sentOn(date(a));
            case "SENTSINCE" -> SearchCriteria.sentSince(date(a));
            case "LARGER" -> { a.sp(); yield SearchCriteria.larger(a.number()); }
            case "SMALLER" -> { a.sp(); yield SearchCriteria.smaller(a.number()); }
            case "UID" -> { a.sp(); yield SearchCriteria.uid(uids(commands.resolve(a.word(), true))); }
            case "NOT" -> { a.sp(); yield SearchCriteria.not(key(a)); }
            case "OR" -> {
                a.sp();
                SearchCriteria x = key(a);
                a.sp();
                yield SearchCriteria.or(x, key(a));
            }
            default -> throw new Args.Bad("Unknown search key " + k);
        };
    }

    private static UidSet uids(List<Long> uids) {
        // an empty set matches nothing: UID 0 does not exist (UidSet needs at least one range)
        return uids.isEmpty() ? UidSet.of(Long.MAX_VALUE - 1) : UidSet.of(uids);
    }

    private SearchCriteria recent(boolean recent) {
        Selected sel = s.selected;
        if (sel.recent.isEmpty()) return recent ? SearchCriteria.uid(uids(List.of())) : SearchCriteria.all();
        SearchCriteria r = SearchCriteria.uid(UidSet.of(sel.recent));
        return recent ? r : SearchCriteria.not(r);
    }

    private static String string(Args a) throws Args.Bad {
        a.sp();
        return a.astring();
    }

    private static String flag(Args a) throws Args.Bad {
        a.sp();
        String f = a.flag();
        if (!Flags.isValid(f)) throw new Args.Bad("Invalid keyword " + f);
        return f;
    }

    private static LocalDate date(Args a) throws Args.Bad {
        a.sp();
        String d = a.peek() == '"' ? new String(a.stringBytes(), StandardCharsets.US_ASCII) : a.word();
        try {
            return LocalDate.parse(d.trim(), DATE);
        } catch (DateTimeParseException e) {
            throw new Args.Bad("Invalid date " + d + " (expected e.g. 1-Feb-1994)");
        }
    }
}

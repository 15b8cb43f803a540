package io.herald.api.notify;

import io.herald.api.config.Configuration;
import io.herald.api.mailbox.MailboxEvent;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which events a notification plugin serves, from the keys every notification plugin's configuration shares:
 *
 * <ul>
 *   <li>{@code users}: mailboxes (case-insensitive), {@code *@domain} for a whole domain; default {@code *} (all);</li>
 *   <li>{@code folders}: folder names (case-insensitive); default {@code INBOX} (so that mail filed as Junk does not
 *       buzz a phone); {@code *} for all;</li>
 *   <li>{@code events}: {@code added}, {@code flags}, {@code expunged}, {@code folders} (folder created, deleted,
 *       renamed); default {@code added}.</li>
 * </ul>
 *
 * For {@code FolderChanged} events {@code folders} is not applied (a filter on the folder would hide the rename).
 */
public record EventFilter(Set<String> users, Set<String> domains, Set<String> folders, Set<Kind> kinds) {

    /** The kinds of {@link MailboxEvent}, as named in the {@code events} key. */
    public enum Kind {
        ADDED, FLAGS, EXPUNGED, FOLDERS;

        static Kind of(MailboxEvent e) {
            if (e instanceof MailboxEvent.MessageAdded) return ADDED;
            if (e instanceof MailboxEvent.FlagsChanged) return FLAGS;
            if (e instanceof MailboxEvent.Expunged) return EXPUNGED;
            return FOLDERS;
        }
    }

    /** Every event of every user in every folder. */
    public static final EventFilter ALL = new EventFilter(Set.of("*"), Set.of(), Set.of("*"), Set.of(Kind.values()));

    public EventFilter {
        users = lower(users);
        domains = lower(domains);
        folders = lower(folders);
        kinds = Set.copyOf(kinds);
    }

    private static Set<String> lower(Set<String> s) {
        return s.stream().map(x -> x.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
    }

    /** The filter from a plugin's configuration (see the class comment). */
    public static EventFilter from(Configuration config) {
        List<String> users = config.getList("users", List.of("*"));
        Set<String> exact = new java.util.HashSet<>();
        Set<String> domains = new java.util.HashSet<>();
        for (String u : users) {
            if (u.equals("*")) exact.add("*");
            else if (u.startsWith("*@") && u.length() > 2 && u.indexOf('@', 2) < 0) domains.add(u.substring(2));
            else if (u.indexOf('@') > 0 && u.indexOf('@') == u.lastIndexOf('@') && !u.contains("*")) exact.add(u);
            else throw config.invalid("users", config.get("users", ""), "a comma-separated list of addresses, *@domain or *");
        }
        Set<String> folders = Set.copyOf(config.getList("folders", List.of("INBOX")));
        Set<Kind> kinds = new java.util.HashSet<>();
        for (String k : config.getList("events", List.of("added"))) {
            try {
                kinds.add(Kind.valueOf(k.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw config.invalid("events", config.get("events", ""), "a comma-separated list of added, flags, expunged, folders");
            }
        }
        if (folders.isEmpty()) throw config.invalid("folders", config.get("folders", ""), "folder names or *");
        if (kinds.isEmpty()) throw config.invalid("events", config.get("events", ""), "a comma-separated list of added, flags, expunged, folders");
        if (exact.isEmpty() && domains.isEmpty()) throw config.invalid("users", config.get("users", ""), "addresses, *@domain or *");
        return new EventFilter(exact, domains, folders, kinds);
    }

    /** Whether the event is one this filter serves. */
    public boolean matches(MailboxEvent event) {
        if (!kinds.contains(Kind.of(event))) return false;
        if (!servesUser(event.mailbox())) return false;
        String folder = null;
        if (event instanceof MailboxEvent.MessageAdded a) folder = a.folder();
        else if (event instanceof MailboxEvent.FlagsChanged f) folder = f.folder();
        else if (event instanceof MailboxEvent.Expunged x) folder = x.folder();
        return folder == null || folders.contains("*") || folders.contains(folder.toLowerCase(Locale.ROOT));
    }

    /** Whether the filter serves this mailbox (an address). */
    public boolean servesUser(String mailbox) {
        String m = mailbox.toLowerCase(Locale.ROOT);
        if (users.contains("*") || users.contains(m)) return true;
        int at = m.lastIndexOf('@');
        return at >= 0 && domains.contains(m.substring(at + 1));
    }
}

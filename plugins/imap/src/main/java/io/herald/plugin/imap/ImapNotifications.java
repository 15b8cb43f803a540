package io.herald.plugin.imap;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxEvent;
import io.herald.api.notify.NotificationSink;
import jakarta.inject.Singleton;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The IMAP plugin's {@link NotificationSink}: the core's one event path (store → publisher → sinks) tells the
 * sessions of a mailbox that their selected folder changed. It only marks sessions (a session in IDLE is scheduled
 * on the IMAP worker pool at once); it never reads the store or writes to a client on the dispatching thread, so
 * it stays fast whether the core dispatches to sinks on one thread or one queue per sink.
 */
@Singleton
public final class ImapNotifications implements NotificationSink {

    private final Map<String, Set<ImapSession>> sessions = new ConcurrentHashMap<>();

    void register(String mailbox, ImapSession session) {
        sessions.computeIfAbsent(mailbox, k -> ConcurrentHashMap.newKeySet()).add(session);
    }

    void unregister(ImapSession session) {
        if (session.user == null) return;
        sessions.computeIfPresent(session.user, (k, set) -> {
            set.remove(session);
            return set.isEmpty() ? null : set;
        });
    }

    /** Sessions logged in now (tests, metrics). */
    int sessions() {
        return sessions.values().stream().mapToInt(Set::size).sum();
    }

    @Override
    public String name() {
        return "idle";
    }

    /** Takes every event (the default {@code accepts}): one without a logged-in session is simply nobody's business. */
    @Override
    public void onEvent(MailboxEvent event) {
        Set<ImapSession> set = sessions.get(event.mailbox());
        if (set == null) return;
        String folder = null;   // FolderChanged: every session of the mailbox looks again
        if (event instanceof MailboxEvent.MessageAdded e) folder = e.folder();
        else if (event instanceof MailboxEvent.FlagsChanged e) folder = e.folder();
        else if (event instanceof MailboxEvent.Expunged e) folder = e.folder();
        for (ImapSession s : set) {
            Selected sel = s.selected;
            if (sel == null) continue;
            if (folder == null || Folders.normalize(folder).equals(sel.folder)) s.changed();
        }
    }
}

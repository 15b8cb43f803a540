package io.herald.api.notify;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxEvent;

import java.time.Instant;

/**
 * The event {@code herald notify test <address>} sends through every sink: a {@link MailboxEvent.MessageAdded} in
 * the INBOX with UID 0. No stored message has UID 0 (UIDs start at 1, RFC 3501 §2.3.1.1), so a sink can tell a test
 * event from a real one (and, for example, not link to a message); it goes through the same filters, queue and
 * retries as any event.
 */
public final class TestEvent {

    public static final String SUBJECT = "Herald test notification";

    private TestEvent() { }

    /** A test event for this mailbox. */
    public static MailboxEvent.MessageAdded of(String mailbox, String from, Instant time) {
        return new MailboxEvent.MessageAdded(mailbox, Folders.INBOX, 0, 0, from, SUBJECT, 0, false, time);
    }

    /** Whether this event is a test event (a message added with UID 0). */
    public static boolean isTest(MailboxEvent event) {
        return event instanceof MailboxEvent.MessageAdded a && a.uid() == 0;
    }
}

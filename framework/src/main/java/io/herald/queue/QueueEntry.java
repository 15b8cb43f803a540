package io.herald.queue;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.SessionInfo;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One committed message in the queue and where each of its recipients stands. The recipient states change
 * only through {@link FileQueue#update}, which persists them first.
 */
public final class QueueEntry {

    private final String id;
    private final SessionInfo session;
    private final Envelope envelope;
    private final Instant arrival;
    private final List<HeaderField> addedHeaders;
    private final MessageContent content;
    private final RecipientState[] states;
    /** Whether the name of the entry's state file is known to be durable (its folder forced since it was created). */
    private volatile boolean stateFileNamed;

    QueueEntry(String id, SessionInfo session, Envelope envelope, Instant arrival, List<HeaderField> addedHeaders,
               MessageContent content, RecipientState[] states) {
        this.id = id;
        this.session = session;
        this.envelope = envelope;
        this.arrival = arrival;
        this.addedHeaders = List.copyOf(addedHeaders);
        this.content = content;
        this.states = states;
    }

    public String id() { return id; }

    /** The state file's name is durable: a forced change need not force the folder again. */
    boolean stateFileNamed() { return stateFileNamed; }

    void stateFileNamed(boolean named) { stateFileNamed = named; }

    public SessionInfo session() { return session; }

    public Envelope envelope() { return envelope; }

    /** When the message was received (the start of its spool). */
    public Instant arrival() { return arrival; }

    /** Header fields the end-of-DATA hooks added, to be put above {@link #content()}. */
    public List<HeaderField> addedHeaders() { return addedHeaders; }

    /** The message bytes as received, streamed from the queue file. */
    public MessageContent content() { return content; }

    /** The state of every recipient, in envelope order. */
    public synchronized List<RecipientState> recipients() {
        return List.of(states.clone());
    }

    public synchronized RecipientState recipient(int index) {
        return states[index];
    }

    public synchronized boolean finished() {
        return Arrays.stream(states).allMatch(RecipientState::finished);
    }

    /** The earliest next attempt of a deferred recipient, if any recipient is unfinished. */
    public synchronized Optional<Instant> nextAttempt() {
        Instant min = null;
        for (RecipientState s : states) {
            if (s.finished()) continue;
            Instant t = s.nextAttempt().orElse(Instant.EPOCH);
            if (min == null || t.isBefore(min)) min = t;
        }
        return Optional.ofNullable(min);
    }

    /** Whether every recipient would be finished with {@code s} in place of its recipient's current state. */
    synchronized boolean finishedWith(RecipientState s) {
        for (RecipientState r : states) {
            if (!(r.index() == s.index() ? s : r).finished()) return false;
        }
        return true;
    }

    synchronized void set(RecipientState s) {
        states[s.index()] = s;
    }

    /** A snapshot for listings ({@code herald queue list}). */
    public EntryInfo info() {
        return new EntryInfo(id, envelope.reversePathText(), arrival, content.size(), session.sessionId(), recipients());
    }

    /** What a listing shows of one entry. */
    public record EntryInfo(String id, String reversePath, Instant arrival, long size, String sessionId,
                            List<RecipientState> recipients) {
        public EntryInfo {
            recipients = List.copyOf(recipients);
        }
    }

    @Override
    public String toString() {
        return "QueueEntry[" + id + " from " + envelope.reversePathText() + ", " + states.length + " recipients]";
    }
}

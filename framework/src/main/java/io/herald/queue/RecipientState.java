package io.herald.queue;

import io.herald.api.mail.MailAddress;

import java.time.Instant;
import java.util.Optional;

/**
 * Where one recipient of a queue entry stands.
 *
 * @param index       the recipient's position in the envelope (duplicates are allowed in SMTP, so this is the key)
 * @param recipient   the RCPT TO address
 * @param status      pending (never tried), deferred (to be retried), delivered or failed
 * @param attempts    the number of attempts made so far
 * @param nextAttempt when a deferred recipient is tried again
 * @param lastReply   the last outcome as an SMTP-style reply, e.g. {@code 451 4.3.0 mailbox store unavailable}
 * @param updated     when the status last changed
 */
public record RecipientState(int index, MailAddress recipient, Status status, int attempts, Optional<Instant> nextAttempt,
                             String lastReply, Optional<Instant> updated) {

    public enum Status {
        PENDING, DEFERRED, DELIVERED, FAILED;

        public boolean finished() {
            return this == DELIVERED || this == FAILED;
        }
    }

    static RecipientState pending(int index, MailAddress recipient) {
        return new RecipientState(index, recipient, Status.PENDING, 0, Optional.empty(), "", Optional.empty());
    }

    public boolean finished() {
        return status.finished();
    }

    /** True when this recipient should be tried at {@code now}. */
    public boolean due(Instant now) {
        return !finished() && nextAttempt.map(t -> !t.isAfter(now)).orElse(true);
    }
}

package io.herald.queue;

import io.herald.api.mail.Envelope;
import io.herald.api.smtp.SessionInfo;

import java.io.IOException;

/**
 * The durable queue as the SMTP core sees it: a message is streamed into a {@link Spool} and committed;
 * only a committed message is the server's responsibility.
 */
public interface MessageQueue {

    /**
     * Starts receiving one message for an envelope. The spool file exists when this returns.
     *
     * @throws IOException when nothing can be written (e.g. a full disk): the SMTP core answers 452 4.3.1
     */
    Spool open(SessionInfo session, Envelope envelope) throws IOException;

    /**
     * Whether a message of about {@code octets} (0: size unknown) can be taken now without eating into the space the
     * queue keeps free; false makes the SMTP core answer MAIL with {@code 452 4.3.1} (RFC 1870 §6.1). A cheap check
     * (one file-system query), called on the I/O thread; a queue that cannot tell answers true.
     */
    default boolean hasRoomFor(long octets) {
        return true;
    }
}

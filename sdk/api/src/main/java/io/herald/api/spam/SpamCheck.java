package io.herald.api.spam;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.SessionInfo;

import java.io.IOException;
import java.util.Objects;

/**
 * One message to score, with what is known about how it arrived.
 *
 * @param session  the connection: client address ({@link SessionInfo#remote()}), HELO, TLS, authenticated user
 * @param envelope MAIL FROM and the accepted recipients
 * @param message  the message bytes as received (without the header fields this hop adds), streamed
 * @param headers  the message's header section, parsed once for all filters
 */
public record SpamCheck(SessionInfo session, Envelope envelope, MessageContent message, MessageHeaders headers) {

    public SpamCheck {
        Objects.requireNonNull(session, "session");
        Objects.requireNonNull(envelope, "envelope");
        Objects.requireNonNull(message, "message");
        Objects.requireNonNull(headers, "headers");
    }

    /** Reads the header section of {@code message} (only the header section is read). */
    public static SpamCheck of(SessionInfo session, Envelope envelope, MessageContent message) throws IOException {
        return new SpamCheck(session, envelope, message, MessageHeaders.read(message));
    }

    /** True when the client authenticated (a submission from one of our users rather than mail from another server). */
    public boolean authenticated() {
        return session.authenticatedUser().isPresent();
    }
}

package io.herald.spam;

import io.herald.api.smtp.HeaderField;

import java.util.List;

/**
 * What the spam chain decided for one message at this hop.
 * <ul>
 *   <li>{@link Deliver}: not spam; add the headers and go on.</li>
 *   <li>{@link Junk}: spam, but not sure enough to refuse: accept, add the headers, deliver to the Junk folder.</li>
 *   <li>{@link Reject}: refuse at the end of DATA with {@code 550 5.7.1}; nothing is queued.</li>
 * </ul>
 */
public sealed interface SpamDecision {

    /** The header fields to add to the message ({@code X-Spam-Score}, {@code X-Spam-Status}). */
    List<HeaderField> headers();

    /** The summed score. */
    double score();

    record Deliver(double score, List<HeaderField> headers) implements SpamDecision {
        public Deliver { headers = List.copyOf(headers); }
    }

    record Junk(double score, List<HeaderField> headers) implements SpamDecision {
        public Junk { headers = List.copyOf(headers); }
    }

    /** @param text the reply text after {@code 550 5.7.1} */
    record Reject(double score, String text, List<HeaderField> headers) implements SpamDecision {
        public Reject { headers = List.copyOf(headers); }
    }
}

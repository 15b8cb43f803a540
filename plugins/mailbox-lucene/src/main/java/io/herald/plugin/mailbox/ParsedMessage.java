package io.herald.plugin.mailbox;

import java.time.Instant;
import java.util.List;

/**
 * What the indexer could read from a message. Every field may be empty: a message that cannot be parsed is still
 * stored and indexed with what was read.
 *
 * @param date the Date header, or null when missing or unreadable
 */
record ParsedMessage(String from, String to, String cc, String subject, String messageId, Instant date,
                     String body, List<String> attachmentNames) {
}

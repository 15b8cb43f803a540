package io.herald.plugin.mailbox;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What the indexer could read from a message. Every field may be empty: a message that cannot be parsed is still
 * stored and indexed with what was read.
 *
 * @param date    the Date header, or null when missing or unreadable
 * @param headers the top-level header fields (lower-case name, decoded value), capped in number and length
 */
record ParsedMessage(String from, String to, String cc, String bcc, String subject, String messageId, Instant date,
                     String body, List<String> attachmentNames, List<Map.Entry<String, String>> headers) {

    /** Only what the log's summary knows (the message file cannot be read). */
    static ParsedMessage summary(String from, String subject, String messageId) {
        return new ParsedMessage(from, "", "", "", subject, messageId, null, "", List.of(), List.of());
    }
}

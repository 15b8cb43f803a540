package io.herald.api.mailbox;

import io.herald.api.mail.MessageContent;

import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * One message to put into one mailbox folder.
 *
 * @param mailbox      canonical mailbox address, e.g. {@code olaf@herald.test}
 * @param folder       target folder, e.g. {@link Folders#INBOX} or {@link Folders#JUNK}
 * @param content      the message exactly as it is to be stored (trace fields such as {@code Return-Path:} already added)
 * @param deliveryKey  identifies this delivery across retries (queue id + recipient): delivering twice with
 *                     the same key stores the message once
 * @param internalDate the IMAP internal date (time of arrival)
 * @param flags        initial flags, e.g. {@code \Junk}
 */
public record Delivery(String mailbox, String folder, MessageContent content, String deliveryKey,
                       Instant internalDate, Set<String> flags) {
    public Delivery {
        Objects.requireNonNull(mailbox, "mailbox");
        Objects.requireNonNull(folder, "folder");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(deliveryKey, "deliveryKey");
        Objects.requireNonNull(internalDate, "internalDate");
        flags = Set.copyOf(flags);
    }
}

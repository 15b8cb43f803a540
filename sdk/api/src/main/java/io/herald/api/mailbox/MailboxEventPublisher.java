package io.herald.api.mailbox;

/**
 * Offered by the core to the mailbox store: publishing never blocks on the receivers, who get the event
 * asynchronously (notification sinks, IMAP IDLE).
 */
@org.osgi.annotation.versioning.ProviderType
public interface MailboxEventPublisher {
    void publish(MailboxEvent event);
}

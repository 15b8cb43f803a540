package io.herald.queue;

import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One message being received. The SMTP core writes the message bytes as they arrive (dot-unstuffed, CRLF line
 * endings, its own {@code Received:} field first); nothing is held whole in memory.
 */
public interface Spool {

    /** The queue id, as given in {@code 250 2.0.0 queued as <id>}. */
    String id();

    /** Appends message bytes. */
    void write(byte[] bytes, int offset, int length) throws IOException;

    /** The number of message bytes written so far. */
    long size();

    /** The message as written so far, for the end-of-DATA hooks (spam filters) to read before the commit. */
    MessageContent content() throws IOException;

    /**
     * Makes the message durable, with header fields to put above it (added by hooks at the end of DATA).
     * The future completes when the message and its envelope are on stable storage (then the SMTP core
     * answers 250); it fails with an {@link IOException} when they cannot be (then 452 4.3.1).
     * Many spools committed at about the same time share their syncs. The future may already be complete when
     * this returns (a queue may make a lone commit durable on the calling thread, which it then blocks meanwhile).
     */
    CompletableFuture<Void> commit(List<HeaderField> addedHeaders);

    /** Forgets the message: the transaction was aborted or refused. Safe to call more than once. */
    void discard();
}

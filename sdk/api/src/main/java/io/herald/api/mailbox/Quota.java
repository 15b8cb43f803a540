package io.herald.api.mailbox;

/**
 * A mailbox's usage and limits (RFC 9208 STORAGE in octets and MESSAGE); a limit of 0 means unlimited.
 * Every copy of a message counts, as IMAP clients expect.
 */
public record Quota(long usedBytes, long limitBytes, long usedMessages, long limitMessages) { }

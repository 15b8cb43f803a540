package io.herald.api.mail;

import java.io.IOException;
import java.io.InputStream;

/**
 * The bytes of one message (RFC 5322 header and body, CRLF line endings), readable as often as needed.
 * Implementations stream from disk; a message is never required to fit in memory.
 */
@org.osgi.annotation.versioning.ProviderType
public interface MessageContent {

    /** The size in octets. */
    long size();

    /** A fresh stream over the whole message. The caller closes it. */
    InputStream open() throws IOException;

    /** A message held in memory; for small messages, tests and examples. */
    static MessageContent of(byte[] bytes) {
        byte[] copy = bytes.clone();
        return new MessageContent() {
            @Override public long size() { return copy.length; }
            @Override public InputStream open() { return new java.io.ByteArrayInputStream(copy); }
        };
    }
}

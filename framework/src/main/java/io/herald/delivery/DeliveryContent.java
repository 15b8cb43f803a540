package io.herald.delivery;

import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The message as it goes into a mailbox: {@code Return-Path:} (RFC 5321 §4.4, added at final delivery), the
 * header fields the end-of-DATA hooks added, then the bytes as received, streamed from the queue file.
 */
final class DeliveryContent implements MessageContent {

    private final byte[] prefix;
    private final MessageContent body;

    DeliveryContent(String reversePathText, List<HeaderField> addedHeaders, MessageContent body) {
        this(new StringBuilder("Return-Path: ").append(reversePathText).append("\r\n"), addedHeaders, body);
    }

    /** The message as relayed to the next hop: the added header fields and the bytes as received (no Return-Path). */
    static DeliveryContent relayed(List<HeaderField> addedHeaders, MessageContent body) {
        return new DeliveryContent(new StringBuilder(), addedHeaders, body);
    }

    private DeliveryContent(StringBuilder b, List<HeaderField> addedHeaders, MessageContent body) {
        for (HeaderField h : addedHeaders) b.append(h.render());
        // UTF-8: an SMTPUTF8 (RFC 6531) reverse-path or header value stays as sent
        this.prefix = b.toString().getBytes(StandardCharsets.UTF_8);
        this.body = body;
    }

    @Override
    public long size() {
        return prefix.length + body.size();
    }

    @Override
    public InputStream open() throws IOException {
        return new SequenceInputStream(new ByteArrayInputStream(prefix), body.open());
    }
}

package io.herald.api.smtp;

import java.util.Objects;

/**
 * A header field a hook asks to add at the top of the message, e.g. {@code X-Spam-Status}.
 * The value may be folded by the core; it must not contain CR or LF itself.
 */
public record HeaderField(String name, String value) {
    public HeaderField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(value, "value");
        if (name.isEmpty() || !name.chars().allMatch(c -> c > 32 && c < 127 && c != ':'))
            throw new IllegalArgumentException("not a header field name: " + name);
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0)
            throw new IllegalArgumentException("header value contains CR or LF");
    }

    /** The field as it is written into the message, with CRLF. */
    public String render() {
        return name + ": " + value + "\r\n";
    }
}

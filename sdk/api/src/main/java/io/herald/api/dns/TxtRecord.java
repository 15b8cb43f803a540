package io.herald.api.dns;

import java.util.List;

/**
 * One TXT record (RFC 1035 §3.3.14): one or more character-strings, each up to 255 octets, as sent.
 *
 * @param strings the record's character-strings in order, decoded as ISO-8859-1 so that every octet is kept
 */
public record TxtRecord(List<String> strings) {

    public TxtRecord {
        strings = List.copyOf(strings);
    }

    /**
     * The strings joined without a separator: how SPF (RFC 7208 §3.3) and DKIM (RFC 6376 §3.6.2.2) read a record
     * split into several strings.
     */
    public String text() {
        return String.join("", strings);
    }
}

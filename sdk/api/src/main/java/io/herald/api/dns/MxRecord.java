package io.herald.api.dns;

import java.util.Locale;

/**
 * One MX record (RFC 1035 §3.3.9, RFC 5321 §5.1).
 *
 * @param preference lower is preferred (0..65535)
 * @param exchange   the mail exchanger's host name, lower case, without the trailing dot; the empty string for the
 *                   root name {@code "."}, which in a lone MX record with preference 0 is a null MX (RFC 7505)
 */
public record MxRecord(int preference, String exchange) {

    public MxRecord {
        if (preference < 0 || preference > 65535) throw new IllegalArgumentException("MX preference out of range: " + preference);
        exchange = exchange.endsWith(".") ? exchange.substring(0, exchange.length() - 1) : exchange;
        exchange = exchange.toLowerCase(Locale.ROOT);
    }

    /**
     * True for the null MX of RFC 7505 §3: preference 0 and the root name as exchange. (The RFC says such a record
     * must be the only MX of the domain; a caller seeing it beside others should treat the domain as having no mail
     * service too, §4.)
     */
    public boolean isNullMx() {
        return preference == 0 && exchange.isEmpty();
    }
}

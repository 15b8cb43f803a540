package io.herald.plugin.imap;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Mailbox names in IMAP's modified UTF-7 (RFC 3501 §5.1.3): printable US-ASCII stands for itself except {@code &},
 * written {@code &-}; anything else is UTF-16 in modified base64 ({@code ,} instead of {@code /}, no padding) between
 * {@code &} and {@code -}. The store keeps names as Unicode; the session converts at the edge.
 */
public final class ModifiedUtf7 {

    private ModifiedUtf7() { }

    public static String encode(String name) {
        StringBuilder out = new StringBuilder(name.length() + 8);
        int i = 0;
        while (i < name.length()) {
            char c = name.charAt(i);
            if (c >= 0x20 && c <= 0x7e) {
                out.append(c == '&' ? "&-" : String.valueOf(c));
                i++;
                continue;
            }
            int j = i;
            while (j < name.length() && (name.charAt(j) < 0x20 || name.charAt(j) > 0x7e)) j++;
            byte[] utf16 = name.substring(i, j).getBytes(StandardCharsets.UTF_16BE);
            out.append('&').append(Base64.getEncoder().withoutPadding().encodeToString(utf16).replace('/', ',')).append('-');
            i = j;
        }
        return out.toString();
    }

    /** @throws IllegalArgumentException when the name is not valid modified UTF-7 */
    public static String decode(String name) {
        StringBuilder out = new StringBuilder(name.length());
        int i = 0;
        while (i < name.length()) {
            char c = name.charAt(i);
            if (c > 0x7e || c < 0x20) throw new IllegalArgumentException("8-bit or control character in a mailbox name: " + name);
            if (c != '&') {
                out.append(c);
                i++;
                continue;
            }
            int end = name.indexOf('-', i + 1);
            if (end < 0) throw new IllegalArgumentException("unterminated &...- in mailbox name: " + name);
            if (end == i + 1) {
                out.append('&');
            } else {
                String b64 = name.substring(i + 1, end).replace(',', '/');
                byte[] utf16;
                try {
                    utf16 = Base64.getDecoder().decode(b64);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("bad modified base64 in mailbox name: " + name, e);
                }
                if (utf16.length % 2 != 0) throw new IllegalArgumentException("odd UTF-16 length in mailbox name: " + name);
                out.append(new String(utf16, StandardCharsets.UTF_16BE));
            }
            i = end + 1;
        }
        return out.toString();
    }
}

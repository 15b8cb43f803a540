package io.herald.plugin.dnsbl;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;

/** The names RFC 5782 §2.1 and §2.4 look up for an address under a zone. */
final class Rfc5782 {

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Rfc5782() { }

    /**
     * IPv4: the octets reversed ({@code 192.0.2.99} under {@code bl.example} is {@code 99.2.0.192.bl.example});
     * IPv6: the 32 nibbles reversed, dot-separated (§2.4).
     */
    static String queryName(InetAddress address, String zone) {
        StringBuilder b = new StringBuilder(80);
        byte[] a = address.getAddress();
        if (address instanceof Inet4Address) {
            for (int i = 3; i >= 0; i--) b.append(a[i] & 0xff).append('.');
        } else if (address instanceof Inet6Address) {
            for (int i = 15; i >= 0; i--) {
                b.append(HEX[a[i] & 0x0f]).append('.').append(HEX[(a[i] >> 4) & 0x0f]).append('.');
            }
        } else {
            throw new IllegalArgumentException("not an IP address: " + address);
        }
        return b.append(zone).toString();
    }
}

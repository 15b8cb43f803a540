package io.herald.plugin.spamauth;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/** The address named by a reverse-DNS name: {@code 4.3.2.1.in-addr.arpa} (RFC 1035 §3.5), nibbles under {@code ip6.arpa} (RFC 3596 §2.5). */
final class ReverseName {

    private ReverseName() { }

    static InetAddress address(String name) throws UnknownHostException {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.endsWith(".")) n = n.substring(0, n.length() - 1);
        if (n.endsWith(".in-addr.arpa")) {
            String[] p = n.substring(0, n.length() - ".in-addr.arpa".length()).split("\\.");
            if (p.length != 4) throw new IllegalArgumentException("not an IPv4 reverse name: " + name);
            byte[] b = new byte[4];
            for (int i = 0; i < 4; i++) {
                int v = Integer.parseInt(p[3 - i]);
                if (v < 0 || v > 255) throw new IllegalArgumentException("not an IPv4 reverse name: " + name);
                b[i] = (byte) v;
            }
            return InetAddress.getByAddress(b);
        }
        if (n.endsWith(".ip6.arpa")) {
            String[] p = n.substring(0, n.length() - ".ip6.arpa".length()).split("\\.");
            if (p.length != 32) throw new IllegalArgumentException("not an IPv6 reverse name: " + name);
            byte[] b = new byte[16];
            for (int i = 0; i < 32; i++) {
                int nibble = Character.digit(p[31 - i].charAt(0), 16);
                if (p[31 - i].length() != 1 || nibble < 0) throw new IllegalArgumentException("not an IPv6 reverse name: " + name);
                b[i / 2] |= (byte) (i % 2 == 0 ? nibble << 4 : nibble);
            }
            return InetAddress.getByAddress(b);
        }
        throw new IllegalArgumentException("not a reverse name: " + name);
    }
}

package io.herald.plugin.dnsbl;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;

/**
 * One DNS block list.
 *
 * @param name   the zone, e.g. {@code zen.example.net}
 * @param weight the score added when the client is listed
 * @param reason the reason name in {@code X-Spam-Status}, e.g. {@code DNSBL_ZEN_EXAMPLE_NET}
 * @param codes  the answers that count as "listed"; empty: any address in 127.0.0.0/8 except 127.0.0.1 and the
 *               error answers 127.255.255.0/24 (RFC 5782 §2.1, §5)
 */
record Zone(String name, double weight, String reason, List<InetAddress> codes) {

    Zone {
        codes = List.copyOf(codes);
    }

    /** True when this answer means "listed". */
    boolean listed(InetAddress answer) {
        if (!codes.isEmpty()) return codes.contains(answer);
        if (!(answer instanceof Inet4Address)) return false;
        byte[] b = answer.getAddress();
        if (b[0] != 127) return false; // RFC 5782 §2.1: entries are 127.0.0.0/8 addresses
        if (b[1] == 0 && b[2] == 0 && b[3] == 1) return false; // 127.0.0.1 never means listed
        return !((b[1] & 0xff) == 255 && (b[2] & 0xff) == 255); // 127.255.255.x: lists' error codes (query refused)
    }
}

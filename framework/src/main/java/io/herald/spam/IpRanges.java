package io.herald.spam;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A list of IP addresses and CIDR ranges ({@code 192.0.2.7}, {@code 198.51.100.0/24}, {@code 2001:db8::/32}),
 * IPv4 and IPv6. Host names are refused: a relay is trusted by address, never by a name it may choose itself.
 */
public final class IpRanges {

    private record Range(byte[] network, int prefix, String text) { }

    private final List<Range> ranges;

    private IpRanges(List<Range> ranges) {
        this.ranges = List.copyOf(ranges);
    }

    public static final IpRanges NONE = new IpRanges(List.of());

    /**
     * Parses the items of a list.
     *
     * @return the ranges, or the first item that is not an address or range (as the error)
     */
    public static IpRanges parse(List<String> items) {
        List<Range> out = new ArrayList<>();
        for (String item : items) {
            out.add(parseOne(item).orElseThrow(() -> new IllegalArgumentException(item)));
        }
        return new IpRanges(out);
    }

    private static Optional<Range> parseOne(String item) {
        String s = item.trim();
        int slash = s.indexOf('/');
        String addr = slash < 0 ? s : s.substring(0, slash);
        if (addr.isEmpty() || !addr.matches("[0-9a-fA-F:.]+")) return Optional.empty(); // literal only: no DNS
        if (!addr.contains(":") && !addr.matches("\\d{1,3}(\\.\\d{1,3}){3}")) return Optional.empty();
        byte[] bytes;
        try {
            bytes = InetAddress.getByName(addr).getAddress();
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
        int max = bytes.length * 8;
        int prefix = max;
        if (slash >= 0) {
            try {
                prefix = Integer.parseInt(s.substring(slash + 1));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            if (prefix < 0 || prefix > max) return Optional.empty();
        }
        return Optional.of(new Range(bytes, prefix, s));
    }

    public boolean contains(InetAddress address) {
        if (address == null) return false;
        byte[] a = address.getAddress();
        if (a.length == 16 && isMappedV4(a)) a = java.util.Arrays.copyOfRange(a, 12, 16);
        for (Range r : ranges) {
            if (r.network.length == a.length && matches(r.network, a, r.prefix)) return true;
        }
        return false;
    }

    public boolean isEmpty() {
        return ranges.isEmpty();
    }

    private static boolean isMappedV4(byte[] a) {
        for (int i = 0; i < 10; i++) if (a[i] != 0) return false;
        return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
    }

    private static boolean matches(byte[] net, byte[] a, int prefix) {
        int full = prefix / 8;
        for (int i = 0; i < full; i++) if (net[i] != a[i]) return false;
        int rest = prefix % 8;
        if (rest == 0) return true;
        int mask = (0xff << (8 - rest)) & 0xff;
        return (net[full] & mask) == (a[full] & mask);
    }

    @Override
    public String toString() {
        return ranges.stream().map(Range::text).toList().toString();
    }
}

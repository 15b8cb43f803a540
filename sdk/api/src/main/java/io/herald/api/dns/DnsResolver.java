package io.herald.api.dns;

import java.net.InetAddress;

/**
 * DNS lookups for plugins (MX routing, SPF, DKIM, DMARC, DNS block lists, reverse DNS), offered by the core and
 * injected with {@code @Inject DnsResolver}. The core's implementation asks the resolvers named in
 * {@code conf/dns.cfg} ({@code servers}, default: the system's resolvers from {@code /etc/resolv.conf}).
 *
 * <p><b>Names.</b> Every name is taken as absolute (no search list, no {@code /etc/hosts}); a trailing dot is
 * allowed. A string that is not a valid domain name (an empty label, a label over 63 octets, a name over 255 octets)
 * is refused with {@link IllegalArgumentException}, never sent.
 *
 * <p><b>Results.</b> Each lookup returns a {@link DnsResult}: {@link DnsResult.Found} with the records,
 * {@link DnsResult.NoSuchDomain}, {@link DnsResult.NoData}, or {@link DnsResult.TemporaryFailure}. Nothing is
 * thrown for a DNS failure; the caller decides its own policy (a router defers with {@code 451 4.4.3}, a spam check
 * treats the check as not done, RFC 7208 §5 "temperror"). CNAME chains are followed (at most a few links).
 *
 * <p><b>Threading and time.</b> Thread-safe; call it from any thread, but not from a network I/O thread: a lookup
 * blocks the calling thread until the answer, and never longer than the configured time limit ({@code timeout},
 * default 5s, for all tries of one lookup together), after which it returns a {@link DnsResult.TemporaryFailure}.
 * Answers are cached for their time to live; failures are not cached.
 */
public interface DnsResolver {

    /** The MX records of a domain (RFC 5321 §5.1), in the order the server answered. */
    DnsResult<MxRecord> mx(String domain);

    /** The IPv4 addresses of a host (A records). */
    DnsResult<InetAddress> a(String host);

    /** The IPv6 addresses of a host (AAAA records). */
    DnsResult<InetAddress> aaaa(String host);

    /** The TXT records of a name. */
    DnsResult<TxtRecord> txt(String name);

    /**
     * The host names of an address (PTR records under {@code in-addr.arpa} or {@code ip6.arpa}), lower case,
     * without the trailing dot. Not verified: a caller that trusts a name must look its addresses up again
     * (forward-confirmed reverse DNS).
     */
    DnsResult<String> ptr(InetAddress address);
}

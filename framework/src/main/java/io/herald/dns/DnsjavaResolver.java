package io.herald.dns;

import io.herald.api.dns.DnsResolver;
import io.herald.api.dns.DnsResult;
import io.herald.api.dns.MxRecord;
import io.herald.api.dns.TxtRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Cache;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.lookup.LookupFailedException;
import org.xbill.DNS.lookup.LookupResult;
import org.xbill.DNS.lookup.LookupSession;
import org.xbill.DNS.lookup.NoSuchDomainException;
import org.xbill.DNS.lookup.NoSuchRRSetException;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * The core's {@link DnsResolver}, on dnsjava's {@link LookupSession} (CNAME following, a TTL cache per record type)
 * over an {@link ExtendedResolver} asking the configured servers in order ({@link DnsSettings}).
 *
 * <p>The time limit is enforced here, on the whole lookup: the resolver's own time-out is set to the same value so
 * that a server that never answers ends in a {@link DnsResult.TemporaryFailure}, and the caller's thread waits at most
 * {@code timeout} plus a small margin.
 */
public final class DnsjavaResolver implements DnsResolver {

    private static final Logger log = LoggerFactory.getLogger(DnsjavaResolver.class);

    private final LookupSession session;
    private final Duration timeout;
    private final String description;

    public DnsjavaResolver(DnsSettings settings) {
        List<InetSocketAddress> servers = settings.servers();
        if (servers.isEmpty()) servers = ResolverConfig.getCurrentConfig().servers();
        if (servers.isEmpty()) servers = List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), 53));
        List<Resolver> resolvers = new ArrayList<>();
        for (InetSocketAddress s : servers) {
            SimpleResolver r = new SimpleResolver(s);
            r.setTimeout(settings.timeout());
            resolvers.add(r);
        }
        ExtendedResolver resolver = new ExtendedResolver(resolvers);
        resolver.setLoadBalance(false);
        resolver.setRetries(settings.retries() + 1);
        resolver.setTimeout(settings.timeout());
        LookupSession.LookupSessionBuilder b = LookupSession.builder().resolver(resolver).clearSearchPath().ndots(0);
        if (settings.cache()) {
            for (int type : new int[] {Type.MX, Type.A, Type.AAAA, Type.TXT, Type.PTR}) b.cache(type, new Cache(DClass.IN));
        } else {
            b.clearCaches();
        }
        this.session = b.build();
        this.timeout = settings.timeout();
        this.description = "DNS resolver " + servers + " (timeout " + timeout + ", cache " + settings.cache() + ")";
        log.info("{}", description);
    }

    @Override
    public DnsResult<MxRecord> mx(String domain) {
        return lookup(domain, Type.MX, r -> {
            MXRecord mx = (MXRecord) r;
            return new MxRecord(mx.getPriority(), mx.getTarget().toString(true));
        });
    }

    @Override
    public DnsResult<InetAddress> a(String host) {
        return lookup(host, Type.A, r -> ((ARecord) r).getAddress());
    }

    @Override
    public DnsResult<InetAddress> aaaa(String host) {
        return lookup(host, Type.AAAA, r -> ((AAAARecord) r).getAddress());
    }

    @Override
    public DnsResult<TxtRecord> txt(String name) {
        return lookup(name, Type.TXT, r -> {
            List<String> strings = new ArrayList<>();
            for (byte[] s : ((TXTRecord) r).getStringsAsByteArrays()) strings.add(new String(s, StandardCharsets.ISO_8859_1));
            return new TxtRecord(strings);
        });
    }

    @Override
    public DnsResult<String> ptr(InetAddress address) {
        Name name = ReverseMap.fromAddress(address);
        return lookup(name, name.toString(true), Type.PTR, r -> ((PTRRecord) r).getTarget().toString(true).toLowerCase(java.util.Locale.ROOT));
    }

    private <T> DnsResult<T> lookup(String text, int type, Function<Record, T> convert) {
        return lookup(name(text), text, type, convert);
    }

    private <T> DnsResult<T> lookup(Name name, String text, int type, Function<Record, T> convert) {
        LookupResult result;
        try {
            result = session.lookupAsync(name, type).toCompletableFuture().get(timeout.toMillis() + 250, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new DnsResult.TemporaryFailure<>(text, "interrupted");
        } catch (TimeoutException e) {
            return new DnsResult.TemporaryFailure<>(text, "no answer within " + timeout);
        } catch (ExecutionException e) {
            return failure(text, type, e.getCause());
        } catch (CompletionException e) {
            return failure(text, type, e.getCause());
        }
        List<T> out = new ArrayList<>();
        long ttl = Long.MAX_VALUE;
        for (Record r : result.getRecords()) {
            if (r.getType() != type) continue;
            out.add(convert.apply(r));
            ttl = Math.min(ttl, r.getTTL());
        }
        if (out.isEmpty()) return new DnsResult.NoData<>(text);
        return new DnsResult.Found<>(out, Duration.ofSeconds(ttl));
    }

    private static <T> DnsResult<T> failure(String text, int type, Throwable cause) {
        if (cause instanceof NoSuchDomainException) return new DnsResult.NoSuchDomain<>(text);
        if (cause instanceof NoSuchRRSetException) return new DnsResult.NoData<>(text);
        String reason = cause instanceof LookupFailedException ? cause.getMessage() : cause.toString();
        log.debug("DNS {} {}: temporary failure: {}", Type.string(type), text, reason);
        return new DnsResult.TemporaryFailure<>(text, reason == null ? cause.getClass().getSimpleName() : reason);
    }

    /** An absolute name, or {@link IllegalArgumentException} naming what is wrong with it. */
    static Name name(String text) {
        if (text == null || text.isBlank()) throw new IllegalArgumentException("not a domain name: empty");
        String t = text.trim();
        if (t.startsWith(".") || t.contains("..")) throw new IllegalArgumentException("not a domain name (empty label): " + text);
        try {
            return Name.fromString(t.endsWith(".") ? t : t + ".");
        } catch (TextParseException e) {
            throw new IllegalArgumentException("not a domain name: " + text + " (" + e.getMessage() + ")", e);
        }
    }

    @Override
    public String toString() {
        return description;
    }
}

package io.herald.plugin.spamauth;

import io.herald.api.dns.DnsResolver;
import io.herald.api.dns.DnsResult;
import io.herald.api.dns.MxRecord;
import io.herald.api.dns.TxtRecord;
import org.apache.james.jspf.core.DNSRequest;
import org.apache.james.jspf.core.DNSService;
import org.apache.james.jspf.core.exceptions.TimeoutException;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * jSPF's {@link DNSService} over the core's {@link DnsResolver}, answering as jSPF's own dnsjava implementation does:
 * the records as strings (addresses, host names, joined TXT strings), {@code null} for a name without records of the
 * type or that does not exist, and {@link TimeoutException} for a temporary failure (which jSPF reports as
 * {@code temperror}, RFC 7208 §2.6.6).
 */
final class JspfDns implements DNSService {

    private final DnsResolver dns;
    private volatile int recordLimit = 10; // RFC 7208 §4.6.4: at most 10 DNS-querying terms

    JspfDns(DnsResolver dns) {
        this.dns = dns;
    }

    @Override
    public List<String> getRecords(DNSRequest request) throws TimeoutException {
        String name = request.getHostname();
        DnsResult<String> r;
        try {
            r = switch (request.getRecordType()) {
                case DNSRequest.A -> dns.a(name).map(InetAddress::getHostAddress);
                case DNSRequest.AAAA -> dns.aaaa(name).map(InetAddress::getHostAddress);
                case DNSRequest.MX -> dns.mx(name).map(MxRecord::exchange);
                case DNSRequest.TXT -> dns.txt(name).map(TxtRecord::text);
                case DNSRequest.PTR -> ptr(name);
                // the SPF RR type (99) is obsolete (RFC 7208 §3.1); only TXT is asked for
                default -> new DnsResult.NoData<>(name);
            };
        } catch (IllegalArgumentException e) {
            return null; // not a domain name (e.g. a macro expanded to garbage): no records
        }
        if (r instanceof DnsResult.TemporaryFailure<String> t) throw new TimeoutException(t.reason());
        List<String> records = r.records();
        return records.isEmpty() ? null : records;
    }

    /** jSPF asks PTR by the reverse name ({@code 4.3.2.1.in-addr.arpa}); the resolver by address. */
    private DnsResult<String> ptr(String name) {
        try {
            return dns.ptr(ReverseName.address(name));
        } catch (UnknownHostException | IllegalArgumentException e) {
            return new DnsResult.NoData<>(name);
        }
    }

    @Override
    public CompletionStage<List<String>> getRecordsAsync(DNSRequest request) {
        try {
            return CompletableFuture.completedFuture(getRecords(request));
        } catch (TimeoutException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public List<String> getLocalDomainNames() {
        return List.of();
    }

    @Override
    public void setTimeOut(int timeOut) {
        // the core's resolver has its own time limit (conf/dns.cfg: timeout)
    }

    @Override
    public int getRecordLimit() {
        return recordLimit;
    }

    @Override
    public void setRecordLimit(int recordLimit) {
        this.recordLimit = recordLimit;
    }
}

package io.herald.plugin.spamauth;

import io.herald.api.dns.DnsResolver;
import io.herald.api.dns.DnsResult;
import io.herald.api.dns.TxtRecord;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.apache.james.jdkim.exceptions.TempFailException;

import java.util.List;

/**
 * jDKIM's key lookup over the core's {@link DnsResolver}: the TXT records at {@code <selector>._domainkey.<domain>}
 * (RFC 6376 §3.6.2.1), each record's strings joined (§3.6.2.2). No record is a permanent failure (§6.1.2 step 3:
 * {@code PERMFAIL (no key for signature)}), a DNS failure a temporary one.
 */
final class DkimKeys implements PublicKeyRecordRetriever {

    private final DnsResolver dns;

    DkimKeys(DnsResolver dns) {
        this.dns = dns;
    }

    @Override
    public List<String> getRecords(CharSequence methodAndOptions, CharSequence selector, CharSequence token)
            throws TempFailException, PermFailException {
        if (!"dns/txt".contentEquals(methodAndOptions))
            throw new PermFailException("only dns/txt key lookups are known, not " + methodAndOptions);
        String name = selector + "._domainkey." + token;
        DnsResult<TxtRecord> r;
        try {
            r = dns.txt(name);
        } catch (IllegalArgumentException e) {
            throw new PermFailException("not a key record name: " + name);
        }
        if (r instanceof DnsResult.Found<TxtRecord> f) return f.records().stream().map(TxtRecord::text).toList();
        if (r instanceof DnsResult.TemporaryFailure<TxtRecord> t) throw new TempFailException("key lookup " + name + ": " + t.reason());
        if (r instanceof DnsResult.NoSuchDomain<TxtRecord>) throw new PermFailException("no key for signature: " + name + " does not exist");
        throw new PermFailException("no key for signature: no TXT record at " + name);
    }
}

package io.herald.plugin.spamauth;

import io.herald.api.dns.DnsResolver;
import io.herald.api.dns.DnsResult;
import io.herald.api.dns.TxtRecord;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.IntSupplier;

/**
 * DMARC (RFC 7489): policy discovery at {@code _dmarc.<From domain>}, then at {@code _dmarc.<organizational domain>}
 * (§6.6.3), identifier alignment of the SPF-authenticated MAIL FROM domain and of the {@code d=} of each valid DKIM
 * signature with the {@code From:} domain (§3.1, relaxed or strict per {@code aspf}/{@code adkim}), and the policy to
 * apply when neither aligns ({@code p}, {@code sp} for subdomains, sampled by {@code pct}, §6.6.4).
 *
 * <p>The organizational domain (§3.2) needs the Public Suffix List, which Herald does not ship: it is approximated
 * as the last two labels, or three when the second-to-last is a common second-level registry label
 * ({@code co}, {@code com}, {@code net}, {@code org}, {@code ac}, {@code gov}, {@code edu}, … under a two-letter
 * country code, e.g. {@code example.co.uk}). Private suffixes (e.g. hosting providers' domains) are not known.
 */
final class Dmarc {

    /** The policy a domain owner asks for (§6.3 {@code p=}). */
    enum Policy { NONE, QUARANTINE, REJECT }

    /** A parsed {@code v=DMARC1} record. */
    record Record(Policy p, Optional<Policy> sp, boolean strictDkim, boolean strictSpf, int pct) { }

    /** The DMARC outcome for one message. */
    sealed interface Outcome {
        /** No policy published (or no usable From: domain): DMARC does not apply. */
        record None(String why) implements Outcome { }
        /** An identifier aligned. */
        record Pass(String fromDomain, Record record, String via) implements Outcome { }
        /** Nothing aligned; {@code applied} is the policy after {@code pct} sampling. */
        record Fail(String fromDomain, Record record, Policy applied) implements Outcome { }
        /** The policy lookup failed temporarily. */
        record TempError(String fromDomain, String reason) implements Outcome { }
        /** More than one From: address, or a record that cannot be used. */
        record PermError(String why) implements Outcome { }
    }

    private static final Set<String> SECOND_LEVEL = Set.of("co", "com", "net", "org", "ac", "gov", "edu", "or", "ne", "go", "mil", "nom", "sch", "ltd", "plc");

    private final DnsResolver dns;
    private final IntSupplier percent; // 0..99, for pct sampling

    Dmarc(DnsResolver dns, IntSupplier percent) {
        this.dns = dns;
        this.percent = percent;
    }

    /**
     * @param fromDomain    the domain of the single RFC 5322 From: address
     * @param spfPassDomain the MAIL FROM (or HELO) domain when SPF passed
     * @param dkimPassDomains the {@code d=} of every valid DKIM signature
     */
    Outcome evaluate(String fromDomain, Optional<String> spfPassDomain, List<String> dkimPassDomains) {
        String from = fromDomain.toLowerCase(Locale.ROOT);
        String org = organizationalDomain(from);
        Lookup l = lookup("_dmarc." + from);
        boolean subdomainPolicy = false;
        if (l instanceof Lookup.Missing && !org.equals(from)) {
            l = lookup("_dmarc." + org);
            subdomainPolicy = true;
        }
        if (l instanceof Lookup.Missing m) return new Outcome.None(m.why());
        if (l instanceof Lookup.Temp t) return new Outcome.TempError(from, t.reason());
        Record rec = ((Lookup.Found) l).record();

        for (String d : dkimPassDomains) {
            if (aligned(d.toLowerCase(Locale.ROOT), from, rec.strictDkim())) return new Outcome.Pass(from, rec, "dkim");
        }
        if (spfPassDomain.isPresent() && aligned(spfPassDomain.get().toLowerCase(Locale.ROOT), from, rec.strictSpf()))
            return new Outcome.Pass(from, rec, "spf");

        Policy policy = subdomainPolicy ? rec.sp().orElse(rec.p()) : rec.p();
        if (rec.pct() < 100 && percent.getAsInt() >= rec.pct()) {
            // §6.6.4: a message outside the sample gets the next less strict policy
            policy = policy == Policy.REJECT ? Policy.QUARANTINE : Policy.NONE;
        }
        return new Outcome.Fail(from, rec, policy);
    }

    private sealed interface Lookup {
        record Found(Record record) implements Lookup { }
        record Missing(String why) implements Lookup { }
        record Temp(String reason) implements Lookup { }
    }

    private Lookup lookup(String name) {
        DnsResult<TxtRecord> r;
        try {
            r = dns.txt(name);
        } catch (IllegalArgumentException e) {
            return new Lookup.Missing("not a domain name: " + name);
        }
        if (r instanceof DnsResult.TemporaryFailure<TxtRecord> t) return new Lookup.Temp(t.reason());
        // §6.6.3: records that do not start with v=DMARC1 are discarded; not exactly one left: no policy
        List<String> candidates = new ArrayList<>();
        for (TxtRecord t : r.records()) {
            String text = t.text().strip();
            if (text.startsWith("v=DMARC1")) candidates.add(text);
        }
        if (candidates.isEmpty()) return new Lookup.Missing("no DMARC record at " + name);
        if (candidates.size() > 1) return new Lookup.Missing(candidates.size() + " DMARC records at " + name);
        Optional<Record> parsed = parse(candidates.get(0));
        return parsed.<Lookup>map(Lookup.Found::new).orElseGet(() -> new Lookup.Missing("unusable DMARC record at " + name));
    }

    /** Parses a DMARC record (§6.3, §6.4); empty when it cannot be used (no valid {@code p}). */
    static Optional<Record> parse(String text) {
        Map<String, String> tags = new LinkedHashMap<>();
        for (String part : text.split(";")) {
            int eq = part.indexOf('=');
            if (eq <= 0) continue;
            tags.putIfAbsent(part.substring(0, eq).strip().toLowerCase(Locale.ROOT), part.substring(eq + 1).strip());
        }
        if (!"DMARC1".equals(tags.get("v"))) return Optional.empty();
        Optional<Policy> p = policy(tags.get("p"));
        if (p.isEmpty()) {
            // §6.6.3 step 6: an invalid or missing p= with a valid rua= is taken as p=none
            if (tags.containsKey("rua")) p = Optional.of(Policy.NONE);
            else return Optional.empty();
        }
        Optional<Policy> sp = policy(tags.get("sp"));
        int pct = 100;
        if (tags.containsKey("pct")) {
            try {
                pct = Math.max(0, Math.min(100, Integer.parseInt(tags.get("pct"))));
            } catch (NumberFormatException e) {
                pct = 100; // §6.3: an invalid value is ignored
            }
        }
        return Optional.of(new Record(p.get(), sp, "s".equalsIgnoreCase(tags.get("adkim")), "s".equalsIgnoreCase(tags.get("aspf")), pct));
    }

    private static Optional<Policy> policy(String v) {
        if (v == null) return Optional.empty();
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "none" -> Optional.of(Policy.NONE);
            case "quarantine" -> Optional.of(Policy.QUARANTINE);
            case "reject" -> Optional.of(Policy.REJECT);
            default -> Optional.empty();
        };
    }

    /** §3.1: strict — the same domain; relaxed — the same organizational domain. */
    static boolean aligned(String identifier, String fromDomain, boolean strict) {
        if (strict) return identifier.equals(fromDomain);
        return organizationalDomain(identifier).equals(organizationalDomain(fromDomain));
    }

    /** §3.2, approximated without the Public Suffix List (see the class comment). */
    static String organizationalDomain(String domain) {
        String d = domain.toLowerCase(Locale.ROOT);
        while (d.endsWith(".")) d = d.substring(0, d.length() - 1);
        String[] l = d.split("\\.");
        if (l.length <= 2) return d;
        int keep = l[l.length - 1].length() == 2 && SECOND_LEVEL.contains(l[l.length - 2]) ? 3 : 2;
        return String.join(".", java.util.Arrays.copyOfRange(l, l.length - keep, l.length));
    }
}

package io.herald.plugin.spamauth;

import io.herald.api.config.Configuration;
import io.herald.api.config.ServerIdentity;
import io.herald.api.dns.DnsResolver;
import io.herald.api.mail.MailAddress;
import io.herald.api.plugin.PluginContext;
import io.herald.api.smtp.HeaderField;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamFilter;
import io.herald.api.spam.SpamVerdict;
import io.herald.api.spam.SpamVerdict.Reason;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.Result;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.james.jspf.impl.SPF;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;

/**
 * SPF, DKIM and DMARC for mail from other servers, scored and recorded in {@code Authentication-Results}
 * (RFC 8601) with this server's host name as the authserv-id.
 *
 * <ul>
 *   <li>SPF (RFC 7208, Apache James jSPF): the client address against the MAIL FROM domain, or
 *       {@code postmaster@<HELO>} for the null reverse-path (§2.4).</li>
 *   <li>DKIM (RFC 6376, Apache James jDKIM): every {@code DKIM-Signature}; keys looked up at
 *       {@code <s>._domainkey.<d>}.</li>
 *   <li>DMARC (RFC 7489, {@link Dmarc}): the From: domain's policy when neither SPF nor DKIM aligns.</li>
 * </ul>
 * Every DNS lookup goes through the core's {@link DnsResolver} ({@code conf/dns.cfg}). Authenticated clients
 * (submission) are not checked: {@code auth=pass} is recorded instead.
 *
 * <p>Scores (key {@code score.<REASON>}), as reasons in {@code X-Spam-Status}: see {@link #DEFAULT_SCORES}.
 * A temporary DNS failure scores 0 ({@code *_TEMPERROR}): mail is never held back for it.
 */
@Singleton
public final class AuthFilter implements SpamFilter {

    /** Reason names and their default scores. */
    static final Map<String, Double> DEFAULT_SCORES;
    static {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("SPF_PASS", 0.0);
        m.put("SPF_FAIL", 3.0);
        m.put("SPF_SOFTFAIL", 1.0);
        m.put("SPF_NEUTRAL", 0.0);
        m.put("SPF_NONE", 0.0);
        m.put("SPF_PERMERROR", 0.5);
        m.put("SPF_TEMPERROR", 0.0);
        m.put("DKIM_VALID", 0.0);
        m.put("DKIM_INVALID", 1.5);
        m.put("DKIM_NONE", 0.0);
        m.put("DKIM_TEMPERROR", 0.0);
        m.put("DMARC_PASS", 0.0);
        m.put("DMARC_REJECT", 10.0);
        m.put("DMARC_QUARANTINE", 5.0);
        m.put("DMARC_NONE", 0.5);
        m.put("DMARC_PERMERROR", 0.5);
        m.put("DMARC_TEMPERROR", 0.0);
        DEFAULT_SCORES = Map.copyOf(m);
    }

    private final boolean enabled;
    private final String authservId;
    private final Map<String, Double> scores;
    private final SPF spf;
    private final DkimKeys keys;
    private final Dmarc dmarc;

    @Inject
    public AuthFilter(PluginContext context, DnsResolver dns, ServerIdentity identity) {
        this(context.config(), dns, identity.hostname());
    }

    public AuthFilter(Configuration c, DnsResolver dns, String authservId) {
        this.enabled = c.getBoolean("enabled", false);
        this.authservId = authservId;
        Map<String, Double> s = new LinkedHashMap<>(DEFAULT_SCORES);
        for (String key : c.keys("score.")) {
            String reason = key.substring("score.".length()).toUpperCase(Locale.ROOT);
            if (!DEFAULT_SCORES.containsKey(reason)) throw c.invalid(key, c.get(key, ""), "score.<one of " + DEFAULT_SCORES.keySet() + ">");
            try {
                double d = Double.parseDouble(c.get(key, ""));
                if (!Double.isFinite(d)) throw new NumberFormatException();
                s.put(reason, d);
            } catch (NumberFormatException e) {
                throw c.invalid(key, c.get(key, ""), "a decimal number such as 3.0");
            }
        }
        this.scores = Map.copyOf(s);
        // jSPF compiles its parser's patterns when built: only when the filter is on (plugin start-up stays cheap)
        this.spf = enabled ? new SPF(new JspfDns(dns)) : null;
        this.keys = new DkimKeys(dns);
        this.dmarc = new Dmarc(dns, () -> ThreadLocalRandom.current().nextInt(100));
    }

    @Override
    public String name() {
        return "auth";
    }

    @Override
    public int priority() {
        return 50;
    }

    @Override
    public SpamVerdict score(SpamCheck check) throws IOException {
        if (!enabled) return SpamVerdict.NONE;
        if (check.authenticated()) {
            return SpamVerdict.NONE.withHeaders(List.of(new HeaderField("Authentication-Results",
                    authservId + "; auth=pass smtp.auth=" + pvalue(check.session().authenticatedUser().get()))));
        }
        List<Reason> reasons = new ArrayList<>();
        List<String> results = new ArrayList<>();

        // SPF (RFC 7208 §2.4: the null reverse-path is checked as postmaster@HELO)
        InetAddress ip = check.session().remote().getAddress();
        Optional<String> helo = check.session().helo();
        Optional<MailAddress> from = check.envelope().reversePath();
        String spfIdentity = from.map(MailAddress::toString).orElse(helo.map(h -> "postmaster@" + h).orElse(""));
        Optional<String> spfDomain = from.map(MailAddress::domain).or(() -> helo);
        String spfResult = spfIdentity.isEmpty() || spfDomain.isEmpty() ? "none"
                : spf.checkSPF(ip.getHostAddress(), spfIdentity, helo.orElse("unknown")).getResult();
        reasons.add(reason("SPF_" + spfResult.toUpperCase(Locale.ROOT), "SPF " + spfResult + " for " + spfIdentity + " from " + ip.getHostAddress()));
        results.add("spf=" + spfResult + (from.isPresent() ? " smtp.mailfrom=" + pvalue(spfIdentity)
                : helo.map(h -> " smtp.helo=" + pvalue(h)).orElse("")));

        // DKIM
        List<String> dkimPass = new ArrayList<>();
        DKIMVerifier verifier = new DKIMVerifier(keys);
        try (InputStream in = new BufferedInputStream(check.message().open(), 1 << 16)) {
            verifier.verify(in);
        } catch (FailException e) {
            // every signature failed: the reasons are in getResults()
        }
        List<Result> dkim = verifier.getResults();
        if (dkim.isEmpty()) {
            reasons.add(reason("DKIM_NONE", "no DKIM signature"));
            results.add("dkim=none");
        } else {
            boolean temp = false;
            for (Result r : dkim) {
                SignatureRecord rec = r.getRecord();
                String d = rec == null ? "" : String.valueOf(rec.getDToken());
                if (r.isSuccess()) dkimPass.add(d);
                if (r.getResultType() == Result.Type.TEMPERROR) temp = true;
                StringBuilder line = new StringBuilder("dkim=").append(r.getResultType().name().toLowerCase(Locale.ROOT));
                if (!r.isSuccess() && r.getErrorMessage() != null) line.append(" (").append(comment(r.getErrorMessage())).append(')');
                if (rec != null) {
                    line.append(" header.d=").append(pvalue(d)).append(" header.s=").append(pvalue(String.valueOf(rec.getSelector())));
                    CharSequence b = rec.getRawSignature();
                    if (b != null) line.append(" header.b=").append(pvalue(b.toString().replaceAll("\\s", "").substring(0, Math.min(12, b.length()))));
                }
                results.add(line.toString());
            }
            if (!dkimPass.isEmpty()) reasons.add(reason("DKIM_VALID", "valid DKIM signature from " + String.join(", ", dkimPass)));
            else if (temp) reasons.add(reason("DKIM_TEMPERROR", "DKIM key lookup failed temporarily"));
            else reasons.add(reason("DKIM_INVALID", "DKIM signature present but none valid"));
        }

        // DMARC (RFC 7489 §6.6.1: exactly one From: address)
        List<String> froms = check.headers().all("From");
        List<String> fromDomains = froms.size() == 1 ? FromAddress.domains(froms.get(0)) : List.of();
        if (froms.size() != 1 || fromDomains.size() != 1) {
            if (froms.isEmpty()) {
                results.add("dmarc=none (no From: field)");
            } else {
                reasons.add(reason("DMARC_PERMERROR", "not exactly one From: address"));
                results.add("dmarc=permerror (not exactly one From: address)");
            }
        } else {
            String fromDomain = fromDomains.get(0);
            Optional<String> spfPass = "pass".equals(spfResult) ? spfDomain : Optional.empty();
            Dmarc.Outcome o = dmarc.evaluate(fromDomain, spfPass, dkimPass);
            if (o instanceof Dmarc.Outcome.Pass p) {
                reasons.add(reason("DMARC_PASS", "DMARC pass for " + fromDomain + " (" + p.via() + " aligned)"));
                results.add("dmarc=pass (p=" + policy(p.record().p()) + ") header.from=" + pvalue(fromDomain));
            } else if (o instanceof Dmarc.Outcome.Fail f) {
                String name = "DMARC_" + f.applied().name();
                reasons.add(reason(name, "DMARC fail for " + fromDomain + ", policy " + policy(f.applied())));
                results.add("dmarc=fail (p=" + policy(f.record().p()) + " dis=" + policy(f.applied()) + ") header.from=" + pvalue(fromDomain));
            } else if (o instanceof Dmarc.Outcome.TempError t) {
                reasons.add(reason("DMARC_TEMPERROR", "DMARC policy lookup failed: " + t.reason()));
                results.add("dmarc=temperror header.from=" + pvalue(fromDomain));
            } else if (o instanceof Dmarc.Outcome.PermError p) {
                reasons.add(reason("DMARC_PERMERROR", p.why()));
                results.add("dmarc=permerror header.from=" + pvalue(fromDomain));
            } else {
                results.add("dmarc=none header.from=" + pvalue(fromDomain));
            }
        }

        String ar = authservId + "; " + String.join("; ", results);
        return SpamVerdict.of(reasons).withHeaders(List.of(new HeaderField("Authentication-Results", ar)));
    }

    private Reason reason(String name, String description) {
        Double s = scores.get(name);
        if (s == null) throw new IllegalStateException("no score for " + name); // every result jSPF/jDKIM give is listed
        return new Reason(name, s, description);
    }

    private static String policy(Dmarc.Policy p) {
        return p.name().toLowerCase(Locale.ROOT);
    }

    /**
     * A property value (RFC 8601 §2.2: a token, or an address/domain as is); anything else as a quoted-string
     * (RFC 2045 §5.1).
     */
    static String pvalue(String v) {
        if (v.matches("[A-Za-z0-9!#$%&'*+\\-.^_`{|}~]+(@[A-Za-z0-9.\\-\\[\\]:]+)?") || v.matches("@?[A-Za-z0-9.\\-]+")) return v;
        return '"' + v.replace("\\", "\\\\").replace("\"", "\\\"").replaceAll("[\\r\\n]", " ") + '"';
    }

    /** Text for a comment: no parentheses, backslashes or line breaks, at most 200 characters. */
    static String comment(String s) {
        String t = s.replaceAll("[()\\\\\\r\\n]", " ").strip();
        return t.length() > 200 ? t.substring(0, 200) : t;
    }
}

package io.herald.plugin.spamauth;

import io.herald.api.dns.DnsResolver;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.spam.SpamCheck;
import io.herald.api.spam.SpamVerdict;
import io.herald.dns.DnsSettings;
import io.herald.dns.DnsjavaResolver;
import io.herald.testkit.dns.DnsResponder;
import org.apache.james.jdkim.DKIMSigner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Rcode;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * SPF, DKIM and DMARC with the core's resolver against records served by a real DNS server on loopback
 * (testkit's DnsResponder); messages signed with jDKIM's own signer.
 */
class AuthFilterTest {

    static DnsResponder dns;
    static DnsResolver resolver;
    static KeyPair key;
    static AuthFilter filter;

    static final String SENDER_IP = "192.0.2.10";
    static final String OTHER_IP = "198.51.100.66";

    @BeforeAll
    static void start() throws Exception {
        dns = DnsResponder.start();
        resolver = new DnsjavaResolver(new DnsSettings(List.of(dns.address()), Duration.ofSeconds(2), 1, false));
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        key = g.generateKeyPair();
        dns.txt("example.org", "v=spf1 ip4:" + SENDER_IP + " -all")
           .txt("soft.example", "v=spf1 ip4:" + SENDER_IP + " ~all")
           .a("none.example", "192.0.2.200")                                  // exists, publishes no SPF
           .txt("mail2026._domainkey.example.org", "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(key.getPublic().getEncoded()))
           .txt("_dmarc.example.org", "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@example.org")
           .txt("list.example", "v=spf1 ip4:" + OTHER_IP + " -all")
           .fail("broken.example", Rcode.SERVFAIL)
           .fail("_dmarc.broken.example", Rcode.SERVFAIL);
        filter = new AuthFilter(new TestConfig(Map.of("enabled", "true")), resolver, "mx.herald.test");
    }

    @AfterAll
    static void stop() {
        dns.close();
    }

    static byte[] message(String from, String body) {
        return ("From: Anna <" + from + ">\r\nTo: olaf@herald.test\r\nSubject: Hello\r\n"
                + "Date: Fri, 04 Dec 2026 05:00:00 +0000\r\nMessage-ID: <42@example.org>\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] signed(byte[] m, String domain) throws Exception {
        DKIMSigner signer = new DKIMSigner("v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + domain + "; s=mail2026; h=from:to:subject:date:message-id; bh=; b=;",
                key.getPrivate());
        String field = signer.sign(new ByteArrayInputStream(m));
        byte[] h = (field + "\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + m.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(m, 0, out, h.length, m.length);
        return out;
    }

    static SpamVerdict check(String ip, String mailFrom, byte[] message) throws Exception {
        return check(ip, mailFrom, message, Optional.empty());
    }

    static SpamVerdict check(String ip, String mailFrom, byte[] message, Optional<String> user) throws Exception {
        SessionInfo s = new SessionInfo("a1", "smtp", new InetSocketAddress(InetAddress.getByName(ip), 40000),
                new InetSocketAddress("127.0.0.1", 25), Optional.of("mail.client.example"), true, false, user);
        Optional<MailAddress> rp = mailFrom.isEmpty() ? Optional.empty()
                : Optional.of(new MailAddress(mailFrom.substring(0, mailFrom.indexOf('@')), mailFrom.substring(mailFrom.indexOf('@') + 1)));
        return filter.score(SpamCheck.of(s, new Envelope(rp, List.of(new MailAddress("olaf", "herald.test")), Map.of()), MessageContent.of(message)));
    }

    static List<String> names(SpamVerdict v) {
        return v.reasons().stream().map(SpamVerdict.Reason::name).toList();
    }

    static String ar(SpamVerdict v) {
        assertThat(v.headers()).extracting(HeaderField::name).containsExactly("Authentication-Results");
        return v.headers().get(0).value();
    }

    @Test
    void spfPassAndDmarcPassThroughSpfAlignment() throws Exception {
        SpamVerdict v = check(SENDER_IP, "anna@example.org", message("anna@example.org", "hi\r\n"));
        assertThat(names(v)).containsExactly("SPF_PASS", "DKIM_NONE", "DMARC_PASS");
        assertThat(v.score()).isEqualTo(0.0);
        assertThat(ar(v)).isEqualTo("mx.herald.test; spf=pass smtp.mailfrom=anna@example.org; dkim=none; "
                + "dmarc=pass (p=reject) header.from=example.org");
    }

    @Test
    void spfFailWithoutDkimFailsDmarcWithTheRejectPolicy() throws Exception {
        SpamVerdict v = check(OTHER_IP, "anna@example.org", message("anna@example.org", "hi\r\n"));
        assertThat(names(v)).containsExactly("SPF_FAIL", "DKIM_NONE", "DMARC_REJECT");
        assertThat(v.score()).isEqualTo(13.0);
        assertThat(ar(v)).contains("spf=fail smtp.mailfrom=anna@example.org")
                .contains("dmarc=fail (p=reject dis=reject) header.from=example.org");
    }

    @Test
    void spfSoftfailAndNone() throws Exception {
        SpamVerdict soft = check(OTHER_IP, "bob@soft.example", message("bob@soft.example", "hi\r\n"));
        assertThat(names(soft)).contains("SPF_SOFTFAIL");
        assertThat(soft.score()).isEqualTo(1.0);
        assertThat(ar(soft)).contains("spf=softfail smtp.mailfrom=bob@soft.example").contains("dmarc=none");
        SpamVerdict none = check(OTHER_IP, "carl@none.example", message("carl@none.example", "hi\r\n"));
        assertThat(names(none)).contains("SPF_NONE");
        assertThat(ar(none)).contains("spf=none smtp.mailfrom=carl@none.example");
    }

    @Test
    void aTemporaryDnsFailureIsTemperrorAndScoresNothing() throws Exception {
        SpamVerdict v = check(OTHER_IP, "dora@broken.example", message("dora@broken.example", "hi\r\n"));
        assertThat(names(v)).contains("SPF_TEMPERROR", "DMARC_TEMPERROR");
        assertThat(v.score()).isEqualTo(0.0);
        assertThat(ar(v)).contains("spf=temperror").contains("dmarc=temperror");
    }

    @Test
    void aValidDkimSignatureAlignsDmarcEvenWhenSpfFails() throws Exception {
        // forwarded by a list: the list's address fails SPF for example.org's MAIL FROM, the signature survives
        SpamVerdict v = check(OTHER_IP, "anna@example.org", signed(message("anna@example.org", "Dear Olaf,\r\nhi.\r\n"), "example.org"));
        assertThat(names(v)).containsExactly("SPF_FAIL", "DKIM_VALID", "DMARC_PASS");
        assertThat(ar(v)).contains("dkim=pass header.d=example.org header.s=mail2026 header.b=")
                .contains("dmarc=pass (p=reject) header.from=example.org");
    }

    @Test
    void aBrokenSignatureIsDkimInvalid() throws Exception {
        byte[] s = signed(message("anna@example.org", "Pay 10 EUR.\r\n"), "example.org");
        byte[] changed = new String(s, StandardCharsets.UTF_8).replace("Pay 10 EUR.", "Pay 10000 EUR.").getBytes(StandardCharsets.UTF_8);
        SpamVerdict v = check(SENDER_IP, "anna@example.org", changed);
        assertThat(names(v)).containsExactly("SPF_PASS", "DKIM_INVALID", "DMARC_PASS"); // SPF still aligns
        assertThat(ar(v)).contains("dkim=fail (").contains("header.d=example.org");
        assertThat(v.score()).isEqualTo(1.5);
    }

    @Test
    void aSignatureWithoutAPublishedKeyIsInvalid() throws Exception {
        SpamVerdict v = check(OTHER_IP, "x@list.example", signed(message("anna@nokey.example", "hi\r\n"), "nokey.example"));
        assertThat(names(v)).contains("SPF_PASS", "DKIM_INVALID");
        // jDKIM classes "no key for signature" (RFC 6376 §6.1.2 PERMFAIL) as fail
        assertThat(ar(v)).contains("dkim=fail (no key for signature: mail2026._domainkey.nokey.example does not exist) header.d=nokey.example");
    }

    @Test
    void aSubdomainWithoutItsOwnRecordGetsTheOrganizationalDomainsSubdomainPolicy() throws Exception {
        SpamVerdict v = check(OTHER_IP, "x@list.example", message("news@news.example.org", "hi\r\n"));
        assertThat(names(v)).containsExactly("SPF_PASS", "DKIM_NONE", "DMARC_QUARANTINE"); // SPF passes, but for list.example
        assertThat(ar(v)).contains("dmarc=fail (p=reject dis=quarantine) header.from=news.example.org");
    }

    @Test
    void authenticatedSubmissionsAreNotCheckedButRecorded() throws Exception {
        dns.clearQueries();
        SpamVerdict v = check(OTHER_IP, "anna@example.org", message("anna@example.org", "hi\r\n"), Optional.of("elsa@herald.test"));
        assertThat(v.score()).isEqualTo(0.0);
        assertThat(ar(v)).isEqualTo("mx.herald.test; auth=pass smtp.auth=elsa@herald.test");
        assertThat(dns.queries()).isEmpty();
    }

    @Test
    void theNullReversePathIsCheckedAsPostmasterAtHelo() throws Exception {
        SpamVerdict v = check(OTHER_IP, "", message("mailer-daemon@mail.client.example", "bounce\r\n"));
        assertThat(ar(v)).contains("smtp.helo=mail.client.example");
    }

    @Test
    void dmarcRecordsAndAlignment() {
        assertThat(Dmarc.parse("v=DMARC1; p=quarantine; pct=20; adkim=s")).hasValueSatisfying(r -> {
            assertThat(r.p()).isEqualTo(Dmarc.Policy.QUARANTINE);
            assertThat(r.pct()).isEqualTo(20);
            assertThat(r.strictDkim()).isTrue();
            assertThat(r.strictSpf()).isFalse();
        });
        assertThat(Dmarc.parse("v=DMARC1; p=bogus")).isEmpty();
        assertThat(Dmarc.parse("v=DMARC1; p=bogus; rua=mailto:a@b.example")).hasValueSatisfying(r -> assertThat(r.p()).isEqualTo(Dmarc.Policy.NONE));
        assertThat(Dmarc.parse("v=spf1 -all")).isEmpty();
        assertThat(Dmarc.organizationalDomain("mail.news.example.org")).isEqualTo("example.org");
        assertThat(Dmarc.organizationalDomain("www.example.co.uk")).isEqualTo("example.co.uk");
        assertThat(Dmarc.aligned("mail.example.org", "example.org", false)).isTrue();
        assertThat(Dmarc.aligned("mail.example.org", "example.org", true)).isFalse();
        assertThat(Dmarc.aligned("example.net", "example.org", false)).isFalse();
        assertThat(FromAddress.domains("\"Doe, John\" <john@Example.ORG>")).containsExactly("example.org");
        assertThat(FromAddress.domains("a@one.example, b@two.example")).containsExactly("one.example", "two.example");
        assertThat(FromAddress.domains("john@example.org (John \"J\" Doe)")).containsExactly("example.org");
    }

    @Test
    void pctSamplesThePolicy() {
        DnsResponder d = dns;
        d.txt("_dmarc.sampled.example", "v=DMARC1; p=reject; pct=30");
        Dmarc inSample = new Dmarc(resolver, () -> 10);
        Dmarc outOfSample = new Dmarc(resolver, () -> 70);
        assertThat(inSample.evaluate("sampled.example", Optional.empty(), List.of()))
                .isInstanceOfSatisfying(Dmarc.Outcome.Fail.class, f -> assertThat(f.applied()).isEqualTo(Dmarc.Policy.REJECT));
        assertThat(outOfSample.evaluate("sampled.example", Optional.empty(), List.of()))
                .isInstanceOfSatisfying(Dmarc.Outcome.Fail.class, f -> assertThat(f.applied()).isEqualTo(Dmarc.Policy.QUARANTINE));
    }
}

package io.herald.plugin.dkimsign;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import org.apache.james.jdkim.DKIMVerifier;
import org.apache.james.jdkim.api.PublicKeyRecordRetriever;
import org.apache.james.jdkim.api.SignatureRecord;
import org.apache.james.jdkim.exceptions.FailException;
import org.apache.james.jdkim.exceptions.PermFailException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Signs with the hook and verifies with jDKIM's own verifier, the public key served from a record map. */
class DkimSigningHookTest {

    @TempDir static Path home;
    static KeyPair keys;
    static String keyRecord;

    @BeforeAll
    static void key() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        keys = g.generateKeyPair();
        Files.writeString(home.resolve("dkim.pem"), pem(keys));
        keyRecord = "v=DKIM1; k=rsa; p=" + Base64.getEncoder().encodeToString(keys.getPublic().getEncoded());
    }

    static String pem(KeyPair k) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(k.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    static DkimSigningHook hook(Map<String, String> extra) {
        Map<String, String> c = new HashMap<>(Map.of("enabled", "true", "domain", "herald.test", "selector", "mail2026",
                "key.file", "dkim.pem"));
        c.putAll(extra);
        return new DkimSigningHook(new TestConfig(c), home);
    }

    static SessionInfo session(Optional<String> user) {
        return new SessionInfo("s1", "submission", new InetSocketAddress("127.0.0.1", 40000), new InetSocketAddress("127.0.0.1", 587),
                Optional.of("client.herald.test"), true, true, user);
    }

    static final Envelope ENVELOPE = new Envelope(Optional.of(new MailAddress("elsa", "herald.test")),
            List.of(new MailAddress("anna", "example.org")), Map.of());

    static byte[] message(String from, String body) {
        return ("From: Elsa <" + from + ">\r\nTo: anna@example.org\r\nSubject: Let it go\r\n"
                + "Date: Fri, 04 Dec 2026 05:00:00 +0000\r\nMessage-ID: <1@herald.test>\r\n"
                + "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8);
    }

    /** The message as the next hop receives it: the added field on top. */
    static byte[] withHeader(HeaderField f, byte[] message) {
        byte[] h = f.render().getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[h.length + message.length];
        System.arraycopy(h, 0, out, 0, h.length);
        System.arraycopy(message, 0, out, h.length, message.length);
        return out;
    }

    static HeaderField signed(DkimSigningHook hook, byte[] message) {
        HookResult r = hook.onMessage(session(Optional.of("elsa@herald.test")), ENVELOPE, MessageContent.of(message));
        assertThat(r).isInstanceOf(HookResult.Next.class);
        List<HeaderField> added = ((HookResult.Next) r).addHeaders();
        assertThat(added).hasSize(1);
        return added.get(0);
    }

    static List<SignatureRecord> verify(byte[] message) throws Exception {
        PublicKeyRecordRetriever dns = (method, selector, domain) -> {
            if (selector.toString().equals("mail2026") && domain.toString().equals("herald.test")) return List.of(keyRecord);
            throw new PermFailException("no key for " + selector + "._domainkey." + domain);
        };
        return new DKIMVerifier(dns).verify(new ByteArrayInputStream(message));
    }

    @Test
    void anAuthenticatedSubmissionIsSignedAndVerifiesWithJdkim() throws Exception {
        byte[] m = message("elsa@herald.test", "Let it go, let it go\r\nCan't hold it back anymore\r\n");
        HeaderField f = signed(hook(Map.of()), m);
        assertThat(f.name()).isEqualTo("DKIM-Signature");
        assertThat(f.value()).contains("a=rsa-sha256").contains("c=relaxed/relaxed").contains("d=herald.test")
                .contains("s=mail2026").contains("h=from:to:cc:subject:date:message-id");
        List<SignatureRecord> ok = verify(withHeader(f, m));
        assertThat(ok).singleElement().satisfies(r -> assertThat(r.getDToken().toString()).isEqualTo("herald.test"));
    }

    @Test
    void relaxedCanonicalisationSurvivesRewrappedWhitespaceButNotAChangedBody() throws Exception {
        byte[] m = message("elsa@sub.herald.test", "Hello  Anna,\r\n\r\nsee you.\r\n\r\n\r\n");
        HeaderField f = signed(hook(Map.of()), m);
        // relaxed/relaxed: runs of spaces and trailing empty lines do not matter
        byte[] rewrapped = message("elsa@sub.herald.test", "Hello Anna,\r\n\r\nsee you.\r\n");
        assertThat(verify(withHeader(f, rewrapped))).hasSize(1);
        byte[] changed = message("elsa@sub.herald.test", "Hello Anna,\r\n\r\nsend me money.\r\n");
        assertThatThrownBy(() -> verify(withHeader(f, changed))).isInstanceOf(FailException.class);
        byte[] otherSubject = new String(withHeader(f, m), StandardCharsets.UTF_8).replace("Subject: Let it go", "Subject: Win")
                .getBytes(StandardCharsets.UTF_8);
        assertThatThrownBy(() -> verify(otherSubject)).isInstanceOf(FailException.class);
    }

    @Test
    void notSignedWhenNotAuthenticatedOrNotAligned() {
        byte[] m = message("elsa@herald.test", "hi\r\n");
        DkimSigningHook hook = hook(Map.of());
        assertThat(hook.onMessage(session(Optional.empty()), ENVELOPE, MessageContent.of(m))).isEqualTo(HookResult.next());
        byte[] foreign = message("elsa@example.com", "hi\r\n");
        assertThat(hook.onMessage(session(Optional.of("elsa@herald.test")), ENVELOPE, MessageContent.of(foreign)))
                .isEqualTo(HookResult.next());
        DkimSigningHook any = hook(Map.of("aligned.only", "false"));
        assertThat(((HookResult.Next) any.onMessage(session(Optional.of("elsa@herald.test")), ENVELOPE, MessageContent.of(foreign)))
                .addHeaders()).hasSize(1);
        byte[] noFrom = "Subject: x\r\n\r\nhi\r\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(hook.onMessage(session(Optional.of("elsa@herald.test")), ENVELOPE, MessageContent.of(noFrom)))
                .isEqualTo(HookResult.next());
    }

    @Test
    void onlyWhatIsSignedLeavesTheNetworkThread() {
        DkimSigningHook off = new DkimSigningHook(new TestConfig(Map.of()), home);
        assertThat(off.nonBlocking(session(Optional.of("elsa@herald.test")))).isTrue();
        assertThat(off.nonBlocking(session(Optional.empty()))).isTrue();
        DkimSigningHook on = hook(Map.of());
        assertThat(on.nonBlocking(session(Optional.empty()))).isTrue();                 // inbound mail: answered Next at once
        assertThat(on.nonBlocking(session(Optional.of("elsa@herald.test")))).isFalse();  // reads the message and signs it
    }

    @Test
    void disabledByDefaultAndWrongSettingsAreRefusedWithTheKey() throws Exception {
        assertThat(new DkimSigningHook(new TestConfig(Map.of()), home).enabled()).isFalse();
        assertThatThrownBy(() -> hook(Map.of("domain", ""))).hasMessageContaining("domain");
        assertThatThrownBy(() -> hook(Map.of("domain", "not a domain"))).hasMessageContaining("domain");
        assertThatThrownBy(() -> hook(Map.of("key.file", "missing.pem"))).hasMessageContaining("key.file").hasMessageContaining("readable");
        Files.writeString(home.resolve("pkcs1.pem"), "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n");
        assertThatThrownBy(() -> hook(Map.of("key.file", "pkcs1.pem"))).hasMessageContaining("PKCS#1");
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(512);
        Files.writeString(home.resolve("small.pem"), pem(g.generateKeyPair()));
        assertThatThrownBy(() -> hook(Map.of("key.file", "small.pem"))).hasMessageContaining("1024");
        assertThatThrownBy(() -> hook(Map.of("headers", "to:subject"))).hasMessageContaining("include from");
    }

    @Test
    void fromAddressDomains() {
        assertThat(DkimSigningHook.addressDomain("\"Elsa, Queen\" <Elsa@Herald.Test>")).contains("herald.test");
        assertThat(DkimSigningHook.addressDomain("elsa@herald.test (Elsa)")).contains("herald.test");
        assertThat(DkimSigningHook.addressDomain("undisclosed")).isEmpty();
        assertThat(DkimSigningHook.aligned("mail.herald.test", "herald.test")).isTrue();
        assertThat(DkimSigningHook.aligned("evilherald.test", "herald.test")).isFalse();
    }
}

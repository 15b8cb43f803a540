package io.herald.plugin.dkimsign;

import io.herald.api.config.Configuration;
import io.herald.api.config.ConfigurationException;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.plugin.PluginContext;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.smtp.SmtpHook;
import io.herald.api.spam.MessageHeaders;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;
import org.apache.james.jdkim.DKIMSigner;
import org.apache.james.jdkim.exceptions.FailException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Signs messages from authenticated clients (submission) with DKIM (RFC 6376): {@code a=rsa-sha256},
 * {@code c=relaxed/relaxed}, {@code d=} and {@code s=} from the configuration, through Apache James jDKIM.
 * The {@code DKIM-Signature} field is added at the top of the message at the end of DATA, so the next hop (and
 * every one after it) can verify it against the public key published at {@code <selector>._domainkey.<domain>}.
 *
 * <p>Configuration ({@code conf/dkim-sign.cfg}); off until a key is configured:
 * <pre>
 * # enabled = false
 * # domain =               the signing domain (d=), e.g. herald.test
 * # selector =             the selector (s=), e.g. mail2026
 * # key.file =             PKCS#8 PEM RSA private key ("BEGIN PRIVATE KEY"), at least 1024 bits;
 * #                        a relative path is relative to the server's home
 * # headers = from:to:cc:subject:date:message-id:reply-to:in-reply-to:references:mime-version:content-type:content-transfer-encoding
 * # aligned.only = true    sign only when the From: domain is the signing domain or below it (DMARC alignment)
 * </pre>
 *
 * <p>Runs after the spam hook ({@link #PRIORITY}), so a submission refused as spam is never signed. Failure
 * policy: a message that cannot be signed (unreadable, no From) is accepted unsigned and a warning logged — the
 * signature adds trust, its absence never loses mail.
 */
@Singleton
public final class DkimSigningHook implements SmtpHook {

    private static final Logger log = LoggerFactory.getLogger(DkimSigningHook.class);

    /** After the spam chain's hook (900). */
    public static final int PRIORITY = 950;

    /** The keys besides {@code enabled} (conf/dkim-sign.cfg). */
    static final List<String> KEYS = List.of("domain", "selector", "key.file", "headers", "aligned.only");

    static final String DEFAULT_HEADERS = "from:to:cc:subject:date:message-id:reply-to:in-reply-to:references"
            + ":mime-version:content-type:content-transfer-encoding";

    /** The settings of an enabled signer. */
    record Settings(String domain, String selector, PrivateKey key, String headers, boolean alignedOnly) { }

    private final Optional<Settings> settings;

    @Inject
    public DkimSigningHook(PluginContext context) {
        this(context.config(), context.dataDir().toAbsolutePath().getParent().getParent()); // <home>/data/<plugin>
    }

    /** @param home the folder a relative {@code key.file} is resolved against */
    public DkimSigningHook(Configuration c, Path home) {
        this.settings = settings(c, home);
        settings.ifPresent(s -> log.info("DKIM signing of authenticated submissions: d={} s={} ({}-bit RSA key)", s.domain(),
                s.selector(), ((RSAPrivateCrtKey) s.key()).getModulus().bitLength()));
    }

    static Optional<Settings> settings(Configuration c, Path home) {
        boolean enabled = c.getBoolean("enabled", false);
        // the other keys matter only while signing is on; they are read (not checked) while it is off too, so that the
        // server does not take them for misspelt ones
        for (String key : KEYS) c.get(key);
        if (!enabled) return Optional.empty();
        String domain = required(c, "domain").toLowerCase(Locale.ROOT);
        if (!domain.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+"))
            throw c.invalid("domain", domain, "a domain name such as example.org");
        String selector = required(c, "selector");
        if (!selector.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*"))
            throw c.invalid("selector", selector, "a selector: DNS labels, e.g. mail2026");
        String file = required(c, "key.file");
        Path keyFile = home.resolve(file);
        PrivateKey key;
        try {
            key = readPkcs8RsaKey(Files.readString(keyFile, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw c.invalid("key.file", file, "a readable PEM file (" + keyFile + ": " + e + ")");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw c.invalid("key.file", file, "a PKCS#8 PEM RSA private key, BEGIN PRIVATE KEY (" + e.getMessage() + ")");
        }
        if (((RSAPrivateCrtKey) key).getModulus().bitLength() < 1024)
            throw c.invalid("key.file", file, "an RSA key of at least 1024 bits (RFC 8301 §3.2)");
        String headers = c.get("headers", DEFAULT_HEADERS).toLowerCase(Locale.ROOT).replaceAll("\\s+", "");
        if (!headers.matches("[a-z0-9-]+(:[a-z0-9-]+)*") || !List.of(headers.split(":")).contains("from"))
            throw c.invalid("headers", headers, "field names separated by ':' that include from (RFC 6376 §5.4)");
        return Optional.of(new Settings(domain, selector, key, headers, c.getBoolean("aligned.only", true)));
    }

    private static String required(Configuration c, String key) {
        return c.get(key).orElseThrow(() -> new ConfigurationException(c.pid() + ".cfg", key, "",
                "a value: DKIM signing is enabled, so domain, selector and key.file are needed"));
    }

    /** Reads a {@code -----BEGIN PRIVATE KEY-----} PEM (PKCS#8) RSA key. */
    static PrivateKey readPkcs8RsaKey(String pem) throws GeneralSecurityException {
        if (pem.contains("BEGIN RSA PRIVATE KEY"))
            throw new IllegalArgumentException("PKCS#1 key: convert with openssl pkcs8 -topk8 -nocrypt");
        int b = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int e = pem.indexOf("-----END PRIVATE KEY-----");
        if (b < 0 || e < b) throw new IllegalArgumentException("no BEGIN PRIVATE KEY block");
        String base64 = pem.substring(b + "-----BEGIN PRIVATE KEY-----".length(), e).replaceAll("\\s+", "");
        return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(base64)));
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    public boolean enabled() {
        return settings.isPresent();
    }

    /** Only what is signed reads the message and computes: everything else answers Next at once, on the I/O thread. */
    @Override
    public boolean nonBlocking(SessionInfo session) {
        return !signs(session);
    }

    /** Signed: messages from authenticated clients, when a key is configured. */
    private boolean signs(SessionInfo session) {
        return settings.isPresent() && session.authenticatedUser().isPresent();
    }

    @Override
    public HookResult onMessage(SessionInfo session, Envelope envelope, MessageContent message) {
        if (!signs(session)) return HookResult.next();
        Settings s = settings.get();
        try {
            Optional<String> fromDomain = fromDomain(MessageHeaders.read(message));
            if (fromDomain.isEmpty()) {
                log.warn("session {}: message without a From: address is not DKIM-signed", session.sessionId());
                return HookResult.next();
            }
            if (s.alignedOnly() && !aligned(fromDomain.get(), s.domain())) {
                log.info("session {}: From: domain {} is not {} or below it; not DKIM-signed", session.sessionId(),
                        fromDomain.get(), s.domain());
                return HookResult.next();
            }
            return HookResult.next(List.of(sign(s, message)));
        } catch (IOException | FailException | RuntimeException e) {
            log.warn("session {}: DKIM signing failed, message accepted unsigned: {}", session.sessionId(), e.toString(), e);
            return HookResult.next();
        }
    }

    /** The {@code DKIM-Signature} field for this message, unfolded (the core may fold it again; c=relaxed). */
    static HeaderField sign(Settings s, MessageContent message) throws IOException, FailException {
        String template = "v=1; a=rsa-sha256; c=relaxed/relaxed; d=" + s.domain() + "; s=" + s.selector()
                + "; q=dns/txt; t=" + (System.currentTimeMillis() / 1000) + "; h=" + s.headers() + "; bh=; b=;";
        DKIMSigner signer = new DKIMSigner(template, s.key());
        String field;
        try (InputStream in = new BufferedInputStream(message.open(), 1 << 16)) {
            field = signer.sign(in);
        }
        int colon = field.indexOf(':');
        if (colon < 0 || !field.substring(0, colon).trim().equalsIgnoreCase("DKIM-Signature"))
            throw new IOException("jDKIM returned no DKIM-Signature field: " + field);
        String value = field.substring(colon + 1).replace("\r", "").replace("\n", "").strip();
        return new HeaderField("DKIM-Signature", value);
    }

    /** The domain of the (first) From: address, lower-case. */
    static Optional<String> fromDomain(MessageHeaders headers) {
        return headers.first("From").flatMap(DkimSigningHook::addressDomain);
    }

    /** The domain of an address in a From:-like value: {@code "Elsa" <elsa@herald.test>} or {@code elsa@herald.test}. */
    static Optional<String> addressDomain(String value) {
        String v = value;
        int lt = v.lastIndexOf('<');
        if (lt >= 0) {
            int gt = v.indexOf('>', lt);
            v = gt > lt ? v.substring(lt + 1, gt) : v.substring(lt + 1);
        } else {
            v = v.replaceAll("\\([^)]*\\)", "").split(",")[0]; // comments; the first of a list
        }
        int at = v.lastIndexOf('@');
        if (at < 0) return Optional.empty();
        String d = v.substring(at + 1).trim().toLowerCase(Locale.ROOT);
        while (d.endsWith(".")) d = d.substring(0, d.length() - 1);
        return d.isEmpty() || d.contains(" ") ? Optional.empty() : Optional.of(d);
    }

    /** Relaxed alignment (RFC 7489 §3.1.1, without the public-suffix step): the same domain or one below it. */
    static boolean aligned(String fromDomain, String signingDomain) {
        return fromDomain.equals(signingDomain) || fromDomain.endsWith("." + signingDomain);
    }
}

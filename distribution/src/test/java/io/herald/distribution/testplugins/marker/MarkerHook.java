package io.herald.distribution.testplugins.marker;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.smtp.SmtpHook;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * Adds {@code X-Herald-Test: <marker>} to every message, and refuses MAIL FROM:&lt;probe@herald.test&gt; with
 * {@code 550 5.7.1 marker <marker>} (so a test sees which version is active with one SMTP command). The marker is
 * read from {@code marker.txt} inside the bundle: the ITs build the bundle twice, with "v1" and "v2".
 */
public final class MarkerHook implements SmtpHook {

    private final String marker;

    public MarkerHook() {
        try (InputStream in = MarkerHook.class.getResourceAsStream("marker.txt")) {
            marker = in == null ? "none" : new String(in.readAllBytes(), StandardCharsets.US_ASCII).trim();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public HookResult onMail(SessionInfo session, Optional<MailAddress> reversePath) {
        if (reversePath.isPresent() && reversePath.get().localPart().equals("probe")) {
            return HookResult.reject(550, "5.7.1", "marker " + marker);
        }
        return HookResult.next();
    }

    @Override
    public HookResult onMessage(SessionInfo session, Envelope envelope, MessageContent message) {
        return HookResult.next(List.of(new HeaderField("X-Herald-Test", marker)));
    }
}

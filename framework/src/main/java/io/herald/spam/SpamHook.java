package io.herald.spam;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.smtp.SmtpHook;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Objects;

/**
 * The spam chain at the end of DATA: a {@link SpamDecision.Reject} becomes {@code 550 5.7.1} (refused while the
 * client waits: no bounce, no backscatter); {@link SpamDecision.Junk} and {@link SpamDecision.Deliver} go on with
 * the {@code X-Spam-Score}/{@code X-Spam-Status} fields added, which the queue keeps with the entry, so local
 * delivery picks the folder from them ({@link SpamStatus#folderFor}) without filtering again.
 *
 * <p>Runs late in the hook chain ({@link #PRIORITY}) so that cheaper hooks refuse first. If the message cannot be
 * read the hook fails open (logged, {@link HookResult#next()}).
 */
public final class SpamHook implements SmtpHook {

    private static final Logger log = LoggerFactory.getLogger(SpamHook.class);

    public static final int PRIORITY = 900;

    private final SpamChain chain;

    public SpamHook(SpamChain chain) {
        this.chain = Objects.requireNonNull(chain, "chain");
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public HookResult onMessage(SessionInfo session, Envelope envelope, MessageContent message) {
        SpamDecision d;
        try {
            d = chain.evaluate(session, envelope, message);
        } catch (IOException | RuntimeException e) {
            log.warn("spam check failed for session {}; message accepted unchecked: {}", session.sessionId(), e.toString(), e);
            return HookResult.next();
        }
        if (d instanceof SpamDecision.Reject r) {
            log.info("session {}: refused as spam, {}", session.sessionId(), r.headers().get(1).value());
            return HookResult.reject(550, "5.7.1", r.text());
        }
        return HookResult.next(d.headers()); // Junk or Deliver: the added X-Spam-Status tells delivery which
    }
}

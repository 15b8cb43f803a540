package io.herald.testkit.sample;

import io.herald.api.config.Configuration;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.smtp.SmtpHook;
import jakarta.inject.Inject;

import java.util.List;
import java.util.Optional;

/** Refuses one configured sender at MAIL; adds {@code X-Tagged: <tag>} (and whether TLS/AUTH were used) at the end of DATA. */
public final class TaggingHook implements SmtpHook {

    private final String blocked;
    private final String tag;

    @Inject
    public TaggingHook(Configuration config) {
        this.blocked = config.get("blocked", "blocked@spam.example");
        this.tag = config.get("tag", "untagged");
    }

    @Override
    public HookResult onMail(SessionInfo session, Optional<MailAddress> reversePath) {
        if (reversePath.isPresent() && reversePath.get().toString().equalsIgnoreCase(blocked)) {
            return HookResult.reject(550, "5.7.1", "sender " + blocked + " is blocked here");
        }
        return HookResult.next();
    }

    @Override
    public HookResult onMessage(SessionInfo session, Envelope envelope, MessageContent message) {
        return HookResult.next(List.of(new HeaderField("X-Tagged", tag + "; tls=" + session.tls()
                + "; auth=" + session.authenticatedUser().orElse("none"))));
    }
}

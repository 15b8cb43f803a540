package ${package};

import io.herald.api.config.Configuration;
import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HeaderField;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.smtp.SmtpHook;
import jakarta.inject.Inject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * An SMTP hook to start from: it refuses the senders listed in {@code blockedSenders} at MAIL FROM with
 * {@code 550 5.7.1}, and stamps every accepted message with an {@code X-${classPrefix}} header field at the end of
 * DATA. Configuration ({@code conf/${pluginId}.cfg}):
 * <ul>
 *   <li>{@code blockedSenders}: comma-separated addresses, compared case-insensitively (default: none);</li>
 *   <li>{@code stamp}: the value of the header field (default {@code seen by ${pluginId}}).</li>
 * </ul>
 * Hooks are called off the network threads, one call at a time per session, with a time limit; keep each call short.
 */
public final class ${classPrefix}Hook implements SmtpHook {

    private static final Logger log = LoggerFactory.getLogger(${classPrefix}Hook.class);

    /** The header field every accepted message gets. */
    public static final String HEADER = "X-${classPrefix}";

    private final Set<String> blocked;
    private final String stamp;

    @Inject
    public ${classPrefix}Hook(Configuration config) {
        this.blocked = config.getList("blockedSenders", List.of()).stream()
                .map(s -> s.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        this.stamp = config.get("stamp", "seen by ${pluginId}");
        if (stamp.isBlank() || stamp.chars().anyMatch(c -> c < 0x20 || c > 0x7e)) {
            throw config.invalid("stamp", stamp, "printable US-ASCII text");
        }
        log.info("${pluginId}: {} blocked senders, stamp '{}'", blocked.size(), stamp);
    }

    @Override
    public HookResult onMail(SessionInfo session, Optional<MailAddress> reversePath) {
        if (reversePath.isPresent() && blocked.contains(reversePath.get().toString().toLowerCase(Locale.ROOT))) {
            return HookResult.reject(550, "5.7.1", "<" + reversePath.get() + "> is not allowed to send here");
        }
        return HookResult.next();
    }

    @Override
    public HookResult onMessage(SessionInfo session, Envelope envelope, MessageContent message) {
        return HookResult.next(List.of(new HeaderField(HEADER, stamp)));
    }
}

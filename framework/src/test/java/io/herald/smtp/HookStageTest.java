package io.herald.smtp;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.HookResult;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.smtp.SmtpHook;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/** Which stages a hook takes part in: exactly those whose method its class (or a superclass) overrides. */
class HookStageTest {

    static class MessageOnly implements SmtpHook {
        @Override
        public HookResult onMessage(SessionInfo session, Envelope envelope, MessageContent message) {
            return HookResult.next();
        }
    }

    static final class MessageAndRcpt extends MessageOnly {
        @Override
        public HookResult onRcpt(SessionInfo session, Envelope envelope, MailAddress recipient) {
            return HookResult.reject(550, "5.7.1", "no");
        }
    }

    @Test
    void aStageIsSkippedOnlyWhereTheHookKeepsTheDefault() {
        assertThat(stagesOf(new SmtpHook() { })).isEmpty();
        assertThat(stagesOf(new MessageOnly())).containsExactly(HookStage.MESSAGE);
        assertThat(stagesOf(new MessageAndRcpt())).containsExactly(HookStage.RCPT, HookStage.MESSAGE);
        assertThat(stagesOf(new SmtpHook() {
            @Override public HookResult onConnect(SessionInfo s) { return HookResult.next(); }
            @Override public HookResult onHelo(SessionInfo s, String helo) { return HookResult.next(); }
            @Override public HookResult onMail(SessionInfo s, java.util.Optional<MailAddress> from) { return HookResult.next(); }
        })).containsExactly(HookStage.CONNECT, HookStage.HELO, HookStage.MAIL);
    }

    private static HookStage[] stagesOf(SmtpHook hook) {
        return Arrays.stream(HookStage.values()).filter(s -> s.implementedBy(hook)).toArray(HookStage[]::new);
    }
}

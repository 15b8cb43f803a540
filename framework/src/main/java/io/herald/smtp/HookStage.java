package io.herald.smtp;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.smtp.SessionInfo;
import io.herald.api.smtp.SmtpHook;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The stages of an SMTP session at which {@link SmtpHook}s are called, and which stages a hook takes part in.
 *
 * <p>A hook that does not override a stage's method would answer {@code Next} with no header (the interface's
 * default): the session skips it there instead of handing a call to the hook executor, so a stage without any
 * overriding hook costs no thread hand-off. Which methods a hook class overrides is looked up once per class
 * (reflection, cached in a {@link ClassValue}), never per message.
 */
enum HookStage {
    CONNECT("connect", "onConnect", SessionInfo.class),
    HELO("helo", "onHelo", SessionInfo.class, String.class),
    MAIL("mail", "onMail", SessionInfo.class, Optional.class),
    RCPT("rcpt", "onRcpt", SessionInfo.class, Envelope.class, MailAddress.class),
    MESSAGE("message", "onMessage", SessionInfo.class, Envelope.class, MessageContent.class);

    private final String label;
    private final String method;
    private final Class<?>[] parameters;

    HookStage(String label, String method, Class<?>... parameters) {
        this.label = label;
        this.method = method;
        this.parameters = parameters;
    }

    String label() {
        return label;
    }

    /** True unless the hook's class inherits this stage's method from {@link SmtpHook} unchanged. */
    boolean implementedBy(SmtpHook hook) {
        return STAGES.get(hook.getClass()).contains(this);
    }

    private static final ClassValue<Set<HookStage>> STAGES = new ClassValue<>() {
        @Override
        protected Set<HookStage> computeValue(Class<?> type) {
            EnumSet<HookStage> stages = EnumSet.noneOf(HookStage.class);
            for (HookStage s : values()) {
                try {
                    if (type.getMethod(s.method, s.parameters).getDeclaringClass() != SmtpHook.class) stages.add(s);
                } catch (NoSuchMethodException | SecurityException e) {
                    stages.add(s);   // cannot tell: call it, as before
                }
            }
            return stages;
        }
    };
}

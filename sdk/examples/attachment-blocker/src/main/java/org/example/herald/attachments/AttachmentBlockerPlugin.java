package org.example.herald.attachments;

import io.herald.api.plugin.HeraldPlugin;

/**
 * Refuses messages that carry attachments of dangerous types, at the end of DATA (so the sender's server gets the
 * 5xx and no bounce is ever sent to a forged sender). Configuration: {@code conf/attachment-blocker.cfg}.
 */
public final class AttachmentBlockerPlugin extends HeraldPlugin {

    @Override
    public String configPid() {
        return "attachment-blocker";
    }

    @Override
    protected void configure() {
        smtpHook().to(AttachmentBlockerHook.class);
    }
}

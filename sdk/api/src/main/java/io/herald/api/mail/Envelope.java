package io.herald.api.mail;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The SMTP envelope of one transaction.
 *
 * @param reversePath the MAIL FROM address; empty for the null reverse-path {@code <>} (bounces)
 * @param recipients  the accepted RCPT TO addresses, in the order given
 * @param mailParameters the ESMTP parameters of MAIL FROM (upper-case keys, e.g. {@code SIZE}, {@code BODY}, {@code SMTPUTF8})
 */
public record Envelope(Optional<MailAddress> reversePath, List<MailAddress> recipients, Map<String, String> mailParameters) {

    public Envelope {
        recipients = List.copyOf(recipients);
        mailParameters = Map.copyOf(mailParameters);
    }

    public boolean isNullSender() {
        return reversePath.isEmpty();
    }

    /** The reverse-path as it is written in {@code Return-Path:} and trace fields: {@code <a@b>} or {@code <>}. */
    public String reversePathText() {
        return reversePath.map(a -> "<" + a + ">").orElse("<>");
    }
}

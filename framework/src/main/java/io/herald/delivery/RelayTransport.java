package io.herald.delivery;

import io.herald.api.mail.Envelope;
import io.herald.api.mail.MailAddress;
import io.herald.api.mail.MessageContent;
import io.herald.api.routing.Route;
import io.herald.outbound.OutboundClient;

import java.util.List;
import java.util.Optional;

/** Relays a message to the next hop of a route: the {@link OutboundClient}, or {@link #NONE} in a server without one. */
@FunctionalInterface
public interface RelayTransport {

    /** No outbound transport: every relay recipient is deferred (it stays queued). */
    RelayTransport NONE = (route, envelope, recipients, message) -> recipients.stream()
            .map(r -> new OutboundClient.Result(r, OutboundClient.Kind.DEFERRED,
                    "451 4.4.0 relay to " + String.join(",", route.hosts()) + " not available (no outbound transport)", Optional.empty()))
            .toList();

    /** One result per recipient, in order; see {@link OutboundClient#deliver}. */
    List<OutboundClient.Result> deliver(Route.Relay route, Envelope envelope, List<MailAddress> recipients, MessageContent message);
}

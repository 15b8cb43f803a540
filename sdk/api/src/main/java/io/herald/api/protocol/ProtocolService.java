package io.herald.api.protocol;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * A network service a plugin owns (an IMAP or POP3 server, an HTTP endpoint): the {@code protocol service}
 * extension point, contributed with {@code HeraldPlugin.protocolService()}.
 *
 * <p><b>Lifecycle, driven by the host.</b> {@link #start} is called once, after every contribution of the plugin
 * (its notification sinks, say) is registered, on the host's thread. It binds the listeners and returns; it must not
 * wait for clients. {@link #stop} is called once when the plugin is withdrawn (bundle stopped, updated or removed,
 * its configuration changed, the server shutting down) and returns only when the listeners are unbound and the
 * sessions closed, so that a restarted plugin can bind the same ports at once. Before it, {@link #stopAccepting} is
 * called: when the server stops, for every listener of the server at once (the SMTP listeners and every plugin's),
 * at the start of the stop, so that no listener takes new clients while the others end their sessions; when one
 * plugin is withdrawn, for all of that plugin's services. A host that only reads (command-line tools beside a running
 * server) never starts protocol services.
 *
 * <p><b>Failure policy.</b> A {@link #start} that throws fails the whole plugin: the services of the plugin already
 * started are stopped again and its contributions are not registered (the plugin is FAILED, with the exception as
 * the reason). A {@link #stop} that throws is logged; the host goes on withdrawing the plugin.
 *
 * <p><b>Ports.</b> The service reads them from its plugin's configuration ({@code conf/<pid>.cfg}); {@code bin/herald
 * run --port-offset N} moves the keys listed in the launcher's port table (for example {@code imap.cfg}
 * {@code port} and {@code tls.port}) before the plugin sees its configuration. Port 0 binds a free port: report it
 * in {@link #endpoints()}.
 */
public interface ProtocolService {

    /** A short name for logs, e.g. {@code imap}. */
    String name();

    /** Binds the listeners. Called once. */
    void start() throws Exception;

    /**
     * Stops accepting connections (unbinds the listeners: a new client is refused at connect), and returns without
     * waiting for anything else: the sessions already open go on until {@link #stop}. Called at most once, after a
     * successful {@link #start} and before {@link #stop}, which must unbind too (it may be called without this).
     * The default does nothing, so a service that does not implement it takes new clients until its {@link #stop}.
     *
     * @since 1.1
     */
    default void stopAccepting() throws Exception {
    }

    /**
     * Unbinds the listeners (if {@link #stopAccepting} has not) and closes the sessions. Called once, after a
     * successful {@link #start}.
     */
    void stop() throws Exception;

    /**
     * The addresses bound now, by listener name (e.g. {@code imap}, {@code imaps}); empty when not started. Tests and
     * tools use it to find ports bound as 0.
     */
    Map<String, InetSocketAddress> endpoints();
}

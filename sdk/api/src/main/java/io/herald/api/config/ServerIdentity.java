package io.herald.api.config;

import java.util.Locale;
import java.util.Set;

/**
 * Who this server is: the host name it greets with and writes into trace fields, and the domains whose mail
 * it keeps locally (configured in {@code conf/herald.cfg}: {@code hostname}, {@code domains}).
 * Injectable in every plugin.
 */
@org.osgi.annotation.versioning.ProviderType
public interface ServerIdentity {

    String hostname();

    /** The local domains, lower-case. */
    Set<String> localDomains();

    default boolean isLocal(String domain) {
        return localDomains().contains(domain.toLowerCase(Locale.ROOT));
    }
}

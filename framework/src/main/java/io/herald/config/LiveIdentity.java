package io.herald.config;

import io.herald.api.config.ServerIdentity;

import java.util.Set;

/**
 * The server's identity as it is configured <em>now</em>: the one instance the core and every plugin hold, which
 * follows {@code conf/herald.cfg} when {@link ConfigStore#reload()} applies a change (new local domains are in
 * effect for the next SMTP command that asks).
 */
public final class LiveIdentity implements ServerIdentity {

    private volatile ConfiguredIdentity current;

    public LiveIdentity(ConfiguredIdentity initial) {
        this.current = initial;
    }

    /** Follows the {@code herald} pid of {@code configs}: a wrong value is refused and the last good one kept. */
    public static LiveIdentity following(ConfigStore configs) {
        LiveIdentity identity = new LiveIdentity(ConfiguredIdentity.from(configs.get("herald")));
        configs.addListener("herald", ConfigStore.listener(ConfiguredIdentity::from,
                c -> identity.current = ConfiguredIdentity.from(c)));
        return identity;
    }

    public ConfiguredIdentity current() {
        return current;
    }

    @Override
    public String hostname() {
        return current.hostname();
    }

    @Override
    public Set<String> localDomains() {
        return current.localDomains();
    }

    @Override
    public String toString() {
        return current.toString();
    }
}

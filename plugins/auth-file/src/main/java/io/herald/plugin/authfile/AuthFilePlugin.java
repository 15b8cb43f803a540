package io.herald.plugin.authfile;

import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.herald.api.config.Configuration;
import io.herald.api.plugin.HeraldPlugin;
import io.herald.api.plugin.PluginContext;

import java.time.Clock;

/**
 * Users and aliases in a file: contributes {@link FileAuthenticator} and {@link AliasRouter}.
 * Configuration: {@code conf/auth-file.cfg} ({@code file}, {@code iterations}, {@code password.minLength}; see {@link UserDatabase}).
 */
public final class AuthFilePlugin extends HeraldPlugin {

    @Override
    protected void configure() {
        authenticator().to(FileAuthenticator.class);
        router().to(AliasRouter.class);
    }

    @Provides
    @Singleton
    UserDatabase users(PluginContext context, Configuration config, Clock clock) {
        return UserDatabase.fromConfig(config, context.dataDir(), clock);
    }
}

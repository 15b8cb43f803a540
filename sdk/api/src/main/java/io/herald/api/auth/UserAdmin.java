package io.herald.api.auth;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Administration of a user database, for {@code bin/herald user ...}: implemented by authenticator plugins that
 * keep their own users (e.g. {@code auth-file}). Passwords arrive as {@code char[]} and are wiped by the caller
 * after the call; implementations store only salted slow hashes. Implementations are safe against concurrent
 * writers (other threads, other processes such as a running server).
 */
public interface UserAdmin {

    /** Adds a user. @throws IllegalArgumentException when the address is invalid or the user exists already */
    void add(String address, char[] password) throws IOException;

    /** Sets a new password. @throws IllegalArgumentException when there is no such user */
    void passwd(String address, char[] password) throws IOException;

    /** Removes a user; returns false when there was none. */
    boolean remove(String address) throws IOException;

    /** The users' canonical addresses, sorted. */
    List<String> list() throws IOException;

    /** Adds or replaces an alias. */
    void addAlias(String alias, String target) throws IOException;

    /** Removes an alias; returns false when there was none. */
    boolean removeAlias(String alias) throws IOException;

    /** Alias → target, sorted by alias. */
    Map<String, String> aliases() throws IOException;

    /**
     * The form in which this database keeps {@code address} (for example trimmed and in lower case): what
     * {@code herald user add|remove|alias|...} print, so that the operator sees what was stored. Since 1.2.
     *
     * @return the address unchanged unless the database keeps another form
     */
    default String canonicalAddress(String address) {
        return address;
    }

    /**
     * Opens a plugin's user database without starting a server; found with {@link java.util.ServiceLoader}
     * ({@code META-INF/services/io.herald.api.auth.UserAdmin$Factory}).
     */
    interface Factory {
        /** The plugin's name, which is also its configuration pid and its data folder's name. */
        String plugin();

        UserAdmin open(io.herald.api.config.Configuration config, Path dataDir);
    }
}

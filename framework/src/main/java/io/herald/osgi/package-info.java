/**
 * The OSGi host: an embedded Apache Felix whose system bundle exports the extension API (and Guice, jakarta.inject,
 * SLF4J) from the launcher's class path, Felix FileInstall watching {@code plugins/} for hot deploy, and the
 * {@link io.herald.osgi.PluginExtender} that starts every bundle with a {@code Herald-Plugin} header the same way
 * the plain host starts a module found with {@link java.util.ServiceLoader}.
 */
package io.herald.osgi;

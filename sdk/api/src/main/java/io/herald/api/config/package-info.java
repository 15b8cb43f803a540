/**
 * Part of Herald's extension API. Exported to plugin bundles at a semantic version: raise the minor version for
 * an addition, the major version for any change that breaks a plugin compiled against the previous one.
 *
 * <p>1.1: {@code Configuration.keys(String prefix)}, a family of keys.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package io.herald.api.config;

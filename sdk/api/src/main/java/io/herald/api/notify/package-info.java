/**
 * Part of Herald's extension API. Exported to plugin bundles at a semantic version: raise the minor version for
 * an addition, the major version for any change that breaks a plugin compiled against the previous one.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.herald.api.notify;

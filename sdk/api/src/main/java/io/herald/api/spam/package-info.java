/**
 * Spam filtering: {@link io.herald.api.spam.SpamFilter} scores a received message, the core adds the scores of
 * all filters and compares the sum with its thresholds; {@link io.herald.api.spam.SpamLearner} is trained from
 * messages a user (or an administrator) labelled as spam or ham.
 *
 * <p>Part of Herald's extension API. Exported to plugin bundles at a semantic version: raise the minor version for
 * an addition, the major version for any change that breaks a plugin compiled against the previous one.
 *
 * <p>1.2: {@link io.herald.api.spam.SpamFeedback}, users' Junk moves reported for learning.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.2.0")
package io.herald.api.spam;

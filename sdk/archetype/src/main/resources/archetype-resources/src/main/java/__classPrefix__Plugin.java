package ${package};

import io.herald.api.plugin.HeraldPlugin;

/**
 * The plugin: a Guice module whose bindings are its contributions to Herald's extension points. Herald's OSGi host
 * starts it from the bundle's {@code Herald-Plugin} manifest header; the plain-Java host (tests, embedding) finds it
 * through {@code META-INF/services/io.herald.api.plugin.HeraldPlugin}.
 */
public final class ${classPrefix}Plugin extends HeraldPlugin {

    /** The configuration pid: the plugin reads {@code conf/${pluginId}.cfg}. */
    @Override
    public String configPid() {
        return "${pluginId}";
    }

    @Override
    protected void configure() {
        smtpHook().to(${classPrefix}Hook.class);
    }
}

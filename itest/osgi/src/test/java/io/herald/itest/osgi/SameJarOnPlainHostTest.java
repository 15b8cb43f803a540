package io.herald.itest.osgi;

import io.herald.api.routing.Router;
import io.herald.server.HeraldServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The bundle bnd built for route-local is still a plain jar for the plain host: ServiceLoader finds its module. */
class SameJarOnPlainHostTest {

    @TempDir Path home;
    @TempDir Path work;

    @Test
    void theBundleJarStartsOnThePlainHostThroughServiceLoader() throws Exception {
        Path jar = TestBundles.asJar(TestBundles.built("route-local"), work);
        try (URLClassLoader loader = new PluginFirst(jar.toUri().toURL(), getClass().getClassLoader());
             HeraldServer server = HeraldServer.builder().home(home).discoverPlugins(loader).start()) {
            assertThat(server.registry().plugins()).extracting(io.herald.host.Plugin::name).contains("route-local");
            Router router = server.registry().plugins().stream().filter(p -> p.name().equals("route-local"))
                    .findFirst().orElseThrow().routers().get(0);
            assertThat(router.getClass().getName()).isEqualTo("io.herald.plugin.routelocal.LocalRouter");
            assertThat(router.getClass().getClassLoader()).as("loaded from the bundle jar").isSameAs(loader);
        }
    }

    /**
     * Loads the plugin's own package from the jar first (route-local's class folder is also on the test class path,
     * as a test dependency that orders the reactor); the API, Guice and the core come from the parent.
     */
    private static final class PluginFirst extends URLClassLoader {
        PluginFirst(URL jar, ClassLoader parent) {
            super(new URL[] {jar}, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("io.herald.plugin.routelocal.")) return super.loadClass(name, resolve);
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) c = findClass(name);
                if (resolve) resolveClass(c);
                return c;
            }
        }
    }
}

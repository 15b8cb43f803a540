package io.herald.itest.osgi.activator;

import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/** A test bundle's activator that refuses to start, as a plugin bundle with a broken activator would. */
public final class ThrowingActivator implements BundleActivator {
    @Override
    public void start(BundleContext context) {
        throw new IllegalStateException("no licence key in conf/");
    }

    @Override
    public void stop(BundleContext context) {
    }
}

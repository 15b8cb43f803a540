package io.herald.osgi;

import org.osgi.framework.BundleException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;

/**
 * Felix FileInstall's log, taken into Herald's. FileInstall writes to standard output unless told to use
 * {@code java.util.logging} ({@code felix.fileinstall.log.default=jul}, logger {@value #LOGGER}); this handler takes
 * those records. A failure to install or start a jar of a plugin folder (an {@link BundleException} with the jar's
 * path or location) becomes that plugin's state and one warning of the {@link PluginExtender}'s, which names the jar
 * and the reason; every other line goes to the SLF4J logger {@code org.apache.felix.fileinstall} at its level.
 *
 * <p>FileInstall's logger is one per JVM, so this handler is too: each OSGi host's extender registers while it runs.
 */
final class FileInstallLog extends Handler {

    /** The {@code java.util.logging} logger FileInstall writes to. */
    static final String LOGGER = "fileinstall";

    private static final Logger log = LoggerFactory.getLogger("org.apache.felix.fileinstall");
    private static final FileInstallLog INSTANCE = new FileInstallLog();
    /** Held so that the logger's configuration is not lost to garbage collection. */
    private static final java.util.logging.Logger JUL = java.util.logging.Logger.getLogger(LOGGER);

    static {
        JUL.setUseParentHandlers(false);
        JUL.addHandler(INSTANCE);
    }

    private final List<PluginExtender> extenders = new CopyOnWriteArrayList<>();

    private FileInstallLog() { }

    static void register(PluginExtender extender) {
        INSTANCE.extenders.add(extender);
    }

    static void unregister(PluginExtender extender) {
        INSTANCE.extenders.remove(extender);
    }

    @Override
    public void publish(LogRecord record) {
        String message = record.getMessage() == null ? "" : record.getMessage();
        Throwable thrown = record.getThrown();
        if (thrown instanceof BundleException e) {
            for (PluginExtender x : extenders) {
                if (x.fileInstallFailure(message, e)) return;
            }
        }
        int level = record.getLevel().intValue();
        if (level >= Level.SEVERE.intValue()) log.error(message, thrown);
        else if (level >= Level.WARNING.intValue()) log.warn(message, thrown);
        else if (level >= Level.INFO.intValue()) log.info(message, thrown);
        else log.debug(message, thrown);
    }

    @Override
    public void flush() { }

    @Override
    public void close() { }
}

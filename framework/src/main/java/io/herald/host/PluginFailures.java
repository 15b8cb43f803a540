package io.herald.host;

/**
 * The one line a plugin that could not start is reported with ({@code herald plugins}, the log, the command-line
 * tools): the module and the innermost cause, which is what the plugin's author or the operator needs to see (for a
 * refused configuration value: the file, the key, the value and what is allowed), never a Guice error listing.
 */
public final class PluginFailures {

    private PluginFailures() { }

    /** A one-line reason: the module and the innermost cause, which is what the plugin's author needs to see. */
    public static String reason(String module, Throwable e) {
        Throwable root = innermost(e);
        if (root instanceof ReflectiveOperationException && !(root instanceof ClassNotFoundException)) {
            return "cannot instantiate " + module + ": " + root;
        }
        return module + ": " + root.getClass().getName() + (root.getMessage() == null ? "" : ": " + firstLine(root.getMessage()));
    }

    /**
     * The innermost cause. Guice's {@code CreationException} and {@code ProvisionException} have no cause of their own
     * when their error messages carry several (e.g. a module's {@code @Provides} refusing a configuration value, seen
     * by two bindings): the first message's cause is followed then, so that the reason names the file and the key
     * rather than "Unable to create injector, see the following errors:".
     */
    private static Throwable innermost(Throwable e) {
        Throwable root = e;
        while (true) {
            Throwable next = root.getCause();
            if (next == null) next = firstGuiceCause(root);
            if (next == null || next == root) return root;
            root = next;
        }
    }

    private static Throwable firstGuiceCause(Throwable e) {
        java.util.Collection<com.google.inject.spi.Message> messages;
        if (e instanceof com.google.inject.CreationException c) messages = c.getErrorMessages();
        else if (e instanceof com.google.inject.ProvisionException p) messages = p.getErrorMessages();
        else return null;
        return messages.stream().map(com.google.inject.spi.Message::getCause).filter(java.util.Objects::nonNull).findFirst().orElse(null);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}

package io.herald.launcher;

import ch.qos.logback.core.FileAppender;
import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Logback's own status messages, for people. Installed by {@link Logging#forServer} as Logback's status listener
 * (system property {@code logback.statusListenerClass}), which also keeps Logback from printing its whole status
 * history when something went wrong while it configured itself (a page of "|-INFO in ch.qos.logback..." lines).
 *
 * <p>Only errors are kept, each as one line: a file appender that cannot open its file (a {@code logs/} that is not
 * writable, or not a folder) becomes "logs go to the console only: cannot write FILE (reason)", once per appender;
 * any other error is its message and its cause's. Until {@link #startupProblems()} is called they are collected (the
 * server logs them as warnings once logging is up); afterwards they go to stderr as they happen.
 *
 * <p>Thread-safe: Logback calls it from any thread that logs.
 */
public final class LogStatus implements StatusListener {

    private static final List<String> collected = new ArrayList<>();
    private static final Set<Object> reportedAppenders = ConcurrentHashMap.newKeySet();
    private static boolean started;
    private static volatile boolean fileFailed;

    /** Created by Logback (public, no arguments). */
    public LogStatus() { }

    @Override
    public void addStatusEvent(Status status) {
        if (status.getLevel() < Status.ERROR) return;
        String line = describe(status);
        if (line == null) return;
        synchronized (LogStatus.class) {
            if (!started) {
                collected.add(line);
                return;
            }
        }
        System.err.println("herald: " + line);
    }

    /** Logback keeps this listener across a reconfiguration. */
    @Override
    public boolean isResetResistant() {
        return true;
    }

    /** The errors Logback reported while it configured itself; from now on, errors go to stderr at once. */
    static List<String> startupProblems() {
        synchronized (LogStatus.class) {
            started = true;
            List<String> out = List.copyOf(collected);
            collected.clear();
            return out;
        }
    }

    /** True when a file appender could not open its file (the log goes to the console only). */
    static boolean fileLoggingFailed() {
        return fileFailed;
    }

    private static String describe(Status status) {
        Throwable cause = status.getThrowable();
        String why = cause == null ? "" : cause.getMessage() != null ? cause.getMessage() : cause.toString();
        if (status.getOrigin() instanceof FileAppender<?> file) {
            if (!reportedAppenders.add(file)) return null;
            fileFailed = true;
            // FileNotFoundException says "<file> (Not a directory)": the file once is enough
            if (file.getFile() != null && why.startsWith(file.getFile() + " (") && why.endsWith(")")) {
                why = why.substring(file.getFile().length() + 2, why.length() - 1);
            }
            return "logs go to the console only: cannot write " + file.getFile() + (why.isEmpty() ? "" : " (" + why + ")")
                    + "; the user running the server must be able to write that folder";
        }
        return "logging: " + status.getMessage() + (why.isEmpty() ? "" : " (" + why + ")");
    }
}

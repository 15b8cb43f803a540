package io.herald.launcher;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Chooses the Logback configuration before the first logger is created (so no class of the launcher holds a static
 * logger). The server logs to the console and to {@code <home>/logs/herald.log}; the command-line tools log warnings
 * to stderr only, so that stdout carries nothing but their output.
 */
final class Logging {

    static final String CONFIG_PROPERTY = "logback.configurationFile";

    private Logging() { }

    static final String STATUS_LISTENER_PROPERTY = "logback.statusListenerClass";

    /**
     * For {@code herald run}: {@code <home>/conf/logback.xml}, else the distribution's, else the built-in one; Logback's
     * own status messages through {@link LogStatus} (one line per error, see {@link #reportProblems}).
     */
    static void forServer(Path home) {
        System.setProperty("herald.home", home.toString());
        if (System.getProperty(STATUS_LISTENER_PROPERTY) == null) {
            System.setProperty(STATUS_LISTENER_PROPERTY, LogStatus.class.getName());
        }
        if (System.getProperty(CONFIG_PROPERTY) != null) return;
        Path dist = Home.distribution();
        for (Path candidate : dist == null ? new Path[] {home.resolve("conf/logback.xml")}
                : new Path[] {home.resolve("conf/logback.xml"), dist.resolve("conf/logback.xml")}) {
            if (Files.isRegularFile(candidate)) {
                System.setProperty(CONFIG_PROPERTY, candidate.toString());
                return;
            }
        }
        System.setProperty(CONFIG_PROPERTY, "io/herald/launcher/logback-server.xml");
    }

    /**
     * Logs, once logging is up, what went wrong while Logback configured itself (e.g. {@code logs/} not writable),
     * one warning line each.
     */
    static void reportProblems(org.slf4j.Logger log) {
        for (String problem : LogStatus.startupProblems()) log.warn(problem);
    }

    /** Where the log goes, for the start-up line: the folder, or the console only when the file could not be opened. */
    static String destination(Path logs) {
        return LogStatus.fileLoggingFailed() ? "the console only (" + logs + " is not writable)" : logs.toString();
    }

    /** For the tools: warnings and errors to stderr. */
    static void forTool(Path home) {
        System.setProperty("herald.home", home.toString());
        if (System.getProperty(CONFIG_PROPERTY) == null) {
            System.setProperty(CONFIG_PROPERTY, "io/herald/launcher/logback-tool.xml");
        }
    }
}

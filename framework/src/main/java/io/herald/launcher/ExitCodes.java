package io.herald.launcher;

/**
 * The exit codes of {@code bin/herald}, documented in {@code docs/operations.md}.
 */
public final class ExitCodes {
    /** Done; for {@code run}: the server was stopped cleanly. */
    public static final int OK = 0;
    /** The command failed: unknown mailbox, folder or message, a store error, the server could not start. */
    public static final int FAILURE = 1;
    /** Wrong command line (picocli's usage error code). */
    public static final int USAGE = 2;
    /** A configuration value was refused; the message names the file, key, value and what is allowed. */
    public static final int CONFIG = 3;

    private ExitCodes() { }
}

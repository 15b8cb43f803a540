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
    /**
     * {@code herald notify test}: no sink failed, but at least one is not configured (nothing was sent through it; the
     * output says what to set, in which file).
     */
    public static final int NOT_CONFIGURED = 4;

    private ExitCodes() { }
}

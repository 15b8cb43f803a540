package io.herald.launcher;

import io.herald.api.config.ConfigurationException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code bin/herald}: runs the server ({@code herald}, {@code herald run}) and the command-line tools
 * ({@code herald mailbox list|show}). Exit codes: {@link ExitCodes}.
 */
@Command(name = "herald", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Herald mail server. Without a command: the same as 'run'.",
        subcommands = {RunCommand.class, MailboxCommand.class, PluginsCommand.class, NotifyCommand.class, QueueCommand.class,
                SpamCommand.class, CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:done", "1:failed (unknown mailbox, message, start-up failure, ...)", "2:wrong command line",
                "3:invalid configuration", "4:notify test: a sink is not configured (none failed)"})
public final class Main implements Callable<Integer> {

    @Option(names = "--home", paramLabel = "DIR", scope = ScopeType.INHERIT,
            description = "The server's folder (conf/, data/, logs/, plugins/). Default: $HERALD_HOME, else the "
                    + "distribution folder (the parent of bin/).")
    Path home;

    /** The server's folder as chosen by {@code --home}, {@code HERALD_HOME} or the distribution. */
    Path home() {
        return Home.resolve(home);
    }

    @Override
    public Integer call() throws Exception {
        RunCommand run = new RunCommand();
        run.parent = this;
        return run.call();
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs one command line and returns its exit code (used by {@link #main} and by tests). */
    public static int execute(String... args) {
        return execute(null, args);
    }

    /** Runs one command line with picocli's messages and errors going to {@code err} (or stderr when null). */
    static int execute(java.io.PrintWriter err, String... args) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        cl.addSubcommand("user", io.herald.cli.user.UserCommand.forHome(main::home, Home::pluginLoader));
        if (err != null) cl.setErr(err);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigurationException) {
                cmd.getErr().println("herald: invalid configuration: " + e.getMessage());
                return ExitCodes.CONFIG;
            }
            if (e instanceof CommandFailedException) {
                cmd.getErr().println("herald: " + e.getMessage());
                return ExitCodes.FAILURE;
            }
            cmd.getErr().println("herald: " + e);
            e.printStackTrace(cmd.getErr());
            return ExitCodes.FAILURE;
        });
        return cl.execute(args);
    }

    /** A failure the user can act on: printed as one line on stderr, exit code 1. */
    static final class CommandFailedException extends Exception {
        CommandFailedException(String message) {
            super(message);
        }
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"Herald " + (v == null ? "(development build)" : v)};
        }
    }
}

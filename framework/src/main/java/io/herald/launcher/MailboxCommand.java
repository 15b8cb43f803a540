package io.herald.launcher;

import io.herald.api.mailbox.Folders;
import io.herald.api.mailbox.MailboxStore;
import io.herald.host.ActiveMailboxStore;
import io.herald.server.HeraldServer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code herald mailbox list|show}: reads the mailboxes of a server's {@code data/} read-only, so it works while
 * the server runs. {@code herald mailbox reindex} rebuilds the store's search index from the stored messages; it
 * needs the store for writing and refuses while a server holds it.
 */
@Command(name = "mailbox", mixinStandardHelpOptions = true,
        description = "Look into local mailboxes (read-only); rebuild their search index (server stopped).",
        subcommands = {MailboxCommand.List.class, MailboxCommand.Show.class, MailboxCommand.Reindex.class})
final class MailboxCommand {

    @ParentCommand
    Main parent;

    /** Opens the store read-only, runs the action, closes everything. */
    int withStore(StoreAction action) throws Exception {
        Path home = parent.home();
        Logging.forTool(home);
        try (URLClassLoader plugins = Home.pluginLoader(home);
             HeraldServer server = HeraldServer.builder().home(home).readOnly(true).discoverPlugins(plugins).start()) {
            MailboxStore store = server.mailboxStore();
            if (store instanceof ActiveMailboxStore active && !active.isPresent()) {
                throw new Main.CommandFailedException("no mailbox store plugin is active (looked in "
                        + home.resolve("plugins") + (Home.distribution() == null ? "" : ", " + Home.distribution().resolve("plugins"))
                        + " and the class path)");
            }
            return action.run(store);
        }
    }

    interface StoreAction {
        int run(MailboxStore store) throws Exception;
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "One line per message: n, uid, date (UTC), size, from, subject.")
    static final class List implements Callable<Integer> {
        @ParentCommand
        MailboxCommand mailbox;

        @Parameters(index = "0", paramLabel = "ADDRESS", description = "The mailbox, e.g. olaf@herald.test.")
        String address;

        @Option(names = "--folder", defaultValue = Folders.INBOX, description = "Folder (default: ${DEFAULT-VALUE}).")
        String folder;

        @Override
        public Integer call() throws Exception {
            PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
            int rc = mailbox.withStore(store -> {
                MailboxTool.list(store, address, folder, out);
                return ExitCodes.OK;
            });
            out.flush();
            return rc;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Write one stored message, byte for byte, to stdout.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        MailboxCommand mailbox;

        @Parameters(index = "0", paramLabel = "ADDRESS", description = "The mailbox, e.g. olaf@herald.test.")
        String address;

        @Parameters(index = "1", paramLabel = "N", description = "The message's position as 'mailbox list' shows it (1 = oldest).")
        int n;

        @Option(names = "--folder", defaultValue = Folders.INBOX, description = "Folder (default: ${DEFAULT-VALUE}).")
        String folder;

        @Override
        public Integer call() throws Exception {
            OutputStream out = new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 64 * 1024);
            int rc = mailbox.withStore(store -> {
                MailboxTool.show(store, address, folder, n, out);
                return ExitCodes.OK;
            });
            out.flush();
            return rc;
        }
    }

    @Command(name = "reindex", mixinStandardHelpOptions = true,
            description = "Rebuild the mailbox search index from the stored messages. The server must be stopped.")
    static final class Reindex implements Callable<Integer> {
        @ParentCommand
        MailboxCommand mailbox;

        @Override
        public Integer call() throws Exception {
            PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
            int rc = mailbox.withStore(store -> {
                MailboxTool.reindex(store, out);
                return ExitCodes.OK;
            });
            out.flush();
            return rc;
        }
    }
}

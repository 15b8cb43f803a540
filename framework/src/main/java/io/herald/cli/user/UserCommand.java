package io.herald.cli.user;

import io.herald.api.auth.UserAdmin;
import io.herald.config.ConfigStore;
import io.herald.config.HeraldPaths;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/**
 * {@code herald user add|passwd|remove|list|alias|unalias}: manages the users of the file-based user database
 * (any plugin offering a {@link UserAdmin.Factory}). Passwords are read from the terminal without echo (twice),
 * or — when there is no terminal — one line from standard input; never from the command line, where other
 * users could see them in the process list. What they print names each address in the form the database keeps
 * ({@link UserAdmin#canonicalAddress}: {@code UPPER@Herald.Test} is added as {@code upper@herald.test}).
 *
 * <p>To attach: {@code new CommandLine(main).addSubcommand("user", UserCommand.forHome(home, loader))}.
 */
@Command(name = "user", mixinStandardHelpOptions = true, description = "Manage mail users and aliases.",
        subcommands = {UserCommand.Add.class, UserCommand.Passwd.class, UserCommand.Remove.class, UserCommand.ListUsers.class,
                UserCommand.Alias.class, UserCommand.Unalias.class})
public final class UserCommand {

    final Supplier<UserAdmin> admin;
    final InputStream stdin;
    final PrintStream out;

    /** The server's local domains, for the warning about a user outside them; null when unknown (no warning). */
    final Supplier<java.util.Set<String>> localDomains;

    public UserCommand(Supplier<UserAdmin> admin, InputStream stdin, PrintStream out) {
        this(admin, null, stdin, out);
    }

    public UserCommand(Supplier<UserAdmin> admin, Supplier<java.util.Set<String>> localDomains, InputStream stdin, PrintStream out) {
        this.admin = admin;
        this.localDomains = localDomains;
        this.stdin = stdin;
        this.out = out;
    }

    /** Opens the user database of the server at {@code home}, found with {@link ServiceLoader} in {@code loader}. */
    public static UserCommand forHome(Path home, ClassLoader loader) {
        return new UserCommand(() -> {
            HeraldPaths paths = new HeraldPaths(home);
            ConfigStore configs = new ConfigStore(paths.conf(), java.util.Map.of());
            for (UserAdmin.Factory f : ServiceLoader.load(UserAdmin.Factory.class, loader)) {
                return f.open(configs.get(f.plugin()), paths.pluginData(f.plugin()));
            }
            throw new IllegalStateException("no user database plugin (such as auth-file) is installed");
        }, () -> localDomains(home), System.in, System.out);
    }

    /** The local domains of {@code conf/herald.cfg} ({@code domains}) of the server at {@code home}. */
    static java.util.Set<String> localDomains(Path home) {
        ConfigStore configs = new ConfigStore(new HeraldPaths(home).conf(), java.util.Map.of());
        return io.herald.config.ConfiguredIdentity.from(configs.get("herald")).localDomains();
    }

    /**
     * Like {@link #forHome(Path, ClassLoader)}, with the home and the loader found only when a subcommand runs
     * (after the command line, e.g. {@code --home}, has been parsed).
     */
    public static UserCommand forHome(Supplier<Path> home, java.util.function.Function<Path, ClassLoader> loader) {
        return new UserCommand(() -> {
            Path h = home.get();
            return forHome(h, loader.apply(h)).admin.get();
        }, () -> localDomains(home.get()), System.in, System.out);
    }

    /**
     * A user outside the local domains is kept (it can log in and submit mail) but gets no mailbox and receives
     * nothing here: said on stderr, since that is rarely what was meant.
     */
    void warnIfNotLocal(String address, picocli.CommandLine.Model.CommandSpec spec) {
        if (localDomains == null) return;
        String domain = address.substring(address.lastIndexOf('@') + 1).toLowerCase(java.util.Locale.ROOT);
        java.util.Set<String> local;
        try {
            local = localDomains.get();
        } catch (RuntimeException e) { // a broken herald.cfg: the server says so at start; the user was added
            return;
        }
        if (local.contains(domain)) return;
        spec.commandLine().getErr().println("herald user " + spec.name() + ": warning: " + domain
                + " is not a local domain (conf/herald.cfg domains = " + String.join(",", local) + "): " + address
                + " can log in and submit mail, but gets no mailbox and receives no mail here");
    }

    char[] readPassword() throws IOException {
        Console console = System.console();
        if (console != null && stdin == System.in) {
            char[] a = console.readPassword("Password: ");
            char[] b = console.readPassword("Again: ");
            if (a == null || b == null || !Arrays.equals(a, b)) throw new IllegalArgumentException("the passwords differ");
            Arrays.fill(b, '\0');
            return a;
        }
        BufferedReader r = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8));
        String line = r.readLine();
        if (line == null || line.isEmpty()) throw new IllegalArgumentException("no password on standard input");
        return line.toCharArray();
    }

    abstract static class Sub implements Callable<Integer> {
        @picocli.CommandLine.ParentCommand UserCommand parent;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        /**
         * Runs the subcommand. A refusal meant for people (not a mail address, no password on standard input, the
         * passwords differ, no user database plugin) is one line on stderr and exit code 1, not a stack trace.
         */
        @Override public final Integer call() throws Exception {
            try {
                return run();
            } catch (IllegalArgumentException | IllegalStateException e) {
                spec.commandLine().getErr().println("herald user " + spec.name() + ": " + e.getMessage());
                return 1;
            }
        }

        abstract int run() throws Exception;
    }

    @Command(name = "add", description = "Add a user; the password is read from the terminal or standard input.")
    static final class Add extends Sub {
        @Parameters(index = "0", description = "the user's address, e.g. elsa@herald.test") String address;

        @Override int run() throws Exception {
            char[] pw = parent.readPassword();
            UserAdmin admin = parent.admin.get();
            try {
                admin.add(address, pw);
            } finally {
                Arrays.fill(pw, '\0');
            }
            String stored = admin.canonicalAddress(address);
            parent.out.println("added " + stored);
            parent.warnIfNotLocal(stored, spec);
            return 0;
        }
    }

    @Command(name = "passwd", description = "Set a user's password; read from the terminal or standard input.")
    static final class Passwd extends Sub {
        @Parameters(index = "0") String address;

        @Override int run() throws Exception {
            char[] pw = parent.readPassword();
            UserAdmin admin = parent.admin.get();
            try {
                admin.passwd(address, pw);
            } finally {
                Arrays.fill(pw, '\0');
            }
            parent.out.println("password changed for " + admin.canonicalAddress(address));
            return 0;
        }
    }

    @Command(name = "remove", description = "Remove a user.")
    static final class Remove extends Sub {
        @Parameters(index = "0") String address;

        @Override int run() throws Exception {
            UserAdmin admin = parent.admin.get();
            boolean removed = admin.remove(address);
            String stored = admin.canonicalAddress(address);
            parent.out.println(removed ? "removed " + stored : "no user " + stored);
            return removed ? 0 : 1;
        }
    }

    @Command(name = "list", description = "List users and aliases.")
    static final class ListUsers extends Sub {
        @Override int run() throws Exception {
            UserAdmin a = parent.admin.get();
            a.list().forEach(parent.out::println);
            a.aliases().forEach((k, v) -> parent.out.println(k + " -> " + v));
            return 0;
        }
    }

    @Command(name = "alias", description = "Add an alias: mail to ALIAS goes to TARGET's mailbox.")
    static final class Alias extends Sub {
        @Parameters(index = "0") String alias;
        @Parameters(index = "1") String target;

        @Override int run() throws Exception {
            UserAdmin admin = parent.admin.get();
            admin.addAlias(alias, target);
            parent.out.println(admin.canonicalAddress(alias) + " -> " + admin.canonicalAddress(target));
            return 0;
        }
    }

    @Command(name = "unalias", description = "Remove an alias.")
    static final class Unalias extends Sub {
        @Parameters(index = "0") String alias;

        @Override int run() throws Exception {
            UserAdmin admin = parent.admin.get();
            boolean removed = admin.removeAlias(alias);
            String stored = admin.canonicalAddress(alias);
            parent.out.println(removed ? "removed alias " + stored : "no alias " + stored);
            return removed ? 0 : 1;
        }
    }
}

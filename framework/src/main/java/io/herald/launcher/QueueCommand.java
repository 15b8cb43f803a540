package io.herald.launcher;

import io.herald.config.HeraldPaths;
import io.herald.queue.QueueAdmin;
import io.herald.queue.QueueEntry;
import io.herald.queue.QueueSelection;
import io.herald.smtp.PathParser;
import io.herald.queue.RecipientState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

/**
 * {@code herald queue list|show|retry|delete}: the messages waiting in the queue, per recipient, and what to do with
 * them; {@code delete --all} (narrowed by {@code --to}/{@code --from}, see {@link QueueSelection}) empties it. Works beside a running server (see {@link QueueAdmin}: reading never writes; changes are handed to the
 * server through {@code data/queue/control/}) and without one (changes go to the files directly).
 */
@Command(name = "queue", mixinStandardHelpOptions = true, description = "Look into and act on the queue of messages to deliver.",
        subcommands = {QueueCommand.ListEntries.class, QueueCommand.Show.class, QueueCommand.Retry.class, QueueCommand.Delete.class})
final class QueueCommand {

    static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);

    @ParentCommand
    Main parent;

    PrintStream out = System.out;

    Path queueDir() {
        Path home = parent.home();
        Logging.forTool(home);
        return new HeraldPaths(home).queue();
    }

    static String time(java.util.Optional<Instant> t) {
        return t.map(TIME::format).orElse("-");
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "One line per queued message: id, arrival (UTC), size, sender, recipients still to do, next attempt.")
    static final class ListEntries implements Callable<Integer> {
        @ParentCommand
        QueueCommand queue;

        @Override
        public Integer call() throws Exception {
            List<QueueEntry.EntryInfo> entries = QueueAdmin.scan(queue.queueDir());
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"ID", "ARRIVAL", "SIZE", "FROM", "TO DO", "NEXT ATTEMPT"});
            for (QueueEntry.EntryInfo e : entries) {
                long open = e.recipients().stream().filter(r -> !r.finished()).count();
                java.util.Optional<Instant> next = e.recipients().stream().filter(r -> !r.finished())
                        .map(r -> r.nextAttempt().orElse(Instant.EPOCH)).min(Instant::compareTo)
                        .map(t -> t.equals(Instant.EPOCH) ? Instant.EPOCH : t);
                rows.add(new String[] {e.id(), TIME.format(e.arrival()), String.valueOf(e.size()), e.reversePath(),
                        open + "/" + e.recipients().size(), next.filter(t -> !t.equals(Instant.EPOCH)).map(TIME::format).orElse("now")});
            }
            queue.out.print(AdminCalls.table(rows));
            queue.out.println(entries.size() + (entries.size() == 1 ? " message" : " messages") + " queued");
            queue.out.flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "One queued message: its envelope and, per recipient, state, attempts, next attempt and last reply.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        QueueCommand queue;

        @Parameters(index = "0", paramLabel = "ID", description = "The queue id, as in 'queue list' or '250 2.0.0 queued as ID'.")
        String id;

        @Override
        public Integer call() throws Exception {
            QueueEntry.EntryInfo e = QueueAdmin.scan(queue.queueDir()).stream().filter(x -> x.id().equals(id)).findFirst()
                    .orElseThrow(() -> new Main.CommandFailedException("no queue entry " + id));
            PrintStream o = queue.out;
            o.println("id:       " + e.id());
            o.println("from:     " + e.reversePath());
            o.println("arrival:  " + TIME.format(e.arrival()));
            o.println("size:     " + e.size());
            o.println("session:  " + e.sessionId());
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"#", "RECIPIENT", "STATE", "ATTEMPTS", "NEXT ATTEMPT", "LAST REPLY"});
            for (RecipientState r : e.recipients()) {
                rows.add(new String[] {String.valueOf(r.index()), r.recipient().toString(), r.status().name().toLowerCase(),
                        String.valueOf(r.attempts()), r.finished() ? "-" : r.nextAttempt().map(TIME::format).orElse("now"),
                        r.lastReply().isEmpty() ? "-" : r.lastReply()});
            }
            o.print(AdminCalls.table(rows));
            o.flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "retry", mixinStandardHelpOptions = true,
            description = "Try the deferred recipients of a message (or of all) now, without waiting for their next attempt.")
    static final class Retry implements Callable<Integer> {
        @ParentCommand
        QueueCommand queue;

        @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "The queue id.")
        String id;

        @Spec
        CommandSpec commandSpec;

        @Option(names = "--all", description = "Every queued message.")
        boolean all;

        @Override
        public Integer call() throws Exception {
            // a wrong command line: exit code 2, with the usage
            if (all == (id != null)) throw new ParameterException(commandSpec.commandLine(), "give either a queue id or --all");
            return answer(queue, QueueAdmin.request(queue.queueDir(), "retry " + (all ? "all" : id), Duration.ofSeconds(15), Clock.systemUTC()));
        }
    }

    @Command(name = "delete", mixinStandardHelpOptions = true,
            description = {"Remove a message from the queue for good; its remaining recipients get nothing and no bounce is sent.",
                    "With --all: every queued message, or with --to and/or --from only those that match; prints how many were deleted."})
    static final class Delete implements Callable<Integer> {
        @ParentCommand
        QueueCommand queue;

        @Spec
        CommandSpec commandSpec;

        @Parameters(index = "0", arity = "0..1", paramLabel = "ID", description = "The queue id.")
        String id;

        @Option(names = "--all", description = "Every queued message (narrowed by --to and --from when given).")
        boolean all;

        @Option(names = "--to", paramLabel = "DOMAIN",
                description = "Only messages with a recipient still to do at DOMAIN (the whole message is deleted). Implies --all.")
        String to;

        @Option(names = "--from", paramLabel = "ADDRESS",
                description = "Only messages whose envelope sender is ADDRESS ('<>' for bounces). Implies --all.")
        String from;

        @Override
        public Integer call() throws Exception {
            boolean bulk = all || to != null || from != null;
            // a wrong command line: exit code 2, with the usage
            if (bulk && id != null) throw new ParameterException(commandSpec.commandLine(), "give either a queue id or --all/--to/--from, not both");
            if (!bulk && id == null) throw new ParameterException(commandSpec.commandLine(), "give a queue id, or --all (and/or --to DOMAIN, --from ADDRESS)");
            if (!bulk) return answer(queue, QueueAdmin.request(queue.queueDir(), "delete " + id, Duration.ofSeconds(15), Clock.systemUTC()));
            QueueSelection selection = new QueueSelection(Optional.ofNullable(to).map(this::domain), Optional.ofNullable(from).map(this::sender));
            // each entry is deleted through the running server's queue like 'delete ID'; a long queue takes longer
            return answer(queue, QueueAdmin.deleteAll(queue.queueDir(), selection, Duration.ofSeconds(60), Clock.systemUTC()));
        }

        private String domain(String d) {
            String domain = d.startsWith("@") ? d.substring(1) : d;
            if (!PathParser.isDomain(domain) && !PathParser.isAddressLiteral(domain))
                throw new ParameterException(commandSpec.commandLine(), "--to wants a domain such as example.org, not '" + d + "'");
            return domain;
        }

        /** The sender as the queue writes it: {@code <local@domain>}, domain lower-case; {@code <>} for the null sender. */
        private String sender(String a) {
            String bare = a.startsWith("<") && a.endsWith(">") ? a.substring(1, a.length() - 1) : a;
            if (bare.isEmpty()) return "<>";
            PathParser.Parsed parsed;
            try {
                parsed = PathParser.reversePath("<" + bare + ">");
            } catch (PathParser.SyntaxException e) {
                throw new ParameterException(commandSpec.commandLine(), "--from wants an address such as elsa@example.org or '<>', not '"
                        + a + "': " + e.getMessage());
            }
            if (parsed.address().isEmpty() || !parsed.parameters().isEmpty())
                throw new ParameterException(commandSpec.commandLine(), "--from wants one address such as elsa@example.org or '<>', not '" + a + "'");
            return "<" + parsed.address().get() + ">";
        }
    }

    static int answer(QueueCommand queue, String answer) throws Main.CommandFailedException {
        if (answer.startsWith("ok ")) {
            queue.out.println(answer.substring(3));
            queue.out.flush();
            return ExitCodes.OK;
        }
        throw new Main.CommandFailedException(answer.startsWith("error ") ? answer.substring(6) : answer);
    }
}

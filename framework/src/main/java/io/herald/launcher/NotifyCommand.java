package io.herald.launcher;

import io.herald.http.AdminClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code herald notify}: the running server's notification sinks, through its admin API on the HTTP listener
 * ({@code data/admin.properties} names the address and the token; see {@link io.herald.http.AdminAccess}).
 */
@Command(name = "notify", mixinStandardHelpOptions = true,
        description = "Notification sinks of the running server (through its admin API on the HTTP listener).",
        subcommands = {NotifyCommand.Test.class, NotifyCommand.Sinks.class})
final class NotifyCommand implements Callable<Integer> {

    @ParentCommand
    Main parent;

    @Override
    public Integer call() {
        System.err.println("herald notify: say 'test <address>' or 'sinks' (herald notify --help)");
        return ExitCodes.USAGE;
    }

    /** {@code herald notify test <address>}. */
    @Command(name = "test", mixinStandardHelpOptions = true,
            description = "Send a test event (a new message with UID 0 in the INBOX of ADDRESS) through every sink and "
                    + "print what each did. Exit code 0 when every sink delivered it or does not serve ADDRESS; 1 when one "
                    + "failed (gave up, still retrying, dropped); otherwise 4 when one is not configured (it says what to set).")
    static final class Test implements Callable<Integer> {
        @ParentCommand
        NotifyCommand notify;

        @Parameters(paramLabel = "ADDRESS", description = "The mailbox the test event is for, e.g. olaf@herald.test.")
        String address;

        @Option(names = "--wait", paramLabel = "SECONDS", defaultValue = "10",
                description = "How long to wait for the sinks (default: ${DEFAULT-VALUE}); a sink still retrying then is reported as such.")
        int waitSeconds;

        @Override
        public Integer call() throws Exception {
            Path home = notify.parent.home();
            Logging.forTool(home);
            if (waitSeconds < 0 || waitSeconds > 300) throw new Main.CommandFailedException("--wait must be from 0 to 300 seconds");
            AdminClient client = AdminCalls.client(home);
            AdminClient.Response r = AdminCalls.answer(() -> client.post("/admin/notify/test", Map.of("address", address, "wait", waitSeconds + "s"),
                    Duration.ofSeconds(waitSeconds + 10L)));
            Map<String, Object> body = AdminCalls.object(r);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> sinks = (List<Map<String, Object>>) body.get("sinks");
            if (sinks.isEmpty()) {
                System.out.println("no notification sinks are active (herald plugins lists the plugins)");
                return ExitCodes.FAILURE;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"SINK", "OUTCOME"});
            boolean failed = false;
            boolean unconfigured = false;
            for (Map<String, Object> s : sinks) {
                rows.add(new String[] {s.get("plugin") + "/" + s.get("sink"), String.valueOf(s.get("detail"))});
                String outcome = String.valueOf(s.get("outcome"));
                if (outcome.equals("not-configured")) unconfigured = true;
                else failed |= !(outcome.equals("delivered") || outcome.equals("not-accepted"));
            }
            System.out.print(AdminCalls.table(rows));
            System.out.flush();
            return failed ? ExitCodes.FAILURE : unconfigured ? ExitCodes.NOT_CONFIGURED : ExitCodes.OK;
        }
    }

    /** {@code herald notify sinks}. */
    @Command(name = "sinks", mixinStandardHelpOptions = true,
            description = "List the active sinks with their counts: queued, retrying, delivered, retries, given up, dropped, not accepted.")
    static final class Sinks implements Callable<Integer> {
        @ParentCommand
        NotifyCommand notify;

        @Override
        public Integer call() throws Exception {
            Path home = notify.parent.home();
            Logging.forTool(home);
            AdminClient client = AdminCalls.client(home);
            AdminClient.Response r = AdminCalls.answer(() -> client.get("/admin/notify/sinks", Map.of(), Duration.ofSeconds(10)));
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> sinks = (List<Map<String, Object>>) AdminCalls.object(r).get("sinks");
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"SINK", "QUEUED", "RETRYING", "DELIVERED", "RETRIES", "GIVEN UP", "DROPPED", "NOT ACCEPTED", "LAST ERROR"});
            for (Map<String, Object> s : sinks) {
                rows.add(new String[] {s.get("plugin") + "/" + s.get("sink"), str(s.get("queued")), str(s.get("retrying")),
                        str(s.get("delivered")), str(s.get("retries")), str(s.get("givenUp")), str(s.get("dropped")),
                        str(s.get("notAccepted")), s.get("lastError") == null ? "-" : str(s.get("lastError"))});
            }
            System.out.print(AdminCalls.table(rows));
            System.out.flush();
            return ExitCodes.OK;
        }
    }

    private static String str(Object o) {
        return String.valueOf(o);
    }
}

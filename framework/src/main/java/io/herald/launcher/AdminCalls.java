package io.herald.launcher;

import io.herald.http.AdminClient;
import io.herald.http.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What the tools that talk to the running server's admin API share: the client, one-line failures, tables. */
final class AdminCalls {

    private AdminCalls() { }

    /** The admin API of the server of this home; a server that is not running is a one-line failure. */
    static AdminClient client(Path home) throws Main.CommandFailedException {
        try {
            return AdminClient.forData(home.resolve("data"));
        } catch (IOException e) {
            throw new Main.CommandFailedException(e.getMessage());
        }
    }

    /** A call into the admin API. */
    interface Call {
        AdminClient.Response call() throws IOException, InterruptedException;
    }

    /**
     * Makes the call; a server that does not answer (e.g. killed, so its {@code admin.properties} is left behind) is a
     * one-line failure (exit code 1), not a stack trace.
     */
    static AdminClient.Response answer(Call call) throws Main.CommandFailedException, InterruptedException {
        try {
            return call.call();
        } catch (IOException e) {
            throw new Main.CommandFailedException(e.getMessage());
        }
    }

    /** The server's {@code error} of an answer that is not a 200, or its body when it has none. */
    static String error(AdminClient.Response r) {
        try {
            if (Json.parse(r.body()) instanceof Map<?, ?> m && m.get("error") != null) return String.valueOf(m.get("error"));
        } catch (IllegalArgumentException e) {
            // not JSON: the body as it is
        }
        return r.body();
    }

    /** The JSON object of a 200 answer; any other answer is a one-line failure with the server's error. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> object(AdminClient.Response r) throws Main.CommandFailedException {
        Object parsed;
        try {
            parsed = Json.parse(r.body());
        } catch (IllegalArgumentException e) {
            throw new Main.CommandFailedException("the server answered " + r.status() + " with something that is not JSON: " + r.body());
        }
        if (r.status() != 200 || !(parsed instanceof Map)) {
            throw new Main.CommandFailedException("the server refused (" + r.status() + "): " + error(r));
        }
        return (Map<String, Object>) parsed;
    }

    /** Rows as columns padded to their widest cell, two spaces apart; the first row is the heading. */
    static String table(List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) w[i] = Math.max(w[i], r[i].length());
        StringBuilder b = new StringBuilder();
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                b.append(r[i]);
                if (i < r.length - 1) b.append(" ".repeat(w[i] - r[i].length() + 2));
            }
            b.append('\n');
        }
        return b.toString();
    }
}

package io.herald.api.http;

import java.io.IOException;

/**
 * A part of the core's HTTP listener (DESIGN §5: admin API, SSE, health, metrics; 127.0.0.1:8025 by default,
 * {@code conf/http.cfg}) that a plugin serves: every request whose path is {@link #path()} or below it
 * ({@code path() + "/..."}) is handed to {@link #handle}. The longest matching path wins; the core's own paths
 * ({@code /health}, {@code /metrics}, {@code /admin/}) cannot be taken.
 *
 * <p><b>Threading.</b> Each request runs on a thread of the listener's bounded pool; {@code handle} may block, for
 * example to stream Server-Sent Events for as long as the client stays ({@link HttpResponse#stream}), but every
 * such stream holds a thread: limit how many a plugin keeps open. When {@code handle} returns, the response is
 * complete (a handler that sent nothing gets {@code 500}).
 *
 * <p><b>Failures.</b> An exception from {@code handle} before anything was sent is answered {@code 500} and logged;
 * after that the connection is closed. An {@link IOException} from the response means the client has gone.
 */
public interface HttpEndpoint {

    /** The path this endpoint serves, starting with {@code /} and not ending with it, e.g. {@code /events}. */
    String path();

    /** Answers one request. */
    void handle(HttpRequest request, HttpResponse response) throws IOException;
}

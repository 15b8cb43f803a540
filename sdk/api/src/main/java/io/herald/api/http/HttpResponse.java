package io.herald.api.http;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The response to one {@link HttpRequest}. Set headers first, then either {@link #send} the whole body or
 * {@link #stream} it; only one of the two, once.
 */
public interface HttpResponse {

    /** Adds a response header (before {@link #send} or {@link #stream}). */
    HttpResponse header(String name, String value);

    /** Sends the status, the headers and this body (with its {@code Content-Length}); the response is complete. */
    void send(int status, String contentType, byte[] body) throws IOException;

    /**
     * Sends the status and the headers, then returns the body stream (chunked transfer coding): what is written
     * reaches the client on {@link OutputStream#flush()}; {@code close()} (or returning from the handler) ends the
     * response. Writes block while the client does not read, and throw {@link IOException} once it has gone.
     */
    OutputStream stream(int status, String contentType) throws IOException;
}

package io.herald.api.http;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/** One HTTP request as an {@link HttpEndpoint} sees it. */
public interface HttpRequest {

    /** The method, upper case ({@code GET}, {@code POST}, ...). */
    String method();

    /** The decoded path, e.g. {@code /events/olaf@herald.test}. */
    String path();

    /** The first value of a query parameter (decoded as UTF-8 form data), if present. */
    Optional<String> query(String name);

    /** The first value of a request header (case-insensitive name), if present. */
    Optional<String> header(String name);

    /** All values of a request header, in the order received. */
    List<String> headers(String name);

    /** The request body (empty for none); read it at most once. */
    InputStream body();

    /** The client's address. */
    InetSocketAddress remote();

    /** Whether the request came over TLS. */
    boolean secure();
}

package io.herald.tls;

/** A TLS certificate or key that cannot be used; the message names the file and the reason. */
public class TlsConfigurationException extends RuntimeException {
    public TlsConfigurationException(String message, Throwable cause) {
        super(message, cause);
    }
}

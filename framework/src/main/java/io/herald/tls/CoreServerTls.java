package io.herald.tls;

import io.herald.api.protocol.ServerTls;

import javax.net.ssl.SSLContext;
import java.util.List;
import java.util.function.Supplier;

/**
 * {@link ServerTls} for protocol plugins: the server's {@link TlsContextProvider}, whose context follows the
 * certificate files and enables only {@link TlsContextProvider#PROTOCOLS}. The provider is taken from a supplier on
 * first use (the server creates it, and a self-signed certificate, only when something needs TLS).
 */
public final class CoreServerTls implements ServerTls {

    private final Supplier<TlsContextProvider> provider;

    public CoreServerTls(Supplier<TlsContextProvider> provider) {
        this.provider = provider;
    }

    @Override
    public SSLContext context() {
        TlsContextProvider p;
        try {
            p = provider.get();
        } catch (RuntimeException e) {
            throw new IllegalStateException("the server has no usable TLS certificate: " + e.getMessage(), e);
        }
        return p.current();
    }

    @Override
    public List<String> protocols() {
        return TlsContextProvider.PROTOCOLS;
    }
}

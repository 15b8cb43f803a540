package io.herald.tls;

import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.SecureRandom;

/**
 * An {@link SSLContext} whose engines, sockets and server sockets enable only the given protocol versions
 * (Herald: TLSv1.3 and TLSv1.2), so that every user of the context — MINA's SslFilter, a plain SSLServerSocket,
 * the outbound client — gets the restriction without having to remember it.
 */
final class RestrictedSslContext extends SSLContext {

    RestrictedSslContext(SSLContext delegate, String[] protocols) {
        super(new Spi(delegate, protocols), delegate.getProvider(), delegate.getProtocol());
    }

    private static final class Spi extends SSLContextSpi {
        private final SSLContext d;
        private final String[] protocols;

        Spi(SSLContext d, String[] protocols) {
            this.d = d;
            this.protocols = protocols.clone();
        }

        @Override
        protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom sr) {
            throw new UnsupportedOperationException("already initialised");
        }

        @Override
        protected SSLSocketFactory engineGetSocketFactory() {
            return new Sockets(d.getSocketFactory(), protocols);
        }

        @Override
        protected SSLServerSocketFactory engineGetServerSocketFactory() {
            return new ServerSockets(d.getServerSocketFactory(), protocols);
        }

        @Override
        protected SSLEngine engineCreateSSLEngine() {
            SSLEngine e = d.createSSLEngine();
            e.setEnabledProtocols(protocols);
            return e;
        }

        @Override
        protected SSLEngine engineCreateSSLEngine(String host, int port) {
            SSLEngine e = d.createSSLEngine(host, port);
            e.setEnabledProtocols(protocols);
            return e;
        }

        @Override
        protected SSLSessionContext engineGetServerSessionContext() {
            return d.getServerSessionContext();
        }

        @Override
        protected SSLSessionContext engineGetClientSessionContext() {
            return d.getClientSessionContext();
        }

        @Override
        protected SSLParameters engineGetDefaultSSLParameters() {
            SSLParameters p = d.getDefaultSSLParameters();
            p.setProtocols(protocols);
            return p;
        }

        @Override
        protected SSLParameters engineGetSupportedSSLParameters() {
            SSLParameters p = d.getSupportedSSLParameters();
            p.setProtocols(protocols);
            return p;
        }
    }

    private static final class ServerSockets extends SSLServerSocketFactory {
        private final SSLServerSocketFactory d;
        private final String[] protocols;

        ServerSockets(SSLServerSocketFactory d, String[] protocols) {
            this.d = d;
            this.protocols = protocols;
        }

        private ServerSocket r(ServerSocket s) {
            ((SSLServerSocket) s).setEnabledProtocols(protocols);
            return s;
        }

        @Override public String[] getDefaultCipherSuites() { return d.getDefaultCipherSuites(); }
        @Override public String[] getSupportedCipherSuites() { return d.getSupportedCipherSuites(); }
        @Override public ServerSocket createServerSocket() throws IOException { return r(d.createServerSocket()); }
        @Override public ServerSocket createServerSocket(int port) throws IOException { return r(d.createServerSocket(port)); }
        @Override public ServerSocket createServerSocket(int port, int backlog) throws IOException { return r(d.createServerSocket(port, backlog)); }
        @Override public ServerSocket createServerSocket(int port, int backlog, InetAddress a) throws IOException {
            return r(d.createServerSocket(port, backlog, a));
        }
    }

    private static final class Sockets extends SSLSocketFactory {
        private final SSLSocketFactory d;
        private final String[] protocols;

        Sockets(SSLSocketFactory d, String[] protocols) {
            this.d = d;
            this.protocols = protocols;
        }

        private Socket r(Socket s) {
            ((SSLSocket) s).setEnabledProtocols(protocols);
            return s;
        }

        @Override public String[] getDefaultCipherSuites() { return d.getDefaultCipherSuites(); }
        @Override public String[] getSupportedCipherSuites() { return d.getSupportedCipherSuites(); }
        @Override public Socket createSocket() throws IOException { return r(d.createSocket()); }
        @Override public Socket createSocket(Socket s, String host, int port, boolean autoClose) throws IOException {
            return r(d.createSocket(s, host, port, autoClose));
        }
        @Override public Socket createSocket(Socket s, InputStream consumed, boolean autoClose) throws IOException {
            return r(d.createSocket(s, consumed, autoClose));
        }
        @Override public Socket createSocket(String host, int port) throws IOException { return r(d.createSocket(host, port)); }
        @Override public Socket createSocket(String host, int port, InetAddress lh, int lp) throws IOException {
            return r(d.createSocket(host, port, lh, lp));
        }
        @Override public Socket createSocket(InetAddress host, int port) throws IOException { return r(d.createSocket(host, port)); }
        @Override public Socket createSocket(InetAddress a, int port, InetAddress la, int lp) throws IOException {
            return r(d.createSocket(a, port, la, lp));
        }
    }
}

package io.herald.smtp;

import org.apache.mina.transport.socket.nio.NioProcessor;

import java.util.concurrent.Executor;

/**
 * A MINA I/O processor whose thread keeps running while it has no session, until the listener is closed.
 *
 * <p>MINA's {@code AbstractPollingIoProcessor} leaves its loop, and gives its thread back to the pool, as soon as its
 * last session is gone, and starts it again through the executor for the next session. With one client opening a
 * connection per message (concurrency 1) every connection found its processor stopped: a thread hand-off through the
 * pool and two thread renames per message on the way to the greeting. The loop's only way out when idle is an empty
 * selector, so this processor reports its selector empty only once it is being disposed; an idle processor then
 * waits in {@code select} (woken once a second for MINA's idle checks, as with sessions) and takes the next session
 * at once.
 *
 * <p>Public with a public constructor: {@link org.apache.mina.core.service.SimpleIoProcessorPool} makes its
 * processors by reflection.
 */
public final class ResidentNioProcessor extends NioProcessor {

    public ResidentNioProcessor(Executor executor) {
        super(executor);
    }

    @Override
    protected boolean isSelectorEmpty() {
        return isDisposing() && super.isSelectorEmpty();
    }
}

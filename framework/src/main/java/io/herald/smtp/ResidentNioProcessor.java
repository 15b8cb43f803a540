package io.herald.smtp;

import org.apache.mina.core.buffer.IoBuffer;
import org.apache.mina.transport.socket.nio.NioProcessor;
import org.apache.mina.transport.socket.nio.NioSession;

import java.util.concurrent.Executor;

/**
 * A MINA I/O processor whose thread keeps running while it has no session, until the listener is closed, that does
 * not wake its own selector from its own thread, and that does not make a read it knows will find nothing.
 *
 * <p><b>Resident.</b> MINA's {@code AbstractPollingIoProcessor} leaves its loop, and gives its thread back to the
 * pool, as soon as its last session is gone, and starts it again through the executor for the next session. With
 * one client opening a connection per message (concurrency 1) every connection found its processor stopped: a
 * thread hand-off through the pool and two thread renames per message on the way to the greeting. The loop's only
 * way out when idle is an empty selector, so this processor reports its selector empty only once it is being
 * disposed; an idle processor then waits in {@code select} (woken once a second for MINA's idle checks, as with
 * sessions) and takes the next session at once.
 *
 * <p><b>Wake-ups from its own thread.</b> MINA wakes the selector for every write and every change of a session's
 * read/write interest, whatever the thread. On the processor's own thread (a reply written while a read is being
 * processed, reading suspended for a commit) the wake-up is only there so that the next {@code select} does not
 * block: the JDK writes to the selector's eventfd, and the next {@code select} returns at once and reads it back,
 * two system calls for nothing. Here such a wake-up is only remembered, and the next {@code select} of the loop polls
 * without blocking ({@code selectNow}), which is what the eventfd would have made it do. Wake-ups from any other
 * thread (the acceptor handing over a session, a reply completed off the I/O thread) wake the selector as before.
 *
 * <p><b>No read that must come back empty.</b> For a socket MINA reads in a loop until a read returns nothing, so
 * every readable event costs one more {@code read} that finds the socket empty ({@code EAGAIN}); with a command
 * per round trip that was six such calls per message. A read that filled only part of the buffer took everything
 * the socket had, so the read MINA makes right after it is answered "nothing" here without the system call. Bytes
 * that arrive in between are not lost: the JDK's selector is level-triggered and reports the socket again.
 *
 * <p>Public with a public constructor: {@link org.apache.mina.core.service.SimpleIoProcessorPool} makes its
 * processors by reflection.
 */
public final class ResidentNioProcessor extends NioProcessor {

    /** The thread running the processor's loop (the one that calls {@link #select(long)}). */
    private volatile Thread loop;
    /** A wake-up asked for by the loop's own thread since its last select; read and written by that thread only. */
    private boolean wokenByLoop;

    /** The session whose last read came back short (its socket was empty then); loop thread only. */
    private NioSession drained;

    public ResidentNioProcessor(Executor executor) {
        super(executor);
    }

    @Override
    protected boolean isSelectorEmpty() {
        return isDisposing() && super.isSelectorEmpty();
    }

    @Override
    protected void wakeup() {
        if (Thread.currentThread() == loop) {
            // the loop is not in select (it is running this): its next select must not block, nothing more
            wakeupCalled.set(true);
            wokenByLoop = true;
            return;
        }
        super.wakeup();
    }

    @Override
    protected int select(long timeout) throws Exception {
        loop = Thread.currentThread();
        if (!wokenByLoop) return super.select(timeout);
        wokenByLoop = false;
        selectorLock.readLock().lock();
        try {
            return selector.selectNow();
        } finally {
            selectorLock.readLock().unlock();
        }
    }

    @Override
    protected int read(NioSession session, IoBuffer buf) throws Exception {
        if (drained == session) {
            // MINA's read right after a short one: the socket was empty a moment ago
            drained = null;
            return 0;
        }
        int n = super.read(session, buf);
        drained = n > 0 && buf.hasRemaining() ? session : null;
        return n;
    }
}

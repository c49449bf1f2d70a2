package io.tributary.protocol;

import org.apache.kafka.common.network.Send;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A non-blocking TCP server speaking Kafka's framing: every request and response is a 4-byte
 * big-endian size followed by that many bytes. One acceptor thread hands connections round-robin
 * to {@code numNetworkThreads} processors; each processor owns a {@link Selector} and its
 * connections' reads and writes. Request handling runs on the given executor, never on a network
 * thread, so a slow request (an fsync, a Fetch waiting for data) holds up only its own connection.
 *
 * <p><b>Ordering:</b> as in Kafka, a connection stops being read once a whole request has arrived
 * and is read again only when that request's answer has been written (or when the request needs
 * none, acks=0). Answers on one connection are therefore in request order, and a client that
 * pipelines requests is throttled by TCP instead of filling the broker's memory.
 *
 * <p><b>Bad input:</b> a negative, zero or larger than {@code maxRequestBytes} size closes the
 * connection before anything is allocated; a handler that answers "close" (unparseable request)
 * closes it too. Other connections are not affected.
 *
 * <p><b>Lifecycle:</b> LATENT → STARTED → CLOSED; {@link #start()} binds and starts the threads,
 * {@link #close()} closes the server socket (freeing the port), every connection and the
 * selectors, and waits briefly for the threads to end. Both are idempotent.
 *
 * <p>Thread-safe: each connection is touched only by its processor thread; handlers hand their
 * answers back through a concurrent queue and a selector wake-up.
 */
public final class KafkaServer implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(KafkaServer.class.getName());

    private enum State { LATENT, STARTED, CLOSED }

    private final InetSocketAddress bindAddress;
    private final int maxRequestBytes;
    private final long maxIdleMs;
    private final ThreadFactory threadFactory;
    private final Executor requestExecutor;
    private final RequestHandler handler;
    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final AtomicLong connectionIds = new AtomicLong();
    private final List<Processor> processors = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();

    private volatile ServerSocketChannel serverChannel;
    private volatile Selector acceptSelector;

    /**
     * @param bindAddress       where to listen; port 0 picks a free port ({@link #port()} tells which)
     * @param maxRequestBytes   {@code socket.request.max.bytes}
     * @param numNetworkThreads selector threads
     * @param maxIdleMs         connections idle this long are closed
     * @param threadFactory     makes the acceptor and processor threads (managed threads in the broker)
     * @param requestExecutor   runs {@link RequestHandler#handle}
     */
    public KafkaServer(InetSocketAddress bindAddress, int maxRequestBytes, int numNetworkThreads, long maxIdleMs,
                       ThreadFactory threadFactory, Executor requestExecutor, RequestHandler handler) {
        this.bindAddress = bindAddress;
        this.maxRequestBytes = maxRequestBytes;
        this.maxIdleMs = maxIdleMs;
        this.threadFactory = threadFactory;
        this.requestExecutor = requestExecutor;
        this.handler = handler;
        for (int i = 0; i < numNetworkThreads; i++) {
            processors.add(new Processor(i));
        }
    }

    /** Binds and starts accepting. Idempotent. */
    public void start() throws IOException {
        if (!state.compareAndSet(State.LATENT, State.STARTED)) {
            return;
        }
        try {
            for (Processor p : processors) {
                p.selector = Selector.open();
            }
            acceptSelector = Selector.open();
            ServerSocketChannel channel = ServerSocketChannel.open();
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(bindAddress, 512);
            channel.configureBlocking(false);
            channel.register(acceptSelector, SelectionKey.OP_ACCEPT);
            serverChannel = channel;
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        for (Processor p : processors) {
            startThread(p, "tributary-kafka-network-" + p.index);
        }
        startThread(this::acceptLoop, "tributary-kafka-acceptor");
        LOG.log(Level.INFO, "Kafka listener accepting connections on {0}", serverChannel.socket().getLocalSocketAddress());
    }

    private void startThread(Runnable body, String name) {
        Thread t = threadFactory.newThread(body);
        try {
            t.setName(name);
        } catch (SecurityException e) {
            // Keep the container's name.
        }
        threads.add(t);
        t.start();
    }

    /** The bound port, or -1 before {@link #start()}. */
    public int port() {
        ServerSocketChannel channel = serverChannel;
        return channel == null ? -1 : channel.socket().getLocalPort();
    }

    /** Open connections, summed over processors (for tests and metrics). */
    public int connectionCount() {
        int n = 0;
        for (Processor p : processors) {
            n += p.connectionCount;
        }
        return n;
    }

    private void acceptLoop() {
        int next = 0;
        while (state.get() == State.STARTED) {
            try {
                acceptSelector.select(500);
                Iterator<SelectionKey> keys = acceptSelector.selectedKeys().iterator();
                while (keys.hasNext()) {
                    keys.next();
                    keys.remove();
                    SocketChannel socket;
                    while ((socket = serverChannel.accept()) != null) {
                        try {
                            socket.configureBlocking(false);
                            socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
                            socket.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
                        } catch (IOException e) {
                            closeQuietly(socket);
                            continue;
                        }
                        processors.get(next++ % processors.size()).assign(socket);
                    }
                }
            } catch (ClosedSelectorException | CancelledKeyException e) {
                return;
            } catch (IOException e) {
                if (state.get() != State.STARTED) {
                    return;
                }
                // Typically too many open files: back off instead of spinning.
                LOG.log(Level.WARNING, "Error accepting a Kafka connection: " + e.getMessage(), e);
                pause(100);
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "Unexpected error in the Kafka acceptor", e);
                pause(100);
            }
        }
    }

    /** Closes the server socket, every connection and the threads' selectors. Idempotent. */
    @Override
    public void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous == State.CLOSED) {
            return;
        }
        closeQuietly(serverChannel);
        if (acceptSelector != null) {
            acceptSelector.wakeup();
        }
        for (Processor p : processors) {
            if (p.selector != null) {
                p.selector.wakeup();
            }
        }
        for (Thread t : threads) {
            try {
                t.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        closeQuietly(acceptSelector);
        for (Processor p : processors) {
            p.closeAll();
        }
        if (previous == State.STARTED) {
            LOG.log(Level.INFO, "Kafka listener on {0} closed", bindAddress);
        }
    }

    /** One connection, touched only by its processor's thread. */
    private final class Connection {
        final String id;
        final SocketChannel socket;
        final SocketTransferChannel transfer;
        final ByteBuffer sizeBuffer = ByteBuffer.allocate(4);
        SelectionKey key;
        ByteBuffer frame;
        /** A request is with the handler; the connection is muted until its answer is out. */
        boolean awaitingHandler;
        Send sending;
        long lastActiveMs;

        Connection(String id, SocketChannel socket) {
            this.id = id;
            this.socket = socket;
            this.transfer = new SocketTransferChannel(socket);
        }
    }

    private record Completion(Connection connection, RequestHandler.Response response) {
    }

    /** A network thread: a selector and the connections assigned to it. */
    private final class Processor implements Runnable {
        final int index;
        final Queue<SocketChannel> newConnections = new ConcurrentLinkedQueue<>();
        final Queue<Completion> completions = new ConcurrentLinkedQueue<>();
        volatile Selector selector;
        volatile int connectionCount;
        long lastIdleCheckMs;

        Processor(int index) {
            this.index = index;
        }

        void assign(SocketChannel socket) {
            newConnections.add(socket);
            selector.wakeup();
        }

        void complete(Connection c, RequestHandler.Response response) {
            completions.add(new Completion(c, response));
            Selector s = selector;
            if (s != null) {
                s.wakeup();
            }
        }

        @Override
        public void run() {
            while (state.get() == State.STARTED) {
                try {
                    selector.select(300);
                    long now = System.currentTimeMillis();
                    registerNewConnections(now);
                    processCompletions(now);
                    Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
                    while (keys.hasNext()) {
                        SelectionKey key = keys.next();
                        keys.remove();
                        Connection c = (Connection) key.attachment();
                        try {
                            if (key.isValid() && key.isReadable()) {
                                read(c, now);
                            }
                            if (key.isValid() && key.isWritable()) {
                                write(c, now);
                            }
                        } catch (IOException | CancelledKeyException e) {
                            close(c, null);
                        } catch (RuntimeException e) {
                            close(c, "unexpected error: " + e);
                        }
                    }
                    if (now - lastIdleCheckMs > 1_000) {
                        lastIdleCheckMs = now;
                        closeIdle(now);
                    }
                } catch (ClosedSelectorException e) {
                    return;
                } catch (IOException | RuntimeException e) {
                    if (state.get() != State.STARTED) {
                        return;
                    }
                    LOG.log(Level.ERROR, "Unexpected error in Kafka network thread " + index, e);
                    pause(100);
                }
            }
        }

        private void registerNewConnections(long now) {
            SocketChannel socket;
            while ((socket = newConnections.poll()) != null) {
                Connection c = new Connection(socket.socket().getLocalPort() + "-" + connectionIds.incrementAndGet(), socket);
                c.lastActiveMs = now;
                try {
                    c.key = socket.register(selector, SelectionKey.OP_READ, c);
                    connectionCount++;
                } catch (IOException e) {
                    closeQuietly(socket);
                }
            }
        }

        private void read(Connection c, long now) throws IOException {
            while (!c.awaitingHandler && c.sending == null) {
                if (c.frame == null) {
                    if (c.socket.read(c.sizeBuffer) < 0) {
                        close(c, null);
                        return;
                    }
                    if (c.sizeBuffer.hasRemaining()) {
                        return;
                    }
                    int size = c.sizeBuffer.getInt(0);
                    c.sizeBuffer.clear();
                    if (size <= 0 || size > maxRequestBytes) {
                        close(c, "request size " + size + " is not within 1.." + maxRequestBytes
                                + " (socket.request.max.bytes)");
                        return;
                    }
                    c.frame = ByteBuffer.allocate(size);
                }
                if (c.socket.read(c.frame) < 0) {
                    close(c, null);
                    return;
                }
                c.lastActiveMs = now;
                if (c.frame.hasRemaining()) {
                    return;
                }
                ByteBuffer frame = c.frame.flip();
                c.frame = null;
                c.awaitingHandler = true;
                c.key.interestOps(0);
                dispatch(c, frame);
            }
        }

        private void dispatch(Connection c, ByteBuffer frame) {
            RequestHandler.Request request = new RequestHandler.Request(c.id, c.socket.socket().getInetAddress(), frame);
            try {
                requestExecutor.execute(() -> {
                    try {
                        handler.handle(request).whenComplete((response, error) -> {
                            if (error != null) {
                                LOG.log(Level.WARNING, "Request on connection " + c.id + " failed", error);
                                complete(c, RequestHandler.Response.close("handler failed: " + error));
                            } else {
                                complete(c, response);
                            }
                        });
                    } catch (RuntimeException | Error e) {
                        LOG.log(Level.WARNING, "Request on connection " + c.id + " failed", e);
                        complete(c, RequestHandler.Response.close("handler failed: " + e));
                    }
                });
            } catch (RejectedExecutionException e) {
                close(c, "the broker is shutting down");
            }
        }

        private void processCompletions(long now) {
            Completion done;
            while ((done = completions.poll()) != null) {
                Connection c = done.connection();
                if (!c.socket.isOpen()) {
                    continue;
                }
                c.awaitingHandler = false;
                c.lastActiveMs = now;
                RequestHandler.Response r = done.response();
                try {
                    if (r.close()) {
                        close(c, r.reason());
                    } else if (r.send() != null) {
                        c.sending = r.send();
                        write(c, now);
                    } else {
                        c.key.interestOps(SelectionKey.OP_READ);
                    }
                } catch (IOException | CancelledKeyException e) {
                    close(c, null);
                }
            }
        }

        private void write(Connection c, long now) throws IOException {
            if (c.sending == null) {
                return;
            }
            c.sending.writeTo(c.transfer);
            c.lastActiveMs = now;
            if (c.sending.completed()) {
                c.sending = null;
                c.key.interestOps(SelectionKey.OP_READ);
            } else {
                c.key.interestOps(SelectionKey.OP_WRITE);
            }
        }

        private void closeIdle(long now) {
            for (SelectionKey key : selector.keys()) {
                if (key.attachment() instanceof Connection c && !c.awaitingHandler
                        && now - c.lastActiveMs > maxIdleMs) {
                    close(c, null);
                }
            }
        }

        private void close(Connection c, String reason) {
            if (reason != null) {
                LOG.log(Level.INFO, "Closing Kafka connection {0} from {1}: {2}", c.id,
                        c.socket.socket().getRemoteSocketAddress(), reason);
            }
            if (c.key != null) {
                c.key.cancel();
            }
            if (c.socket.isOpen()) {
                connectionCount--;
            }
            closeQuietly(c.socket);
        }

        void closeAll() {
            Selector s = selector;
            if (s == null) {
                return;
            }
            try {
                for (SelectionKey key : s.keys()) {
                    if (key.attachment() instanceof Connection c) {
                        closeQuietly(c.socket);
                    }
                }
            } catch (ClosedSelectorException e) {
                // Already closed.
            }
            SocketChannel pending;
            while ((pending = newConnections.poll()) != null) {
                closeQuietly(pending);
            }
            connectionCount = 0;
            closeQuietly(s);
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            // Closing on the way out; nothing more to do.
        }
    }
}

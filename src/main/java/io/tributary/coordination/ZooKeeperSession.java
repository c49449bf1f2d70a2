package io.tributary.coordination;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.framework.state.ConnectionStateListener;
import org.apache.zookeeper.ZooKeeper;

/**
 * The broker's view of its ZooKeeper connection, for health checks and for deciding authority.
 *
 * <p>Tracks Curator's connection state: CONNECTED and RECONNECTED mean the broker may act on
 * what it reads and writes; SUSPENDED (connection lost, session maybe still alive) and LOST
 * (session expired or presumed expired) mean it must stop acting as an authority, e.g. a
 * controller must stop issuing leadership changes, until the connection is back.
 *
 * <p>Thread-safe. Listeners run on Curator's connection-state thread and must not block.
 * Registers its Curator listener on construction; {@link #close()} removes it and is idempotent.
 */
public final class ZooKeeperSession implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ZooKeeperSession.class.getName());

    /** A connection state and when the session entered it. */
    public record Status(ConnectionState state, Instant since) {
        public boolean isConnected() {
            return state.isConnected();
        }
    }

    private final CuratorFramework client;
    private final Clock clock;
    private final CopyOnWriteArrayList<Consumer<ConnectionState>> listeners = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ConnectionStateListener curatorListener = (c, newState) -> onStateChanged(newState);
    // Guarded by "this"; waiters in awaitConnected() are woken by notifyAll().
    private Status status;

    public ZooKeeperSession(CuratorFramework client) {
        this(client, Clock.systemUTC());
    }

    public ZooKeeperSession(CuratorFramework client, Clock clock) {
        this.client = Objects.requireNonNull(client, "client");
        this.clock = Objects.requireNonNull(clock, "clock");
        // Curator only reports changes, so a client that connected before we got here would stay
        // "LATENT" forever without this initial read.
        boolean connected = client.getZookeeperClient().isConnected();
        this.status = new Status(connected ? ConnectionState.CONNECTED : ConnectionState.SUSPENDED, clock.instant());
        client.getConnectionStateListenable().addListener(curatorListener);
    }

    /** Whether the session is connected now, i.e. the broker may act on ZooKeeper state. */
    public synchronized boolean isConnected() {
        return status.isConnected();
    }

    /** The last connection state and when it began. */
    public synchronized Status status() {
        return status;
    }

    /**
     * A one-line description for health output, e.g.
     * {@code "CONNECTED to 127.0.0.1:2181, session 0x1000a2b3c4d0000"} or
     * {@code "SUSPENDED since 2025-01-01T10:00:00Z (12 s)"}.
     */
    public String describe() {
        Status s = status();
        if (s.isConnected()) {
            return s.state() + " to " + client.getZookeeperClient().getCurrentConnectionString()
                    + ", session 0x" + Long.toHexString(sessionId()) + " since " + s.since();
        }
        long seconds = Duration.between(s.since(), clock.instant()).toSeconds();
        return s.state() + " since " + s.since() + " (" + seconds + " s)";
    }

    /**
     * Waits until the session is connected.
     *
     * @return whether it connected within the timeout
     */
    public boolean awaitConnected(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (this) {
            while (!status.isConnected() && !closed.get()) {
                long remainingMs = Duration.ofNanos(deadline - System.nanoTime()).toMillis();
                if (remainingMs <= 0) {
                    return false;
                }
                wait(remainingMs);
            }
            return status.isConnected();
        }
    }

    /** Adds a listener for connection state changes; it runs on Curator's event thread. */
    public void addListener(Consumer<ConnectionState> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(Consumer<ConnectionState> listener) {
        listeners.remove(listener);
    }

    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            client.getConnectionStateListenable().removeListener(curatorListener);
            listeners.clear();
            synchronized (this) {
                notifyAll();
            }
        }
    }

    private long sessionId() {
        try {
            ZooKeeper zk = client.getZookeeperClient().getZooKeeper();
            return zk.getSessionId();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 0;
        } catch (Exception e) {
            return 0;
        }
    }

    private void onStateChanged(ConnectionState newState) {
        synchronized (this) {
            status = new Status(newState, clock.instant());
            notifyAll();
        }
        Level level = newState.isConnected() ? Level.INFO : Level.WARNING;
        LOG.log(level, "ZooKeeper connection {0}", newState);
        for (Consumer<ConnectionState> listener : listeners) {
            try {
                listener.accept(newState);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "Connection state listener failed", e);
            }
        }
    }
}

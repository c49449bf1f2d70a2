package io.tributary.coordination;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.zookeeper.server.embedded.ExitHandler;
import org.apache.zookeeper.server.embedded.ZooKeeperServerEmbedded;

/**
 * A single-node ZooKeeper server inside the broker's JVM, for one-command runs and tests.
 *
 * <p>Snapshots and transaction logs live under {@code dataDir/data}, so metadata survives a
 * restart on the same directory. The server never calls {@code System.exit} (it would take the
 * application server down with it); a fatal server error is logged instead. The AdminServer (an
 * extra Jetty HTTP port) is disabled.
 *
 * <p>Lifecycle: LATENT, then {@link #start()}, then {@link #close()}; both are idempotent and a
 * closed instance cannot be restarted (make a new one on the same directory). Thread-safe.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(EmbeddedZooKeeper.class.getName());

    /** How long {@link #start()} waits for the server to accept connections. */
    private static final long STARTUP_TIMEOUT_MS = 30_000;

    private enum State { LATENT, STARTED, CLOSED }

    private final AtomicReference<State> state = new AtomicReference<>(State.LATENT);
    private final Path dataDir;
    private final String bindHost;
    private final int requestedPort;
    // Guarded by "this": set once by start(), read by connectString() and close().
    private ZooKeeperServerEmbedded server;
    private int port;

    /**
     * @param dataDir  directory for the server's data; created if missing
     * @param bindHost address to listen on, e.g. {@code 127.0.0.1}
     * @param port     client port, or 0 to pick a free one
     */
    public EmbeddedZooKeeper(Path dataDir, String bindHost, int port) {
        this.dataDir = Objects.requireNonNull(dataDir, "dataDir").toAbsolutePath();
        this.bindHost = Objects.requireNonNull(bindHost, "bindHost");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port out of range: " + port);
        }
        this.requestedPort = port;
    }

    /**
     * Starts the server and waits until it accepts connections. Does nothing if already started.
     *
     * @throws IllegalStateException if closed, or if the server fails to start
     */
    public synchronized void start() {
        if (state.get() == State.STARTED) {
            return;
        }
        if (state.get() == State.CLOSED) {
            throw new IllegalStateException("EmbeddedZooKeeper is closed");
        }
        try {
            Path confDir = dataDir.resolve("conf");
            Files.createDirectories(confDir);
            deleteStaleConfigFiles(confDir);
            int chosenPort = requestedPort != 0 ? requestedPort : freePort(bindHost);
            Properties config = new Properties();
            config.setProperty("dataDir", dataDir.resolve("data").toString());
            config.setProperty("clientPort", Integer.toString(chosenPort));
            config.setProperty("clientPortAddress", bindHost);
            // A short tick lets clients ask for short sessions (tests, fast failover); the max
            // stays well above Kafka's default zookeeper.session.timeout.ms of 18 s.
            config.setProperty("tickTime", "500");
            config.setProperty("minSessionTimeout", "1000");
            config.setProperty("maxSessionTimeout", "60000");
            config.setProperty("initLimit", "10");
            config.setProperty("syncLimit", "5");
            // Unknown keys become "zookeeper.*" system properties; this one turns off the AdminServer.
            config.setProperty("admin.enableServer", "false");
            config.setProperty("4lw.commands.whitelist", "srvr,stat,ruok,mntr");
            ZooKeeperServerEmbedded zk = ZooKeeperServerEmbedded.builder()
                    .baseDir(confDir)
                    .configuration(config)
                    .exitHandler(ExitHandler.LOG_ONLY)
                    .build();
            try {
                zk.start(STARTUP_TIMEOUT_MS);
            } catch (Exception | Error e) {
                // A half-started server may hold the port or the data directory's lock.
                zk.close();
                throw e;
            }
            server = zk;
            port = chosenPort;
            state.set(State.STARTED);
            LOG.log(Level.INFO, "Embedded ZooKeeper serving {0} from {1}", connectString(), dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start embedded ZooKeeper in " + dataDir, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while starting embedded ZooKeeper", e);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start embedded ZooKeeper in " + dataDir + ": " + e.getMessage(), e);
        }
    }

    /** {@code host:port} of the running server (no chroot). */
    public synchronized String connectString() {
        if (state.get() != State.STARTED) {
            throw new IllegalStateException("EmbeddedZooKeeper is " + state.get());
        }
        String host = bindHost.equals("0.0.0.0") || bindHost.equals("::") ? "127.0.0.1" : bindHost;
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    /** The client port the server listens on. */
    public synchronized int port() {
        if (state.get() != State.STARTED) {
            throw new IllegalStateException("EmbeddedZooKeeper is " + state.get());
        }
        return port;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops the server and frees its port; its data stays on disk. Idempotent. */
    @Override
    public synchronized void close() {
        State previous = state.getAndSet(State.CLOSED);
        if (previous != State.STARTED) {
            return;
        }
        server.close();
        server = null;
        LOG.log(Level.INFO, "Embedded ZooKeeper on port {0} stopped", port);
    }

    // Each boot writes a fresh temporary properties file into the base directory; without this
    // they pile up across restarts.
    private static void deleteStaleConfigFiles(Path confDir) throws IOException {
        try (DirectoryStream<Path> stale = Files.newDirectoryStream(confDir, "zookeeper.configuration*.properties")) {
            for (Path file : stale) {
                Files.deleteIfExists(file);
            }
        }
    }

    private static int freePort(String bindHost) throws IOException {
        // There is a window between closing this socket and the server binding the port; on a
        // developer machine or CI host that is an acceptable risk for the convenience of port 0.
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(bindHost), 0));
            return socket.getLocalPort();
        }
    }
}

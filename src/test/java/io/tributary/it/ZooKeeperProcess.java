package io.tributary.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real single-node ZooKeeper server (the 3.9.5 jar the build depends on) in a JVM of its own, on
 * a free port with its data in a fresh temp dir, for tests that run several brokers against one
 * ZooKeeper. {@link #close()} kills it and deletes its data.
 */
public final class ZooKeeperProcess implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final Path root;
    private final int port;
    private final Process process;

    private ZooKeeperProcess(Path root, int port, Process process) {
        this.root = root;
        this.port = port;
        this.process = process;
    }

    /**
     * Starts a server and waits until it answers {@code ruok}-free: until its client port accepts
     * connections.
     *
     * @param tickTimeMs ZooKeeper's tick; sessions may last 2 to 20 ticks
     */
    public static ZooKeeperProcess start(int tickTimeMs) {
        try {
            Path root = Files.createTempDirectory("tributary-zk-");
            int port = LibertyServer.freePort();
            Path config = root.resolve("zoo.cfg");
            Files.writeString(config, String.join("\n",
                    "tickTime=" + tickTimeMs,
                    "dataDir=" + root.resolve("data"),
                    "clientPort=" + port,
                    "clientPortAddress=127.0.0.1",
                    "admin.enableServer=false",
                    "maxClientCnxns=0",
                    "") );
            Path java = Path.of(System.getProperty("java.home"), "bin", "java");
            // The test JVM's class path holds ZooKeeper and its logging; under failsafe it is a
            // manifest-only jar, which works as a class path just the same.
            ProcessBuilder pb = new ProcessBuilder(List.of(java.toString(), "-Xmx128m", "-XX:+UseSerialGC",
                    "-cp", System.getProperty("java.class.path"),
                    "org.apache.zookeeper.server.ZooKeeperServerMain", config.toString()))
                    .redirectErrorStream(true)
                    .redirectOutput(root.resolve("zookeeper.log").toFile());
            Process process = pb.start();
            ZooKeeperProcess zk = new ZooKeeperProcess(root, port, process);
            zk.awaitListening();
            return zk;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitListening() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("ZooKeeper exited with " + process.exitValue() + "\n"
                        + LibertyServer.tail(root.resolve("zookeeper.log"), 40));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException notYet) {
                sleep(100);
            }
        }
        throw new IllegalStateException("ZooKeeper did not listen within " + START_TIMEOUT + "\n"
                + LibertyServer.tail(root.resolve("zookeeper.log"), 40));
    }

    /** The connect string brokers use. */
    public String connectString() {
        return "127.0.0.1:" + port;
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort.
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

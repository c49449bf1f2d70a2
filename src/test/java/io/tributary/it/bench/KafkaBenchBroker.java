package io.tributary.it.bench;

import io.tributary.it.LibertyServer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Starts a fresh broker in a real Liberty through the integration-test harness (free ports, temp
 * dir) for {@code bin/bench-kafka}, which runs Apache Kafka's own perf tools against it in other
 * JVMs. Writes the Kafka listener's {@code host:port} to the file given as the first argument once
 * the broker is ready, then runs until its standard input closes (or the JVM is asked to exit), and
 * stops the broker and deletes its temp dir. See bench/kafka/README.md.
 *
 * <p>Usage: {@code KafkaBenchBroker BOOTSTRAP_FILE}
 */
public final class KafkaBenchBroker {

    private KafkaBenchBroker() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("Usage: KafkaBenchBroker BOOTSTRAP_FILE");
        }
        Path bootstrapFile = Path.of(args[0]);
        LibertyServer server = new LibertyServer(Map.of());
        Thread closer = new Thread(() -> shutDown(server), "bench-broker-stop");
        Runtime.getRuntime().addShutdownHook(closer);
        System.out.println("Starting Liberty with the broker (fresh temp dir, free ports)...");
        long start = System.nanoTime();
        server.start();
        System.out.printf("Broker ready in %.1f s: Kafka listener %s, HTTP port %d, data in %s%n",
                (System.nanoTime() - start) / 1e9, server.kafkaBootstrap(), server.httpPort(), server.dataDir());
        Path tmp = bootstrapFile.resolveSibling(bootstrapFile.getFileName() + ".tmp");
        Files.writeString(tmp, server.kafkaBootstrap() + "\n");
        Files.move(tmp, bootstrapFile, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        waitForEndOfInput(System.in);
        System.exit(0); // runs the shutdown hook, which stops the broker
    }

    private static synchronized void shutDown(LibertyServer server) {
        if (server.isAlive()) {
            System.out.println("Stopping the broker...");
            server.stop();
        }
        server.close();
    }

    private static void waitForEndOfInput(InputStream in) {
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) >= 0) {
                // Anything written is ignored; only end of input matters.
            }
        } catch (IOException e) {
            // Treated as end of input.
        }
    }
}

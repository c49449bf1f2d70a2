package io.tributary.it.bench;

import io.tributary.it.LibertyServer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts a fresh broker in a real Liberty through the integration-test harness (free ports, temp
 * dir) for the benchmark commands ({@code bin/bench-kafka}, {@code bin/bench-compare}), which run
 * their clients in other JVMs. Writes the Kafka listener's {@code host:port} to the file given as
 * the first argument once the broker is ready, then runs until its standard input closes (or the
 * JVM is asked to exit), and stops the broker and deletes its temp dir. See bench/kafka/README.md.
 *
 * <p>Usage: {@code KafkaBenchBroker BOOTSTRAP_FILE [--info-file F] [--heap SIZE] [--property NAME=VALUE]...}
 * <ul>
 *   <li>{@code --info-file F}: also writes {@code bootstrap=}, {@code http.port=}, {@code pid=} (the
 *       Liberty JVM's process id, not its launcher's) and {@code data.dir=} lines to F, before the
 *       bootstrap file appears;</li>
 *   <li>{@code --heap SIZE}: a fixed heap ({@code -Xms} = {@code -Xmx} = SIZE, e.g. {@code 1g}) instead of the
 *       heap lines of the project's {@code liberty/jvm.options}; its other options are kept;</li>
 *   <li>{@code --property NAME=VALUE}: a broker setting (bootstrap property), repeatable.</li>
 * </ul>
 */
public final class KafkaBenchBroker {

    private KafkaBenchBroker() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args[0].startsWith("--")) {
            throw new IllegalArgumentException(
                    "Usage: KafkaBenchBroker BOOTSTRAP_FILE [--info-file F] [--heap SIZE] [--property NAME=VALUE]...");
        }
        Path bootstrapFile = Path.of(args[0]);
        Path infoFile = null;
        String heap = null;
        Map<String, String> properties = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String value = i + 1 < args.length ? args[i + 1] : null;
            if (value == null) {
                throw new IllegalArgumentException(args[i] + " needs a value");
            }
            switch (args[i]) {
                case "--info-file" -> infoFile = Path.of(value);
                case "--heap" -> {
                    if (!value.matches("[0-9]+[kKmMgG]?")) {
                        throw new IllegalArgumentException("--heap takes a JVM size such as 1g or 768m, not " + value);
                    }
                    heap = value;
                }
                case "--property" -> {
                    int eq = value.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--property takes NAME=VALUE, not " + value);
                    }
                    properties.put(value.substring(0, eq), value.substring(eq + 1));
                }
                default -> throw new IllegalArgumentException("Unknown argument " + args[i]);
            }
            i++;
        }
        LibertyServer server = new LibertyServer(properties);
        if (heap != null) {
            server.jvmOptions(fixedHeapOptions(heap));
        }
        Thread closer = new Thread(() -> shutDown(server), "bench-broker-stop");
        Runtime.getRuntime().addShutdownHook(closer);
        System.out.println("Starting Liberty with the broker (fresh temp dir, free ports"
                + (heap == null ? "" : ", heap " + heap) + ")...");
        long start = System.nanoTime();
        server.start();
        long pid = libertyPid().orElse(-1L);
        System.out.printf("Broker ready in %.1f s: Kafka listener %s, HTTP port %d, Liberty JVM pid %d, data in %s%n",
                (System.nanoTime() - start) / 1e9, server.kafkaBootstrap(), server.httpPort(), pid, server.dataDir());
        if (infoFile != null) {
            writeAtomically(infoFile, "bootstrap=" + server.kafkaBootstrap() + "\nhttp.port=" + server.httpPort()
                    + "\npid=" + pid + "\ndata.dir=" + server.dataDir() + "\n");
        }
        writeAtomically(bootstrapFile, server.kafkaBootstrap() + "\n");
        waitForEndOfInput(System.in);
        System.exit(0); // runs the shutdown hook, which stops the broker
    }

    /** The project's jvm.options with its heap lines replaced by a fixed heap of {@code heap}. */
    private static List<String> fixedHeapOptions(String heap) throws IOException {
        List<String> options = new ArrayList<>();
        Path projectOptions = Path.of(System.getProperty("tributary.it.configDir", "liberty")).resolve("jvm.options");
        if (Files.exists(projectOptions)) {
            for (String line : Files.readAllLines(projectOptions)) {
                if (!line.startsWith("-Xms") && !line.startsWith("-Xmx")) {
                    options.add(line);
                }
            }
        }
        options.add("-Xms" + heap);
        options.add("-Xmx" + heap);
        return options;
    }

    /** The Liberty JVM among this JVM's descendants (the server script execs it). */
    private static Optional<Long> libertyPid() {
        return ProcessHandle.current().descendants()
                .filter(p -> p.info().arguments().map(a -> List.of(a).stream().anyMatch(s -> s.endsWith("ws-server.jar")))
                        .orElse(false))
                .map(ProcessHandle::pid)
                .findFirst();
    }

    private static void writeAtomically(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text);
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
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

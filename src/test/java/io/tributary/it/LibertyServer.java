package io.tributary.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Liberty server running the broker, for integration tests: its own user directory, data
 * directory and free ports under a fresh temp dir, so tests never collide with each other or with
 * a broker left running on the default ports. Built from the runtime the build installed
 * ({@code target/liberty/wlp}), the project's {@code server.xml} and {@code liberty/} files, and the
 * packaged WAR or EAR.
 *
 * <p>{@link #stop()} shuts down gracefully (SIGTERM, as an operator would); {@link #kill()} is
 * {@code kill -9}. Both leave the data directory so a later {@link #start()} can check what
 * survived; {@link #close()} stops and deletes everything.
 */
public final class LibertyServer implements AutoCloseable {

    /** What is deployed. */
    public enum App { WAR, EAR }

    private static final Duration START_TIMEOUT = Duration.ofSeconds(240);
    private static final String SERVER_NAME = "tributary";

    private final Path root;
    private final Path userDir;
    private final Path dataDir;
    private final App app;
    private final Map<String, String> properties = new LinkedHashMap<>();
    private final Map<String, String> environment = new LinkedHashMap<>();
    /** Replaces the project's jvm.options when set (e.g. small heaps for a several-broker test). */
    private java.util.List<String> jvmOptions;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process process;
    private int httpPort;
    private int kafkaPort;
    private int startCount;
    private volatile boolean paused;

    public LibertyServer(App app, Map<String, String> brokerProperties) {
        this.app = app;
        try {
            this.root = Files.createTempDirectory("tributary-it-");
            this.userDir = root.resolve("usr");
            this.dataDir = root.resolve("data");
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        properties.put("log.dirs", dataDir.resolve("logs").toString());
        properties.putAll(brokerProperties);
    }

    public LibertyServer(Map<String, String> brokerProperties) {
        this(App.WAR, brokerProperties);
    }

    /** Starts the server and waits until its readiness probe says UP. */
    public LibertyServer start() {
        startNoWait();
        awaitReady();
        return this;
    }

    /** Starts the server without waiting for it (for tests of start-up itself). */
    public void startNoWait() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running");
        }
        try {
            writeServerDir();
            Path wlp = Path.of(required("tributary.it.wlp"));
            Path console = root.resolve("console-" + (++startCount) + ".log");
            ProcessBuilder pb = new ProcessBuilder(wlp.resolve("bin/server").toString(), "run", SERVER_NAME)
                    .redirectErrorStream(true)
                    .redirectOutput(console.toFile());
            pb.environment().put("WLP_USER_DIR", userDir.toString());
            pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
            pb.environment().remove("WLP_OUTPUT_DIR");
            process = pb.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void awaitReady() {
        awaitReady(START_TIMEOUT);
    }

    /** Waits for readiness up to {@code timeout} (several brokers starting at once on a small machine take longer). */
    public void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Liberty exited with " + process.exitValue() + " during start-up; see "
                        + root + "\n" + tail(messagesLog(), 60));
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/health/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException e) {
                // Not listening yet.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            sleep(250);
        }
        throw new IllegalStateException("Liberty was not ready within " + timeout + "; see " + root + "\n"
                + tail(messagesLog(), 60));
    }

    /** Graceful shutdown, as SIGTERM from an operator or a container runtime. */
    public void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        waitForExit(Duration.ofSeconds(90));
    }

    /** {@code kill -9}: no shutdown hook, no flush, no clean-shutdown marker. */
    public void kill() {
        if (process == null || !process.isAlive()) {
            return;
        }
        paused = false;
        process.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        waitForExit(Duration.ofSeconds(30));
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /**
     * {@code kill -STOP}: the server's processes freeze (as in a long GC pause or a stalled VM) with
     * their sockets open; {@link #resume()} lets them go on.
     */
    public void pause() {
        signal("STOP");
        paused = true;
    }

    /** {@code kill -CONT} after {@link #pause()}. */
    public void resume() {
        signal("CONT");
        paused = false;
    }

    public boolean isPaused() {
        return paused && isAlive();
    }

    private void signal(String name) {
        if (!isAlive()) {
            throw new IllegalStateException("not running");
        }
        java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("kill", "-" + name));
        command.add(Long.toString(process.pid()));
        process.toHandle().descendants().forEach(h -> command.add(Long.toString(h.pid())));
        try {
            Process kill = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!kill.waitFor(30, TimeUnit.SECONDS) || kill.exitValue() != 0) {
                throw new IllegalStateException("kill -" + name + " failed: " + new String(kill.getInputStream().readAllBytes()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private void waitForExit(Duration timeout) {
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        kill();
        deleteRecursively(root);
    }

    public URI uri(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    public int httpPort() {
        return httpPort;
    }

    /** {@code host:port} of the Kafka listener, for a client's {@code bootstrap.servers}. */
    public String kafkaBootstrap() {
        return "127.0.0.1:" + kafkaPort;
    }

    public int kafkaPort() {
        return kafkaPort;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path logDir() {
        return Path.of(properties.get("log.dirs"));
    }

    /** The console output of the latest start (JVM crashes and System.out land here). */
    public Path consoleLog() {
        return root.resolve("console-" + startCount + ".log");
    }

    public Path messagesLog() {
        return userDir.resolve("servers/" + SERVER_NAME + "/logs/messages.log");
    }

    /** Sets an environment variable (written to server.env) for the next start. */
    public LibertyServer setEnv(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** Uses these JVM options instead of the project's {@code liberty/jvm.options} from the next start on. */
    public LibertyServer jvmOptions(java.util.List<String> options) {
        this.jvmOptions = java.util.List.copyOf(options);
        return this;
    }

    /** Sets a broker property for the next start. */
    public void setProperty(String name, String value) {
        properties.put(name, value);
    }

    private void writeServerDir() throws IOException {
        Path serverDir = userDir.resolve("servers/" + SERVER_NAME);
        Files.createDirectories(serverDir);
        Files.copy(Path.of(required("tributary.it.serverXml")), serverDir.resolve("server.xml"),
                StandardCopyOption.REPLACE_EXISTING);
        Path configDir = Path.of(required("tributary.it.configDir"));
        if (jvmOptions != null) {
            Files.writeString(serverDir.resolve("jvm.options"), String.join("\n", jvmOptions) + "\n");
        } else if (Files.exists(configDir.resolve("jvm.options"))) {
            Files.copy(configDir.resolve("jvm.options"), serverDir.resolve("jvm.options"), StandardCopyOption.REPLACE_EXISTING);
        }
        StringBuilder env = new StringBuilder();
        if (Files.exists(configDir.resolve("server.env"))) {
            env.append(Files.readString(configDir.resolve("server.env"))).append('\n');
        }
        environment.forEach((k, v) -> env.append(k).append('=').append(v).append('\n'));
        Files.writeString(serverDir.resolve("server.env"), env);
        httpPort = freePort();
        Map<String, String> bootstrap = new LinkedHashMap<>();
        bootstrap.put("http.host", "127.0.0.1");
        bootstrap.put("http.port", Integer.toString(httpPort));
        bootstrap.put("https.port", Integer.toString(freePort()));
        bootstrap.put("tributary.app.location", app == App.WAR ? required("tributary.it.war") : required("tributary.it.ear"));
        bootstrap.put("tributary.app.type", app == App.WAR ? "war" : "ear");
        bootstrap.put("zookeeper.embedded.port", "0");
        if (kafkaPort == 0) {
            // Kept across restarts so clients of a restarted server can reconnect.
            kafkaPort = freePort();
        }
        bootstrap.put("listeners", "PLAINTEXT://127.0.0.1:" + kafkaPort);
        bootstrap.putAll(properties);
        StringBuilder text = new StringBuilder();
        if (Files.exists(configDir.resolve("bootstrap.properties"))) {
            text.append(Files.readString(configDir.resolve("bootstrap.properties"))).append('\n');
        }
        bootstrap.forEach((k, v) -> text.append(k).append('=').append(v.replace("\\", "\\\\")).append('\n'));
        Files.writeString(serverDir.resolve("bootstrap.properties"), text);
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null) {
            throw new IllegalStateException("System property " + property + " is not set; run the tests through Maven");
        }
        return v;
    }

    static String tail(Path file, int lines) {
        try {
            if (!Files.exists(file)) {
                return "(no " + file.getFileName() + ")";
            }
            var all = Files.readAllLines(file);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(could not read " + file + ": " + e + ")";
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

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // Best effort: a temp dir left behind does not affect other tests.
        }
    }
}

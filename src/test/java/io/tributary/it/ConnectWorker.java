package io.tributary.it;

import jakarta.json.JsonObject;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A Kafka Connect worker in distributed mode ({@code ConnectDistributed}), run in a JVM of its own
 * on the classpath the build resolves into {@code target/connect-worker} (Connect with Jetty and
 * Jersey, the FileStream and MirrorMaker 2 plugins, and the kafka-clients of Connect's release,
 * which differs from the broker's), so neither meets the test JVM's. Its REST API listens on a free port of 127.0.0.1; its group, config, offset and
 * status topics live on the broker it is given.
 *
 * <p>{@link #stop()} is a graceful shutdown (SIGTERM: connectors stop, offsets are flushed);
 * {@link #start()} again runs a new process with the same settings. Not thread-safe.
 */
final class ConnectWorker implements AutoCloseable {

    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Path dir;
    private final Map<String, String> settings = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int restPort = LibertyServer.freePort();
    private Process process;
    private int startCount;

    /**
     * A worker of group {@code groupId} against {@code bootstrap}, with string keys and values and
     * internal topics named after the group; {@code extra} adds or overrides worker settings.
     */
    ConnectWorker(Path dir, String bootstrap, String groupId, Map<String, String> extra) {
        this.dir = dir;
        settings.put("bootstrap.servers", bootstrap);
        settings.put("group.id", groupId);
        settings.put("config.storage.topic", groupId + "-configs");
        settings.put("offset.storage.topic", groupId + "-offsets");
        settings.put("status.storage.topic", groupId + "-status");
        settings.put("config.storage.replication.factor", "1");
        settings.put("offset.storage.replication.factor", "1");
        settings.put("status.storage.replication.factor", "1");
        settings.put("key.converter", "org.apache.kafka.connect.storage.StringConverter");
        settings.put("value.converter", "org.apache.kafka.connect.storage.StringConverter");
        settings.put("offset.flush.interval.ms", "500");
        settings.put("listeners", "http://127.0.0.1:" + restPort);
        settings.put("rest.advertised.host.name", "127.0.0.1");
        settings.put("rest.advertised.port", Integer.toString(restPort));
        settings.put("session.timeout.ms", "6000");
        settings.put("heartbeat.interval.ms", "1000");
        settings.put("scheduled.rebalance.max.delay.ms", "0");
        // Every plugin on the classpath has ServiceLoader manifests: no classpath scan at start-up.
        settings.put("plugin.discovery", "service_load");
        settings.putAll(extra);
    }

    ConnectWorker start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException("already running");
        }
        try {
            Files.createDirectories(dir);
            Path properties = dir.resolve("worker.properties");
            StringBuilder text = new StringBuilder();
            settings.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
            Files.writeString(properties, text);
            process = launch(log(++startCount), "org.apache.kafka.connect.cli.ConnectDistributed", properties.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        awaitRest();
        return this;
    }

    /**
     * Starts {@code mainClass} of the Connect release in a JVM of its own on the worker classpath,
     * its output going to {@code log}; the caller stops it.
     */
    static Process launch(Path log, String mainClass, String... args) throws IOException {
        String classpath = required("tributary.it.connectKafkaClients") + java.io.File.pathSeparator
                + Files.readString(Path.of(required("tributary.it.connectClasspath"))).trim();
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", classpath, mainClass));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private void awaitRest() {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("the Connect worker exited with " + process.exitValue() + "\n"
                        + LibertyServer.tail(log(startCount), 60));
            }
            try {
                // /health (KIP-1017) is 200 once the herder has started: its topics exist and it has read them.
                if (send(HttpRequest.newBuilder(uri("/health")).GET()).status() == 200) {
                    return;
                }
            } catch (IllegalStateException e) {
                // REST server not up yet.
            }
            sleep(500);
        }
        throw new IllegalStateException("the Connect worker was not ready within " + START_TIMEOUT + "\n"
                + LibertyServer.tail(log(startCount), 60));
    }

    /** Graceful shutdown, as SIGTERM from an operator. */
    void stop() {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops the worker; its warnings and errors and the tail of its log go to the test's output,
     * which keeps them after the temp dir is deleted.
     */
    @Override
    public void close() {
        stop();
        for (int n = 1; n <= startCount; n++) {
            System.out.println("--- Connect worker start " + n + ": warnings and errors ---");
            try (var lines = Files.lines(log(n))) {
                lines.filter(l -> l.startsWith("WARNING:") || l.startsWith("SEVERE:")).forEach(System.out::println);
            } catch (IOException | UncheckedIOException e) {
                System.out.println("(could not read " + log(n) + ": " + e + ")");
            }
        }
        if (startCount > 0) {
            System.out.println("--- Connect worker log (last 150 lines of start " + startCount + ") ---\n"
                    + LibertyServer.tail(log(startCount), 150));
        }
    }

    /** The log of the latest start. */
    Path log() {
        return log(startCount);
    }

    private Path log(int n) {
        return dir.resolve("worker-" + n + ".log");
    }

    /** Creates or updates a connector ({@code PUT /connectors/{name}/config}). */
    Http.Answer putConnector(String name, JsonObject config) {
        return send(HttpRequest.newBuilder(uri("/connectors/" + name + "/config"))
                .header("Content-Type", "application/json").PUT(HttpRequest.BodyPublishers.ofString(config.toString())));
    }

    Http.Answer get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    /** Whether the connector and every one of its tasks (at least one) are RUNNING. */
    boolean running(String connector) {
        Http.Answer a = get("/connectors/" + connector + "/status");
        if (a.status() != 200) {
            return false;
        }
        JsonObject status = a.json();
        var tasks = status.getJsonArray("tasks");
        return "RUNNING".equals(status.getJsonObject("connector").getString("state")) && !tasks.isEmpty()
                && tasks.stream().allMatch(t -> "RUNNING".equals(t.asJsonObject().getString("state")));
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + restPort + path);
    }

    private Http.Answer send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Http.Answer(r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""));
        } catch (IOException e) {
            throw new IllegalStateException("HTTP request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null) {
            throw new IllegalStateException("System property " + property + " is not set; run the tests through Maven");
        }
        return v;
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

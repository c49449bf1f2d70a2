package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ClassicGroupDescription;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.ClassicGroupState;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tributary.it.EcosystemSupport.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Kafka Connect in distributed mode against a real Liberty: one worker (its own JVM) keeps its
 * configs, source offsets and statuses in compacted topics it creates on the broker and forms its
 * group (protocol type {@code connect}) on the broker's coordinator; a FileStreamSource connector
 * reads a file into a topic and a FileStreamSink connector writes the topic to another file. After
 * the worker restarts, the source resumes at its stored file position and the sink at its
 * committed offset: nothing is read or written twice.
 */
class KafkaConnectIT {

    private static final String GROUP = "connect-cluster";
    private static final String TOPIC = "file-lines";
    private static LibertyServer server;
    private static Admin admin;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("group.initial.rebalance.delay.ms", "200",
                "group.min.session.timeout.ms", "1000")).start();
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000));
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (server != null) {
            EcosystemSupport.printBrokerWarnings(server);
            server.close();
        }
    }

    /**
     * ASCII lines: FileStreamSource counts its stored position in characters but skips bytes when it
     * resumes, so a file with multi-byte characters would resume mid-line (a limitation of the connector).
     */
    private static List<String> lines(int first, int count) {
        List<String> out = new ArrayList<>();
        for (int i = first; i < first + count; i++) {
            out.add("line " + i + ": " + "x".repeat(i % 40));
        }
        return out;
    }

    private static void append(Path file, List<String> lines) throws IOException {
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    }

    private static List<String> readLines(Path file) {
        try {
            return Files.exists(file) ? Files.readAllLines(file, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<String> topicValues() {
        return EcosystemSupport.readAll(server.kafkaBootstrap(), TOPIC, new StringDeserializer(), new StringDeserializer())
                .stream().map(ConsumerRecord::value).toList();
    }

    @Test
    void fileSourceAndSinkRoundTripAndResumeAfterAWorkerRestart() throws Exception {
        Path source = dir.resolve("in.txt");
        Path sink = dir.resolve("out.txt");
        List<String> expected = new ArrayList<>(lines(0, 200));
        append(source, expected);

        try (ConnectWorker worker = new ConnectWorker(dir.resolve("worker"), server.kafkaBootstrap(), GROUP, Map.of())) {
            worker.start();

            // The internal topics, created and checked (cleanup.policy=compact) by the worker.
            List<ConfigResource> internal = List.of(GROUP + "-configs", GROUP + "-offsets", GROUP + "-status").stream()
                    .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList();
            Map<ConfigResource, Config> configs = admin.describeConfigs(internal).all().get(30, TimeUnit.SECONDS);
            for (ConfigResource r : internal) {
                assertEquals("compact", configs.get(r).get("cleanup.policy").value(), r.name());
            }
            await("the worker's group to be stable", Duration.ofSeconds(30), () -> describeGroup().state() == ClassicGroupState.STABLE);
            ClassicGroupDescription group = describeGroup();
            assertEquals("connect", group.protocol(), group.toString());
            assertEquals(1, group.members().size(), group.toString());

            JsonObject sourceConfig = Json.createObjectBuilder()
                    .add("connector.class", "org.apache.kafka.connect.file.FileStreamSourceConnector")
                    .add("tasks.max", "1").add("file", source.toString()).add("topic", TOPIC).build();
            JsonObject sinkConfig = Json.createObjectBuilder()
                    .add("connector.class", "org.apache.kafka.connect.file.FileStreamSinkConnector")
                    .add("tasks.max", "1").add("file", sink.toString()).add("topics", TOPIC)
                    .add("consumer.override.auto.offset.reset", "earliest").build();
            assertEquals(201, worker.putConnector("file-source", sourceConfig).status());
            assertEquals(201, worker.putConnector("file-sink", sinkConfig).status());
            await("both connectors to run", Duration.ofSeconds(60), () -> worker.running("file-source") && worker.running("file-sink"));

            await("the sink file to hold the source's lines", Duration.ofSeconds(60), () -> readLines(sink).equals(expected));
            assertEquals(expected, topicValues());
            long size = Files.size(source);
            await("the source offset to reach the end of the file", Duration.ofSeconds(30),
                    () -> sourcePosition(worker) == size);
            // ... as a record of the offsets topic on the broker, keyed by connector and file.
            List<ConsumerRecord<String, String>> stored = EcosystemSupport.readAll(server.kafkaBootstrap(), GROUP + "-offsets",
                    new StringDeserializer(), new StringDeserializer());
            ConsumerRecord<String, String> last = stored.stream().filter(r -> r.key().contains("\"file-source\""))
                    .reduce((a, b) -> b).orElseThrow(() -> new AssertionError("no source offset in " + stored));
            assertEquals("[\"file-source\",{\"filename\":\"" + source + "\"}]", last.key());
            assertEquals("{\"position\":" + size + "}", last.value());

            // Restart: the source must go on from its stored position, the sink from its commit.
            worker.stop();
            List<String> more = lines(200, 80);
            append(source, more);
            expected.addAll(more);
            worker.start();
            await("both connectors to run again", Duration.ofSeconds(60), () -> worker.running("file-source") && worker.running("file-sink"));
            await("the sink file to hold every line once", Duration.ofSeconds(60), () -> readLines(sink).size() >= expected.size());
            assertEquals(expected, readLines(sink));
            assertEquals(expected, topicValues());
        }
    }

    private static ClassicGroupDescription describeGroup() {
        try {
            return admin.describeClassicGroups(List.of(GROUP)).all().get(30, TimeUnit.SECONDS).get(GROUP);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The source connector's stored file position ({@code GET /connectors/{name}/offsets}), -1 if none. */
    private static long sourcePosition(ConnectWorker worker) {
        Http.Answer a = worker.get("/connectors/file-source/offsets");
        if (a.status() != 200) {
            return -1;
        }
        var offsets = a.json().getJsonArray("offsets");
        return offsets.isEmpty() ? -1 : offsets.getJsonObject(0).getJsonObject("offset").getJsonNumber("position").longValue();
    }
}

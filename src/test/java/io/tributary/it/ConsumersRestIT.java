package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.InconsistentGroupProtocolException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The REST Proxy v2 consumer API against a real Liberty: instances in consumer groups sharing
 * partitions, expiry moving an idle instance's partitions on from its commits, commits surviving a
 * restart, seeks, long-polling reads, groups refusing members of another kind, and every error answer.
 */
class ConsumersRestIT {

    private static final String V2 = "application/vnd.kafka.v2+json";
    private static final String JSON_V2 = "application/vnd.kafka.json.v2+json";
    private static final String BINARY_V2 = "application/vnd.kafka.binary.v2+json";
    private static final long INSTANCE_TIMEOUT_MS = 5_000;

    private static LibertyServer server;
    private static Http http;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("offsets.topic.num.partitions", "3",
                "group.initial.rebalance.delay.ms", "200", "group.min.session.timeout.ms", "1000",
                "consumer.instance.timeout.ms", Long.toString(INSTANCE_TIMEOUT_MS))).start();
        http = new Http(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    // ---------------------------------------------------------------- helpers

    private static void createTopic(String name, int partitions) {
        Http.Answer a = http.post("/v3/clusters/" + http.clusterId() + "/topics", Json.createObjectBuilder()
                .add("topic_name", name).add("partitions_count", partitions).add("replication_factor", 1).build());
        assertEquals(201, a.status(), a.toString());
    }

    /** Produces values from..from+count-1 as JSON numbers, value i to partition i % partitions. */
    private static void produce(String topic, int partitions, int from, int count) {
        JsonArrayBuilder records = Json.createArrayBuilder();
        for (int i = from; i < from + count; i++) {
            records.add(Json.createObjectBuilder().add("partition", i % partitions).add("value", i));
        }
        Http.Answer a = http.post("/topics/" + topic, JSON_V2,
                Json.createObjectBuilder().add("records", records).build().toString());
        assertEquals(200, a.status(), a.toString());
    }

    private static String base(String group, String name) {
        return "/consumers/" + group + "/instances/" + name;
    }

    private static void createInstance(String group, String name, String format, String reset, boolean autoCommit) {
        Http.Answer a = http.post("/consumers/" + group, V2, Json.createObjectBuilder().add("name", name)
                .add("format", format).add("auto.offset.reset", reset)
                .add("auto.commit.enable", Boolean.toString(autoCommit)).build().toString());
        assertEquals(200, a.status(), a.toString());
        assertEquals(name, a.json().getString("instance_id"));
        assertTrue(a.json().getString("base_uri").endsWith(base(group, name)), a.toString());
    }

    private static Http.Answer subscribe(String group, String name, String... topics) {
        JsonArrayBuilder list = Json.createArrayBuilder();
        for (String t : topics) {
            list.add(t);
        }
        return http.post(base(group, name) + "/subscription", V2,
                Json.createObjectBuilder().add("topics", list).build().toString());
    }

    private static JsonArray records(String group, String name, String accept, long timeoutMs) {
        Http.Answer a = http.get(base(group, name) + "/records?timeout=" + timeoutMs, accept);
        assertEquals(200, a.status(), a.toString());
        assertTrue(a.contentType().startsWith(accept), a.contentType());
        return a.array();
    }

    private static void commitAll(String group, String name) {
        Http.Answer a = http.post(base(group, name) + "/offsets", V2, "");
        assertTrue(a.status() == 200 || a.status() == 409, a.toString());
    }

    private static Set<String> assignment(String group, String name) {
        Set<String> out = new TreeSet<>();
        Http.Answer a = http.get(base(group, name) + "/assignments");
        assertEquals(200, a.status(), a.toString());
        for (JsonValue v : a.json().getJsonArray("partitions")) {
            out.add(v.asJsonObject().getString("topic") + "-" + v.asJsonObject().getInt("partition"));
        }
        return out;
    }

    private static Http.Answer getWithBody(String path, String body) {
        return http.send(HttpRequest.newBuilder(http.uri(path)).header("Content-Type", V2)
                .method("GET", HttpRequest.BodyPublishers.ofString(body)));
    }

    private static void assertError(Http.Answer a, int status, int code) {
        assertEquals(status, a.status(), a.toString());
        assertEquals(code, a.json().getInt("error_code"), a.toString());
        assertFalse(a.json().getString("message").isBlank(), a.toString());
    }

    private static void awaitTrue(String what, Duration timeout, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting until " + what);
            }
        }
    }

    /** One REST instance as a test client: reads, commits after each read, and keeps what it saw. */
    private static final class Reader {
        final String group;
        final String name;
        /** Offsets read per partition ("topic-p"). */
        final Map<String, List<Long>> read = new TreeMap<>();
        /** Offsets read per partition once {@link #mark} was set. */
        final Map<String, List<Long>> readAfterMark = new TreeMap<>();
        boolean marked;

        Reader(String group, String name) {
            this.group = group;
            this.name = name;
            createInstance(group, name, "json", "earliest", false);
            assertEquals(204, subscribe(group, name, "split").status());
        }

        void readAndCommit() {
            for (JsonValue v : records(group, name, JSON_V2, 100)) {
                JsonObject r = v.asJsonObject();
                String tp = r.getString("topic") + "-" + r.getInt("partition");
                long offset = r.getJsonNumber("offset").longValue();
                assertEquals(offset, r.getJsonNumber("value").longValue() / 6, "value i is at offset i / 6");
                read.computeIfAbsent(tp, k -> new ArrayList<>()).add(offset);
                if (marked) {
                    readAfterMark.computeIfAbsent(tp, k -> new ArrayList<>()).add(offset);
                }
            }
            commitAll(group, name);
        }
    }

    private static Set<String> distinctRead(List<Reader> readers) {
        Set<String> seen = new HashSet<>();
        for (Reader r : readers) {
            r.read.forEach((tp, offsets) -> offsets.forEach(o -> seen.add(tp + "@" + o)));
        }
        return seen;
    }

    private static boolean disjointCover(List<Reader> readers, int partitions) {
        Set<String> all = new HashSet<>();
        int total = 0;
        for (Reader r : readers) {
            Set<String> a = assignment(r.group, r.name);
            if (a.isEmpty()) {
                return false;
            }
            all.addAll(a);
            total += a.size();
        }
        return all.size() == partitions && total == partitions;
    }

    private static void readUntil(List<Reader> readers, Duration timeout, String what, BooleanSupplier done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Timed out waiting until " + what);
            }
            readers.forEach(Reader::readAndCommit);
        }
    }

    // ---------------------------------------------------------------- tests

    @Test
    void threeInstancesSplitSixPartitionsAndAnExpiredInstancesPartitionsMoveOnFromItsCommits() {
        createTopic("split", 6);
        produce("split", 6, 0, 60);
        Reader a = new Reader("splitters", "a");
        Reader b = new Reader("splitters", "b");
        Reader c = new Reader("splitters", "c");
        List<Reader> all = List.of(a, b, c);
        readUntil(all, Duration.ofSeconds(60), "three instances share the six partitions",
                () -> disjointCover(all, 6));
        readUntil(all, Duration.ofSeconds(60), "the first 60 records are read", () -> distinctRead(all).size() == 60);
        Set<String> ofC = assignment("splitters", "c");
        assertEquals(2, ofC.size(), "range assignment gives each of three instances two partitions");
        readUntil(all, Duration.ofSeconds(30), "c has committed the end of its partitions", () -> {
            Http.Answer committed = getWithBody(base("splitters", "c") + "/offsets", "");
            assertEquals(200, committed.status(), committed.toString());
            JsonArray offsets = committed.json().getJsonArray("offsets");
            return offsets.size() == 2 && offsets.stream()
                    .allMatch(v -> v.asJsonObject().getJsonNumber("offset").longValue() == 10);
        });

        // c stops reading here, and expires.
        List<Reader> survivors = List.of(a, b);
        survivors.forEach(r -> r.marked = true);
        produce("split", 6, 60, 60);
        readUntil(survivors, Duration.ofSeconds(60), "c expired and a and b took its partitions",
                () -> disjointCover(survivors, 6));
        readUntil(survivors, Duration.ofSeconds(60), "all 120 records are read", () -> distinctRead(all).size() == 120);

        assertError(http.get(base("splitters", "c") + "/records", JSON_V2), 404, 40403);
        for (String tp : ofC) {
            List<Long> after = new ArrayList<>();
            survivors.forEach(r -> after.addAll(r.readAfterMark.getOrDefault(tp, List.of())));
            assertEquals(10L, after.stream().mapToLong(Long::longValue).min().orElse(-1),
                    "c's partition " + tp + " resumes exactly at c's commit: " + after);
            assertEquals(10, new HashSet<>(after).size(), "every record of " + tp + " after the commit is read");
        }
    }

    @Test
    void twoGroupsEachReadEveryRecord() {
        createTopic("shared", 3);
        produce("shared", 3, 0, 30);
        for (String group : List.of("first", "second")) {
            createInstance(group, "only", "binary", "earliest", true);
            assertEquals(204, subscribe(group, "only", "shared").status());
        }
        for (String group : List.of("first", "second")) {
            Set<Integer> values = new TreeSet<>();
            awaitTrue(group + " reads every record", Duration.ofSeconds(60), () -> {
                for (JsonValue v : records(group, "only", BINARY_V2, 500)) {
                    String value = new String(Base64.getDecoder().decode(v.asJsonObject().getString("value")),
                            StandardCharsets.UTF_8);
                    assertEquals("binary", v.asJsonObject().getString("value_format"));
                    values.add(Integer.parseInt(value));
                }
                return values.size() == 30;
            });
            assertEquals(204, http.delete(base(group, "only")).status());
        }
    }

    @Test
    void aCommitSurvivesARestartAndANewInstanceResumesExactlyThere() {
        createTopic("durable", 1);
        produce("durable", 1, 0, 10);
        createInstance("keepers", "before", "json", "earliest", false);
        assertEquals(204, subscribe("keepers", "before", "durable").status());
        List<Long> offsets = new ArrayList<>();
        awaitTrue("ten records are read", Duration.ofSeconds(60), () -> {
            records("keepers", "before", JSON_V2, 500).forEach(v -> offsets.add(v.asJsonObject().getJsonNumber("offset").longValue()));
            return offsets.size() >= 10;
        });
        Http.Answer commit = http.post(base("keepers", "before") + "/offsets", V2,
                "{\"offsets\": [{\"topic\": \"durable\", \"partition\": 0, \"offset\": 4}]}");
        assertEquals(200, commit.status(), commit.toString());
        Http.Answer committed = getWithBody(base("keepers", "before") + "/offsets",
                "{\"partitions\": [{\"topic\": \"durable\", \"partition\": 0}]}");
        assertEquals(4, committed.json().getJsonArray("offsets").getJsonObject(0).getJsonNumber("offset").longValue());

        server.stop();
        server.start();

        assertError(http.get(base("keepers", "before") + "/records", JSON_V2), 404, 40403);
        createInstance("keepers", "after", "json", "earliest", false);
        assertEquals(204, subscribe("keepers", "after", "durable").status());
        List<Long> resumed = new ArrayList<>();
        awaitTrue("the new instance reads", Duration.ofSeconds(60), () -> {
            records("keepers", "after", JSON_V2, 500).forEach(v -> resumed.add(v.asJsonObject().getJsonNumber("offset").longValue()));
            return !resumed.isEmpty();
        });
        assertEquals(4L, resumed.get(0), "the new instance starts at the commit: " + resumed);
        http.delete(base("keepers", "after"));
    }

    @Test
    void manualAssignmentSeeksAndLongPolls() throws Exception {
        createTopic("seekable", 2);
        produce("seekable", 1, 0, 10);
        String b = base("seekers", "s");
        createInstance("seekers", "s", "json", "latest", false);
        assertEquals(204, http.post(b + "/assignments", V2,
                "{\"partitions\": [{\"topic\": \"seekable\", \"partition\": 0}]}").status());
        assertEquals(Set.of("seekable-0"), assignment("seekers", "s"));
        assertTrue(records("seekers", "s", JSON_V2, 0).isEmpty(), "latest starts at the end");

        assertEquals(204, http.post(b + "/positions", V2,
                "{\"offsets\": [{\"topic\": \"seekable\", \"partition\": 0, \"offset\": 7}]}").status());
        JsonArray fromSeven = records("seekers", "s", JSON_V2, 0);
        assertEquals(List.of(7L, 8L, 9L), offsetsOf(fromSeven));
        assertEquals(204, http.post(b + "/positions/beginning", V2,
                "{\"partitions\": [{\"topic\": \"seekable\", \"partition\": 0}]}").status());
        assertEquals(10, records("seekers", "s", JSON_V2, 0).size());
        assertEquals(204, http.post(b + "/positions/beginning", V2, "{\"partitions\": []}").status());
        assertEquals(204, http.post(b + "/positions/end", V2,
                "{\"partitions\": [{\"topic\": \"seekable\", \"partition\": 0}]}").status());
        assertTrue(records("seekers", "s", JSON_V2, 0).isEmpty());
        assertError(http.post(b + "/positions", V2,
                "{\"offsets\": [{\"topic\": \"seekable\", \"partition\": 1, \"offset\": 0}]}"), 409, 40903);

        // A read with nothing to return waits, and an append answers it long before its timeout.
        long start = System.nanoTime();
        CompletableFuture<HttpResponse<String>> waiting = http.client().sendAsync(
                HttpRequest.newBuilder(http.uri(b + "/records?timeout=20000")).header("Accept", JSON_V2).build(),
                HttpResponse.BodyHandlers.ofString());
        Thread.sleep(500);
        assertFalse(waiting.isDone(), "the read waits for records");
        produce("seekable", 1, 10, 1);
        HttpResponse<String> answer = waiting.get(15, TimeUnit.SECONDS);
        assertEquals(200, answer.statusCode(), answer.body());
        assertEquals(List.of(10L), offsetsOf(new Http.Answer(200, answer.body(), "").array()));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(15), "answered by the append");

        assertEquals(204, http.delete(b + "/subscription").status());
        assertTrue(assignment("seekers", "s").isEmpty(), "unsubscribing clears the manual assignment");
        assertEquals(204, http.delete(b).status());
    }

    private static List<Long> offsetsOf(JsonArray records) {
        List<Long> out = new ArrayList<>();
        records.forEach(v -> out.add(v.asJsonObject().getJsonNumber("offset").longValue()));
        return out;
    }

    private static KafkaConsumer<String, String> kafkaConsumer(String group) {
        Map<String, Object> props = new HashMap<>();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, server.kafkaBootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 3_000);
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 300);
        return new KafkaConsumer<>(props);
    }

    @Test
    void kafkaConsumersAndRestInstancesDoNotShareAGroup() {
        createTopic("kinds", 2);
        produce("kinds", 2, 0, 4);

        // A Kafka consumer cannot join a group of REST instances.
        createInstance("restgroup", "r", "json", "earliest", true);
        assertEquals(204, subscribe("restgroup", "r", "kinds").status());
        awaitTrue("the REST instance owns the topic", Duration.ofSeconds(30),
                () -> assignment("restgroup", "r").size() == 2);
        try (KafkaConsumer<String, String> consumer = kafkaConsumer("restgroup")) {
            consumer.subscribe(List.of("kinds"));
            assertThrows(InconsistentGroupProtocolException.class, () -> {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200));
                    records("restgroup", "r", JSON_V2, 0);
                }
            });
        }

        // And a REST instance cannot join a group of Kafka consumers.
        KafkaConsumer<String, String> consumer = kafkaConsumer("kafkagroup");
        try {
            consumer.subscribe(List.of("kinds"));
            awaitTrue("the Kafka consumer owns the topic", Duration.ofSeconds(30), () -> {
                consumer.poll(Duration.ofMillis(200));
                return consumer.assignment().size() == 2;
            });
            createInstance("kafkagroup", "r", "json", "earliest", true);
            Http.Answer refused = subscribe("kafkagroup", "r", "kinds");
            assertError(refused, 409, 40903);
            assertTrue(refused.json().getString("message").contains("members of another kind"), refused.toString());
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
        }
        http.delete(base("restgroup", "r"));
        http.delete(base("kafkagroup", "r"));
    }

    @Test
    void badRequestsGetTheRestProxysErrors() {
        createTopic("errs", 1);
        String b = base("errgroup", "e");
        // Unknown instances: 404 with 40403 on every path.
        assertError(http.get(base("errgroup", "nobody") + "/records", JSON_V2), 404, 40403);
        assertError(http.get(base("errgroup", "nobody") + "/subscription"), 404, 40403);
        assertError(http.post(base("errgroup", "nobody") + "/offsets", V2, ""), 404, 40403);
        assertError(http.delete(base("errgroup", "nobody")), 404, 40403);

        // Creating: bad settings are 422 with 42204, malformed JSON 400, a taken name 409 with 40902.
        assertError(http.post("/consumers/errgroup", V2, "{\"name\": \"e\", \"format\": \"avro\"}"), 422, 42204);
        assertError(http.post("/consumers/errgroup", V2, "{\"name\": \"e\", \"auto.offset.reset\": \"soon\"}"), 422, 42204);
        assertError(http.post("/consumers/errgroup", V2, "{\"name\": \"e\", \"auto.commit.enable\": \"maybe\"}"), 422, 42204);
        assertError(http.post("/consumers/errgroup", V2, "{\"name\": \"e\", \"fetch.min.bytes\": \"lots\"}"), 422, 42204);
        assertError(http.post("/consumers/errgroup", V2, "{\"name\": \"e\", \"colour\": \"blue\"}"), 422, 42204);
        assertError(http.post("/consumers/errgroup", V2, "{\"name\": \"a/b\"}"), 422, 42204);
        assertEquals(400, http.post("/consumers/errgroup", V2, "{\"name\": ").status());
        createInstance("errgroup", "e", "json", "none", false);
        assertError(http.post("/consumers/errgroup", V2, "{\"name\": \"e\"}"), 409, 40902);

        // Subscribing: no topics, both topics and a pattern, a bad pattern, malformed JSON.
        assertEquals(422, http.post(b + "/subscription", V2, "{\"topics\": []}").status());
        assertEquals(422, http.post(b + "/subscription", V2, "{\"topics\": [\"errs\"], \"topic_pattern\": \"e.*\"}").status());
        assertEquals(422, http.post(b + "/subscription", V2, "{\"topic_pattern\": \"(\"}").status());
        assertEquals(400, http.post(b + "/subscription", V2, "{\"topics\": [").status());

        // Subscription and assignment exclude each other: 409 with 40903.
        assertEquals(204, http.post(b + "/assignments", V2, "{\"partitions\": [{\"topic\": \"errs\", \"partition\": 0}]}").status());
        assertError(subscribe("errgroup", "e", "errs"), 409, 40903);
        assertError(http.post(b + "/assignments", V2, "{\"partitions\": [{\"topic\": \"errs\", \"partition\": 7}]}"), 404, 40402);
        assertError(http.post(b + "/assignments", V2, "{\"partitions\": [{\"topic\": \"nope\", \"partition\": 0}]}"), 404, 40401);
        assertEquals(422, http.post(b + "/assignments", V2, "{\"partitions\": [{\"topic\": \"errs\"}]}").status());

        // Reading: the other embedded format is 406 with 40601; no committed offset and reset none is 40402.
        Http.Answer mismatch = http.get(b + "/records", BINARY_V2);
        assertError(mismatch, 406, 40601);
        Http.Answer noOffset = http.get(b + "/records?timeout=0", JSON_V2);
        assertError(noOffset, 404, 40402);
        assertTrue(noOffset.json().getString("message").contains("no committed offset"), noOffset.toString());
        assertEquals(422, http.get(b + "/records?timeout=-1", JSON_V2).status());
        assertEquals(422, http.get(b + "/records?max_bytes=0", JSON_V2).status());

        // Offsets and positions with bad bodies.
        assertEquals(422, http.post(b + "/offsets", V2, "{\"offsets\": [{\"topic\": \"errs\", \"partition\": 0, \"offset\": -3}]}").status());
        assertEquals(400, http.post(b + "/positions", V2, "not json").status());
        assertEquals(422, http.post(b + "/positions", V2, "{\"offsets\": []}").status());
        assertEquals(204, http.delete(b).status());
        assertError(http.delete(b), 404, 40403);
    }
}

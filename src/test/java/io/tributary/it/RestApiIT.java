package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every REST endpoint against a real Liberty with the embedded ZooKeeper, including the error answers. */
class RestApiIT {

    private static LibertyServer server;
    private static Http http;
    private static String cluster;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("num.partitions", "3")).start();
        http = new Http(server);
        cluster = http.clusterId();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static String topics() {
        return "/v3/clusters/" + cluster + "/topics";
    }

    private static Http.Answer createTopic(String name, int partitions, JsonArray configs) {
        var body = Json.createObjectBuilder().add("topic_name", name).add("partitions_count", partitions)
                .add("replication_factor", 1);
        if (configs != null) {
            body.add("configs", configs);
        }
        return http.post(topics(), body.build());
    }

    @Test
    void clusterAndBrokersAreDescribed() {
        JsonObject c = http.get("/v3/clusters/" + cluster).json();
        assertEquals("KafkaCluster", c.getString("kind"));
        assertEquals(cluster, c.getString("cluster_id"));
        JsonArray brokers = http.get("/v3/clusters/" + cluster + "/brokers").json().getJsonArray("data");
        assertEquals(1, brokers.size());
        assertEquals(0, brokers.getJsonObject(0).getInt("broker_id"));
        assertEquals(200, http.get("/v3/clusters/" + cluster + "/brokers/0").status());
        assertEquals(404, http.get("/v3/clusters/" + cluster + "/brokers/7").status());
        Http.Answer unknownCluster = http.get("/v3/clusters/nope/topics");
        assertEquals(404, unknownCluster.status());
        assertEquals(404, unknownCluster.json().getInt("error_code"));
    }

    @Test
    void topicIsCreatedDescribedListedAndDeleted() {
        Http.Answer created = createTopic("orders", 4, null);
        assertEquals(201, created.status(), created.body());
        assertEquals(4, created.json().getInt("partitions_count"));
        assertEquals("orders", created.json().getString("topic_name"));

        assertEquals(409, createTopic("orders", 1, null).status());
        JsonObject described = http.get(topics() + "/orders").json();
        assertEquals(4, described.getInt("partitions_count"));
        assertEquals(1, described.getInt("replication_factor"));
        assertTrue(http.get(topics()).json().getJsonArray("data").stream()
                .anyMatch(t -> t.asJsonObject().getString("topic_name").equals("orders")));

        JsonArray partitions = http.get(topics() + "/orders/partitions").json().getJsonArray("data");
        assertEquals(4, partitions.size());
        JsonObject p2 = http.get(topics() + "/orders/partitions/2").json();
        assertEquals(2, p2.getInt("partition_id"));
        assertNotNull(p2.getJsonObject("leader").getString("related"));
        assertEquals(404, http.get(topics() + "/orders/partitions/4").status());
        JsonArray replicas = http.get(topics() + "/orders/partitions/2/replicas").json().getJsonArray("data");
        assertTrue(replicas.getJsonObject(0).getBoolean("is_leader"));

        Http.Answer grown = http.send(java.net.http.HttpRequest.newBuilder(http.uri(topics() + "/orders"))
                .header("Content-Type", "application/json")
                .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("{\"partitions_count\": 6}")));
        assertEquals(200, grown.status(), grown.body());
        assertEquals(6, grown.json().getInt("partitions_count"));
        assertEquals(200, http.get(topics() + "/orders/partitions/5").status());
        assertEquals(422, http.send(java.net.http.HttpRequest.newBuilder(http.uri(topics() + "/orders"))
                .header("Content-Type", "application/json")
                .method("PATCH", java.net.http.HttpRequest.BodyPublishers.ofString("{\"partitions_count\": 2}"))).status());

        assertEquals(204, http.delete(topics() + "/orders").status());
        Http.Answer gone = http.get(topics() + "/orders");
        assertEquals(404, gone.status());
        assertEquals(404, gone.json().getInt("error_code"));
        assertEquals(404, http.delete(topics() + "/orders").status());
    }

    @Test
    void badTopicRequestsGetTheirStatus() {
        Http.Answer badName = createTopic("bad/name", 1, null);
        assertEquals(400, badName.status(), badName.body());
        assertTrue(badName.json().getString("message").contains("bad/name"));
        assertEquals(400, createTopic("x".repeat(250), 1, null).status());
        assertEquals(400, createTopic("..", 1, null).status());
        assertEquals(201, createTopic("y".repeat(249), 1, null).status());

        Http.Answer malformed = http.post(topics(), "application/json", "{\"topic_name\": ");
        assertEquals(400, malformed.status());
        assertEquals(400, malformed.json().getInt("error_code"));

        assertEquals(422, createTopic("zero-partitions", 0, null).status());
        Http.Answer unknownConfig = createTopic("bad-config", 1,
                Json.createArrayBuilder().add(Json.createObjectBuilder().add("name", "no.such.config").add("value", "1")).build());
        assertEquals(422, unknownConfig.status());
        assertTrue(unknownConfig.json().getString("message").contains("no.such.config"));
        Http.Answer badValue = createTopic("bad-value", 1,
                Json.createArrayBuilder().add(Json.createObjectBuilder().add("name", "retention.ms").add("value", "soon")).build());
        assertEquals(422, badValue.status());
        Http.Answer tooManyReplicas = http.post(topics(), Json.createObjectBuilder().add("topic_name", "rf3")
                .add("partitions_count", 1).add("replication_factor", 3).build());
        assertEquals(422, tooManyReplicas.status());
        // None of the rejected topics exists afterwards.
        for (String name : List.of("zero-partitions", "bad-config", "bad-value", "rf3")) {
            assertEquals(404, http.get(topics() + "/" + name).status(), name);
        }
    }

    @Test
    void topicConfigsAreListedAndAltered() {
        assertEquals(201, createTopic("configured", 1,
                Json.createArrayBuilder().add(Json.createObjectBuilder().add("name", "retention.ms").add("value", "3600000")).build()).status());
        JsonObject retention = config("configured", "retention.ms");
        assertEquals("3600000", retention.getString("value"));
        assertEquals("DYNAMIC_TOPIC_CONFIG", retention.getString("source"));
        assertFalse(retention.getBoolean("is_default"));
        assertTrue(config("configured", "segment.bytes").getBoolean("is_default"));

        Http.Answer alter = http.post(topics() + "/configured/configs:alter", Json.createObjectBuilder().add("data",
                Json.createArrayBuilder()
                        .add(Json.createObjectBuilder().add("name", "segment.bytes").add("value", "1048576"))
                        .add(Json.createObjectBuilder().add("name", "retention.ms").add("operation", "DELETE"))).build());
        assertEquals(204, alter.status(), alter.body());
        assertEquals("1048576", config("configured", "segment.bytes").getString("value"));
        assertTrue(config("configured", "retention.ms").getBoolean("is_default"));

        Http.Answer bad = http.post(topics() + "/configured/configs:alter", Json.createObjectBuilder().add("data",
                Json.createArrayBuilder()
                        .add(Json.createObjectBuilder().add("name", "segment.bytes").add("value", "2097152"))
                        .add(Json.createObjectBuilder().add("name", "cleanup.policy").add("value", "sometimes"))).build());
        assertEquals(422, bad.status());
        assertEquals("1048576", config("configured", "segment.bytes").getString("value"), "all or nothing");
        assertEquals(404, http.post(topics() + "/missing/configs:alter", Json.createObjectBuilder()
                .add("data", Json.createArrayBuilder()).build()).status());
    }

    private static JsonObject config(String topic, String name) {
        return http.get(topics() + "/" + topic + "/configs").json().getJsonArray("data").stream()
                .map(JsonValue::asJsonObject).filter(c -> c.getString("name").equals(name)).findFirst().orElseThrow();
    }

    @Test
    void v3RecordIsProducedAndReadBack() {
        assertEquals(201, createTopic("v3", 2, null).status());
        JsonObject record = Json.createObjectBuilder()
                .add("partition_id", 1)
                .add("key", Json.createObjectBuilder().add("type", "STRING").add("data", "user-1"))
                .add("value", Json.createObjectBuilder().add("type", "JSON").add("data", Json.createObjectBuilder().add("n", 1)))
                .add("headers", Json.createArrayBuilder().add(Json.createObjectBuilder().add("name", "trace")
                        .add("value", Base64.getEncoder().encodeToString("abc".getBytes(StandardCharsets.UTF_8)))))
                .add("timestamp", "2024-05-01T10:00:00Z")
                .build();
        Http.Answer answer = http.post(topics() + "/v3/records", record);
        assertEquals(200, answer.status(), answer.body());
        JsonObject result = answer.json();
        assertEquals(200, result.getInt("error_code"));
        assertEquals(1, result.getInt("partition_id"));
        assertEquals(0, result.getJsonNumber("offset").longValue());
        assertEquals("2024-05-01T10:00:00Z", result.getString("timestamp"));
        assertEquals(6, result.getJsonObject("key").getInt("size"));

        JsonArray read = http.get("/topics/v3/partitions/1/records?offset=0").array();
        assertEquals(1, read.size());
        JsonObject r = read.getJsonObject(0);
        assertEquals("user-1", r.getString("key"));
        assertEquals(1, r.getJsonObject("value").getInt("n"));
        assertEquals("json", r.getString("value_format"));
        assertEquals(1714557600000L, r.getJsonNumber("timestamp").longValue());
        assertEquals("trace", r.getJsonArray("headers").getJsonObject(0).getString("name"));
        assertEquals("YWJj", r.getJsonArray("headers").getJsonObject(0).getString("value"));

        Http.Answer binary = http.post(topics() + "/v3/records", Json.createObjectBuilder().add("partition_id", 0)
                .add("value", Json.createObjectBuilder().add("type", "BINARY").add("data", "AAEC/w==")).build());
        assertEquals(200, binary.status(), binary.body());
        JsonObject raw = http.get("/topics/v3/partitions/0/records?offset=0&format=binary").array().getJsonObject(0);
        assertEquals("AAEC/w==", raw.getString("value"));
        assertEquals(JsonValue.NULL, raw.get("key"));
        JsonObject asJson = http.get("/topics/v3/partitions/0/records?offset=0").array().getJsonObject(0);
        assertEquals("binary", asJson.getString("value_format"), "bytes that are not UTF-8 arrive as base64, marked");
    }

    @Test
    void v3BadRecordsGetTheirStatusAndLeaveNoData() {
        assertEquals(201, createTopic("v3-bad", 1, Json.createArrayBuilder().add(Json.createObjectBuilder()
                .add("name", "max.message.bytes").add("value", "2000")).build()).status());
        String path = topics() + "/v3-bad/records";
        assertEquals(400, http.post(path, "application/json", "{\"value\": {").status());
        assertEquals(422, http.post(path, "application/json", "{\"value\": {\"type\": \"BINARY\", \"data\": \"%%%\"}}").status());
        assertEquals(422, http.post(path, "application/json", "{\"value\": {\"type\": \"AVRO\", \"data\": 1}}").status());
        assertEquals(422, http.post(path, "application/json", "{\"timestamp\": \"yesterday\"}").status());
        Http.Answer noPartition = http.post(path, "application/json", "{\"partition_id\": 5, \"value\": {\"data\": 1}}");
        assertEquals(404, noPartition.status());
        Http.Answer tooLarge = http.post(path, "application/json",
                "{\"value\": {\"type\": \"STRING\", \"data\": \"" + "x".repeat(5000) + "\"}}");
        assertEquals(413, tooLarge.status(), tooLarge.body());
        assertEquals(413, tooLarge.json().getInt("error_code"));
        JsonObject offsets = http.get("/topics/v3-bad/partitions/0/offsets").json();
        assertEquals(0, offsets.getJsonNumber("end_offset").longValue(), "no rejected record was stored");
    }

    @Test
    void v3StreamingProduceAnswersEachRecordInOrder() throws Exception {
        assertEquals(201, createTopic("stream", 1, null).status());
        PipedOutputStream feed = new PipedOutputStream();
        PipedInputStream body = new PipedInputStream(feed, 1 << 16);
        HttpRequest request = HttpRequest.newBuilder(http.uri(topics() + "/stream/records"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body)).build();
        CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> response =
                http.client().sendAsync(request, HttpResponse.BodyHandlers.ofLines());
        for (int i = 0; i < 50; i++) {
            feed.write(("{\"value\": {\"type\": \"JSON\", \"data\": " + i + "}}\n").getBytes(StandardCharsets.UTF_8));
            feed.flush();
        }
        feed.write("{\"partition_id\": 9, \"value\": {\"data\": 1}}\n".getBytes(StandardCharsets.UTF_8));
        feed.write("{\"value\": {\"type\": \"JSON\", \"data\": 50}}".getBytes(StandardCharsets.UTF_8));
        feed.close();
        HttpResponse<java.util.stream.Stream<String>> r = response.get(60, TimeUnit.SECONDS);
        assertEquals(200, r.statusCode());
        List<JsonObject> results = new ArrayList<>();
        r.body().filter(l -> !l.isBlank()).forEach(l -> results.add(Json.createReader(new java.io.StringReader(l)).readObject()));
        assertEquals(52, results.size());
        for (int i = 0; i < 50; i++) {
            assertEquals(200, results.get(i).getInt("error_code"));
            assertEquals(i, results.get(i).getJsonNumber("offset").longValue());
        }
        assertEquals(404, results.get(50).getInt("error_code"), "a bad record is answered in place");
        assertEquals(50, results.get(51).getJsonNumber("offset").longValue(), "and the stream goes on");
    }

    @Test
    void concurrentFirstProducesToANewTopicAllLand() throws Exception {
        for (int round = 0; round < 3; round++) {
            String name = "auto-race-" + round;
            List<CompletableFuture<Http.Answer>> answers = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                int n = i;
                answers.add(CompletableFuture.supplyAsync(() -> http.post("/topics/" + name,
                        "application/vnd.kafka.json.v2+json", "{\"records\": [{\"value\": " + n + "}]}")));
            }
            for (CompletableFuture<Http.Answer> f : answers) {
                Http.Answer a = f.get(60, TimeUnit.SECONDS);
                assertEquals(200, a.status(), "every racing first produce lands: " + a.body());
            }
        }
    }

    @Test
    void v2BatchesAreProducedInJsonAndBinary() {
        Http.Answer json = http.post("/topics/v2-json", "application/vnd.kafka.json.v2+json",
                "{\"records\": [{\"value\": {\"a\": 1}}, {\"value\": [1, 2]}, {\"key\": \"k\", \"value\": \"text\"}, {\"value\": null, \"partition\": 0}]}");
        assertEquals(200, json.status(), json.body());
        JsonArray offsets = json.json().getJsonArray("offsets");
        assertEquals(4, offsets.size());
        assertEquals(JsonValue.NULL, offsets.getJsonObject(0).get("error_code"));

        JsonObject topic = http.get(topics() + "/v2-json").json();
        assertEquals(3, topic.getInt("partitions_count"), "auto-created with num.partitions");

        Http.Answer binary = http.post("/topics/v2-bin/partitions/1", "application/vnd.kafka.binary.v2+json",
                "{\"records\": [{\"key\": \"a2V5\", \"value\": \"dmFsdWU=\"}, {\"value\": \"AP8=\"}]}");
        assertEquals(200, binary.status(), binary.body());
        assertEquals("{\"key_schema_id\":null,\"offsets\":[{\"error\":null,\"error_code\":null,\"offset\":0,\"partition\":1},"
                + "{\"error\":null,\"error_code\":null,\"offset\":1,\"partition\":1}],\"value_schema_id\":null}",
                binary.body(), "the answer JSON-B wrote for V2Dtos.ProduceResponse");
        assertTrue(binary.contentType().startsWith("application/json"), binary.contentType());
        JsonArray binOffsets = binary.json().getJsonArray("offsets");
        assertEquals(1, binOffsets.getJsonObject(0).getInt("partition"));
        assertEquals(0, binOffsets.getJsonObject(0).getJsonNumber("offset").longValue());
        assertEquals(1, binOffsets.getJsonObject(1).getJsonNumber("offset").longValue());
        JsonArray back = http.get("/topics/v2-bin/partitions/1/records?offset=0",
                "application/vnd.kafka.binary.v2+json").array();
        assertEquals("a2V5", back.getJsonObject(0).getString("key"));
        assertEquals("dmFsdWU=", back.getJsonObject(0).getString("value"));
        assertEquals("AP8=", back.getJsonObject(1).getString("value"));

        JsonObject offsetsOf = http.get("/topics/v2-bin/partitions/1/offsets").json();
        assertEquals(0, offsetsOf.getJsonNumber("beginning_offset").longValue());
        assertEquals(2, offsetsOf.getJsonNumber("end_offset").longValue());
    }

    @Test
    void v2BadBatchesLeaveNoPartialData() {
        assertEquals(201, createTopic("v2-bad", 2, null).status());
        Http.Answer badBase64 = http.post("/topics/v2-bad", "application/vnd.kafka.binary.v2+json",
                "{\"records\": [{\"value\": \"dmFsdWU=\"}, {\"value\": \"***\"}]}");
        assertEquals(422, badBase64.status());
        Http.Answer badPartition = http.post("/topics/v2-bad", "application/vnd.kafka.json.v2+json",
                "{\"records\": [{\"value\": 1, \"partition\": 0}, {\"value\": 2, \"partition\": 2}]}");
        assertEquals(404, badPartition.status());
        assertEquals(40402, badPartition.json().getInt("error_code"));
        assertEquals(400, http.post("/topics/v2-bad", "application/vnd.kafka.json.v2+json", "{\"records\": [").status());
        assertEquals(422, http.post("/topics/v2-bad", "application/vnd.kafka.json.v2+json", "{\"records\": 3}").status());
        assertEquals(415, http.post("/topics/v2-bad", "text/plain", "hello").status());
        for (int p = 0; p < 2; p++) {
            assertEquals(0, http.get("/topics/v2-bad/partitions/" + p + "/offsets").json()
                    .getJsonNumber("end_offset").longValue());
        }
        Http.Answer unknown = http.get("/topics/never-created/partitions/0/offsets");
        assertEquals(404, unknown.status());
        assertEquals(40401, unknown.json().getInt("error_code"));
    }

    @Test
    void readsHonourOffsetAndByteLimitsAndRange() {
        StringBuilder batch = new StringBuilder("{\"records\": [");
        for (int i = 0; i < 200; i++) {
            batch.append(i == 0 ? "" : ",").append("{\"value\": {\"i\": ").append(i).append(", \"pad\": \"")
                    .append("p".repeat(100)).append("\"}}");
        }
        batch.append("]}");
        assertEquals(201, createTopic("ranged", 1, null).status());
        assertEquals(200, http.post("/topics/ranged", "application/vnd.kafka.json.v2+json", batch.toString()).status());
        JsonArray from150 = http.get("/topics/ranged/partitions/0/records?offset=150").array();
        assertEquals(50, from150.size());
        assertEquals(150, from150.getJsonObject(0).getJsonNumber("offset").longValue());
        assertEquals(150, from150.getJsonObject(0).getJsonObject("value").getInt("i"));
        JsonArray limited = http.get("/topics/ranged/partitions/0/records?offset=10&count=5").array();
        assertEquals(5, limited.size());
        assertEquals(14, limited.getJsonObject(4).getJsonNumber("offset").longValue());
        assertFalse(http.get("/topics/ranged/partitions/0/records?offset=0&max_bytes=1").array().isEmpty(),
                "at least one record comes back however small max_bytes is");
        assertEquals(0, http.get("/topics/ranged/partitions/0/records?offset=200").array().size());
        Http.Answer beyond = http.get("/topics/ranged/partitions/0/records?offset=201");
        assertEquals(404, beyond.status());
        assertTrue(beyond.json().getString("message").contains("200"), beyond.body());
        assertEquals(422, http.get("/topics/ranged/partitions/0/records").status());
        assertEquals(422, http.get("/topics/ranged/partitions/0/records?offset=-1").status());
    }

    @Test
    void keyedRecordsLandWhereKafkasPartitionerPutsThem() {
        assertEquals(201, createTopic("keyed", 7, null).status());
        for (int i = 0; i < 40; i++) {
            String key = "customer-" + i;
            Http.Answer a = http.post(topics() + "/keyed/records", Json.createObjectBuilder()
                    .add("key", Json.createObjectBuilder().add("type", "STRING").add("data", key))
                    .add("value", Json.createObjectBuilder().add("type", "STRING").add("data", "v")).build());
            assertEquals(200, a.status(), a.body());
            int expected = BuiltInPartitioner.partitionForKey(key.getBytes(StandardCharsets.UTF_8), 7);
            assertEquals(expected, a.json().getInt("partition_id"), key);
        }
    }

    @Test
    void recordsWithoutKeysAreSpreadOverPartitions() {
        assertEquals(201, createTopic("spread", 3, null).status());
        java.util.Set<Integer> used = new java.util.HashSet<>();
        for (int i = 0; i < 6; i++) {
            used.add(http.post("/topics/spread", "application/vnd.kafka.json.v2+json", "{\"records\": [{\"value\": 1}]}")
                    .json().getJsonArray("offsets").getJsonObject(0).getInt("partition"));
        }
        assertEquals(3, used.size());
    }

    @Test
    void healthProbesAnswerUpWithTheirReasons() {
        for (String probe : List.of("/health/started", "/health/live", "/health/ready")) {
            Http.Answer a = http.get(probe);
            assertEquals(200, a.status(), probe + " " + a.body());
            assertEquals("UP", a.json().getString("status"));
        }
        JsonArray checks = http.get("/health/ready").json().getJsonArray("checks");
        JsonObject ready = checks.getValuesAs(JsonObject.class).stream()
                .filter(c -> c.getString("name").equals("broker-ready")).findFirst().orElseThrow();
        assertTrue(ready.getJsonObject("data").getString("zookeeper").startsWith("CONNECTED"), ready.toString());
        JsonObject kafka = checks.getValuesAs(JsonObject.class).stream()
                .filter(c -> c.getString("name").equals("kafka-listener")).findFirst().orElseThrow();
        assertEquals("LISTENING", kafka.getJsonObject("data").getString("state"), kafka.toString());
    }

    @Test
    void unknownPathsAndMethodsAnswerJsonErrors() {
        Http.Answer notFound = http.get("/v3/nothing-here");
        assertEquals(404, notFound.status());
        assertEquals(404, notFound.json().getInt("error_code"));
    }
}

package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Retention on a real broker: topics keep what their policy says, checked every half second here. */
class RetentionIT {

    private static LibertyServer server;
    private static Http http;
    private static String cluster;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("log.retention.check.interval.ms", "500", "file.delete.delay.ms", "200")).start();
        http = new Http(server);
        cluster = http.clusterId();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static void create(String topic, Map<String, String> configs) {
        var list = Json.createArrayBuilder();
        configs.forEach((k, v) -> list.add(Json.createObjectBuilder().add("name", k).add("value", v)));
        Http.Answer a = http.post("/v3/clusters/" + cluster + "/topics", Json.createObjectBuilder().add("topic_name", topic)
                .add("partitions_count", 1).add("configs", list).build());
        assertEquals(201, a.status(), a.body());
    }

    private static void produce(String topic, int batches, int perBatch) {
        for (int b = 0; b < batches; b++) {
            StringBuilder body = new StringBuilder("{\"records\": [");
            for (int i = 0; i < perBatch; i++) {
                body.append(i == 0 ? "" : ",").append("{\"value\": \"").append("r".repeat(80)).append("\"}");
            }
            assertEquals(200, http.post("/topics/" + topic + "/partitions/0", "application/vnd.kafka.json.v2+json",
                    body.append("]}").toString()).status());
        }
    }

    private static JsonObject offsets(String topic) {
        return http.get("/topics/" + topic + "/partitions/0/offsets").json();
    }

    private static JsonObject awaitOffsets(String topic, Predicate<JsonObject> condition) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        JsonObject o = offsets(topic);
        while (!condition.test(o) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            o = offsets(topic);
        }
        return o;
    }

    private static long start(JsonObject o) {
        return o.getJsonNumber("beginning_offset").longValue();
    }

    private static long end(JsonObject o) {
        return o.getJsonNumber("end_offset").longValue();
    }

    @Test
    void aQuietTopicEmptiesAfterRetentionMs() throws Exception {
        create("expiring", Map.of("retention.ms", "2000", "segment.bytes", "4096"));
        produce("expiring", 10, 10);
        assertEquals(0, start(offsets("expiring")));
        JsonObject o = awaitOffsets("expiring", x -> start(x) == 100);
        assertEquals(100, start(o), o.toString());
        assertEquals(100, end(o), "offsets are never reused");
        Http.Answer gone = http.get("/topics/expiring/partitions/0/records?offset=0");
        assertEquals(404, gone.status());
        assertTrue(gone.json().getString("message").contains("[100, 100]"), gone.body());
        produce("expiring", 1, 1);
        assertEquals(100, http.get("/topics/expiring/partitions/0/records?offset=100").array().getJsonObject(0)
                .getJsonNumber("offset").longValue());
    }

    @Test
    void sizeRetentionKeepsAboutRetentionBytes() throws Exception {
        create("bounded", Map.of("retention.bytes", "8000", "segment.bytes", "2000"));
        produce("bounded", 30, 10);
        JsonObject o = awaitOffsets("bounded", x -> start(x) > 150);
        assertTrue(start(o) > 150 && start(o) < 300, o.toString());
        assertEquals(300, end(o));
        assertEquals(start(o), http.get("/topics/bounded/partitions/0/records?offset=" + start(o)).array()
                .getJsonObject(0).getJsonNumber("offset").longValue());
    }

    @Test
    void aRetentionChangeTakesEffectWithoutRestart() throws Exception {
        create("altered", Map.of("segment.bytes", "4096"));
        produce("altered", 5, 10);
        Thread.sleep(1_500);
        assertEquals(0, start(offsets("altered")), "the default week keeps everything");
        Http.Answer alter = http.post("/v3/clusters/" + cluster + "/topics/altered/configs:alter",
                Json.createObjectBuilder().add("data", Json.createArrayBuilder()
                        .add(Json.createObjectBuilder().add("name", "retention.ms").add("value", "500"))).build());
        assertEquals(204, alter.status(), alter.body());
        assertEquals(50, start(awaitOffsets("altered", x -> start(x) == 50)));
    }

    @Test
    void deleteRecordsMovesTheStartOffsetByHand() {
        create("trimmed", Map.of("segment.bytes", "2000"));
        produce("trimmed", 10, 10);
        Http.Answer trimmed = http.send(java.net.http.HttpRequest.newBuilder(http.uri("/topics/trimmed/partitions/0/records?before=42")).DELETE());
        assertEquals(200, trimmed.status(), trimmed.body());
        assertEquals(42, start(trimmed.json()));
        assertEquals(404, http.get("/topics/trimmed/partitions/0/records?offset=41").status());
        assertEquals(42, http.get("/topics/trimmed/partitions/0/records?offset=42").array().getJsonObject(0)
                .getJsonNumber("offset").longValue());
        assertEquals(404, http.send(java.net.http.HttpRequest.newBuilder(
                http.uri("/topics/trimmed/partitions/0/records?before=1000")).DELETE()).status());
        assertEquals(42, start(offsets("trimmed")));
    }
}

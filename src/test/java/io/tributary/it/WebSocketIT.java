package io.tributary.it;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The WebSocket stream API against a real Liberty, with the JDK's WebSocket client. Each test uses its own topics. */
class WebSocketIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private static LibertyServer server;
    private static Http http;
    private static String cluster;

    @BeforeAll
    static void start() {
        server = new LibertyServer(Map.of("ws.credit.max.records", "100000", "auto.create.topics.enable", "false"))
                .start();
        http = new Http(server);
        cluster = http.get("/v3/clusters").json().getJsonArray("data").getJsonObject(0).getString("cluster_id");
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            if (Boolean.getBoolean("tributary.it.dumpLog")) {
                System.out.println(LibertyServer.tail(server.messagesLog(), 200));
            }
            server.close();
        }
    }

    private static void createTopic(String name, int partitions) {
        Http.Answer a = http.post("/v3/clusters/" + cluster + "/topics", Json.createObjectBuilder()
                .add("topic_name", name).add("partitions_count", partitions).add("replication_factor", 1).build());
        assertEquals(201, a.status(), a.body());
    }

    /** Produces {"n": i} values for i in [from, to) to one partition through REST v2. */
    private static void produce(String topic, int partition, int from, int to) {
        JsonArrayBuilder records = Json.createArrayBuilder();
        for (int i = from; i < to; i++) {
            records.add(Json.createObjectBuilder().add("value", Json.createObjectBuilder().add("n", i)));
        }
        Http.Answer a = http.post("/topics/" + topic + "/partitions/" + partition, "application/vnd.kafka.json.v2+json",
                Json.createObjectBuilder().add("records", records).build().toString());
        assertEquals(200, a.status(), a.body());
    }

    private static String subscribe(String topic, String from) {
        return "{\"type\":\"subscribe\",\"id\":\"s1\",\"topics\":[{\"topic\":\"" + topic + "\",\"from\":" + from + "}]}";
    }

    private static JsonObject expect(WsClient c, String type) {
        JsonObject f = c.next(WAIT);
        assertEquals(type, f.getString("type"), f.toString());
        return f;
    }

    private static void assertOffsets(List<JsonObject> records, int partition, long first) {
        for (int i = 0; i < records.size(); i++) {
            assertEquals(partition, records.get(i).getInt("partition"));
            assertEquals(first + i, records.get(i).getJsonNumber("offset").longValue(), records.get(i).toString());
        }
    }

    @Test
    void subscribesFromEarliestFromAnOffsetAndFromATimestamp() throws Exception {
        createTopic("ws-positions", 1);
        produce("ws-positions", 0, 0, 10);
        Thread.sleep(20);
        long ts = System.currentTimeMillis();
        Thread.sleep(20);
        produce("ws-positions", 0, 10, 15);

        try (WsClient c = WsClient.connect(server)) {
            c.send(subscribe("ws-positions", "\"earliest\""));
            JsonObject ack = expect(c, "subscribed");
            assertEquals("s1", ack.getString("id"));
            assertEquals(0, ack.getJsonArray("partitions").getJsonObject(0).getInt("offset"));
            List<JsonObject> records = c.records(15, WAIT);
            assertOffsets(records, 0, 0);
            JsonObject first = records.get(0);
            assertEquals("ws-positions", first.getString("topic"));
            assertEquals(0, first.getJsonObject("value").getInt("n"), "a JSON value arrives as JSON");
            assertEquals("json", first.getString("value_format"));
            assertTrue(first.isNull("key"));
            assertTrue(first.getJsonNumber("timestamp").longValue() > 0);
            assertEquals(0, first.getJsonArray("headers").size());
        }
        try (WsClient c = WsClient.connect(server)) {
            c.send(subscribe("ws-positions", "{\"offsets\":{\"0\":7}}"));
            assertEquals(7, expect(c, "subscribed").getJsonArray("partitions").getJsonObject(0).getInt("offset"));
            assertOffsets(c.records(8, WAIT), 0, 7);
            assertNull(c.poll(Duration.ofMillis(300)), "nothing after the last record");
        }
        try (WsClient c = WsClient.connect(server)) {
            c.send(subscribe("ws-positions", "{\"timestamp\":" + ts + "}"));
            assertEquals(10, expect(c, "subscribed").getJsonArray("partitions").getJsonObject(0).getInt("offset"));
            List<JsonObject> records = c.records(5, WAIT);
            assertOffsets(records, 0, 10);
            assertEquals(10, records.get(0).getJsonObject("value").getInt("n"));
        }
    }

    @Test
    void keysAndValuesKeepTheirBytesInEveryFormat() {
        createTopic("ws-formats", 1);
        String records = "{\"records\":["
                + "{\"key\":\"" + java.util.Base64.getEncoder().encodeToString("k".getBytes()) + "\",\"value\":\""
                + java.util.Base64.getEncoder().encodeToString(new byte[] {(byte) 0xff, 0, 1}) + "\"},"
                + "{\"value\":\"" + java.util.Base64.getEncoder().encodeToString("plain text".getBytes()) + "\"},"
                + "{\"value\":\"" + java.util.Base64.getEncoder().encodeToString("[1,2]".getBytes()) + "\"}]}";
        assertEquals(200, http.post("/topics/ws-formats/partitions/0", "application/vnd.kafka.binary.v2+json", records).status());
        try (WsClient c = WsClient.connect(server)) {
            c.send(subscribe("ws-formats", "\"earliest\""));
            expect(c, "subscribed");
            List<JsonObject> r = c.records(3, WAIT);
            assertEquals("binary", r.get(0).getString("value_format"));
            assertEquals("/wAB", r.get(0).getString("value"));
            assertEquals("k", r.get(0).getString("key"));
            assertEquals("string", r.get(0).getString("key_format"));
            assertEquals("plain text", r.get(1).getString("value"));
            assertEquals("string", r.get(1).getString("value_format"));
            assertEquals(2, r.get(2).getJsonArray("value").getInt(1));
            assertEquals("json", r.get(2).getString("value_format"));
        }
        try (WsClient c = WsClient.connect(server)) {
            c.send("{\"type\":\"subscribe\",\"topics\":[{\"topic\":\"ws-formats\",\"from\":\"earliest\"}],\"format\":\"binary\"}");
            expect(c, "subscribed");
            List<JsonObject> r = c.records(3, WAIT);
            assertEquals("cGxhaW4gdGV4dA==", r.get(1).getString("value"));
            assertEquals("binary", r.get(2).getString("value_format"));
        }
    }

    @Test
    void liveTailDeliversRecordsProducedThroughRestWithinMilliseconds() {
        createTopic("ws-live", 1);
        produce("ws-live", 0, 0, 3);
        try (WsClient c = WsClient.connect(server)) {
            c.send(subscribe("ws-live", "\"latest\""));
            assertEquals(3, expect(c, "subscribed").getJsonArray("partitions").getJsonObject(0).getInt("offset"));
            List<Long> latenciesUs = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                long sent = System.nanoTime();
                produce("ws-live", 0, 3 + i, 4 + i);
                WsClient.Received r = c.nextReceived(WAIT);
                assertEquals(3 + i, r.frame().getJsonNumber("offset").longValue());
                latenciesUs.add(TimeUnit.NANOSECONDS.toMicros(r.nanoTime() - sent));
            }
            Collections.sort(latenciesUs);
            long p50 = latenciesUs.get(100);
            long p99 = latenciesUs.get(197);
            System.out.println("Live tail, REST produce sent to record received: p50 " + p50 + " us, p99 " + p99 + " us");
            assertTrue(p50 < 100_000, "p50 " + p50 + " us");
        }
    }

    @Test
    void theServerNeverSendsPastTheCreditGranted() {
        createTopic("ws-credit", 1);
        produce("ws-credit", 0, 0, 1_500);
        try (WsClient c = WsClient.connect(server)) {
            c.send(subscribe("ws-credit", "\"earliest\""));
            expect(c, "subscribed");
            assertOffsets(c.records(1_000, WAIT), 0, 0);
            assertNull(c.poll(Duration.ofMillis(500)), "the default credit is 1000 records");
            c.credit(200);
            assertOffsets(c.records(200, WAIT), 0, 1_000);
            assertNull(c.poll(Duration.ofMillis(500)));
            c.send("{\"type\":\"credit\",\"records\":1000,\"bytes\":2000}");
            List<JsonObject> r = c.records(1, WAIT);
            assertEquals(1_200, r.get(0).getJsonNumber("offset").longValue());
            int got = 1;
            while (c.poll(Duration.ofMillis(500)) != null) {
                got++;
            }
            assertTrue(got < 40, "2000 bytes of credit hold about 15 records of ~130 bytes, got " + got);
        }
    }

    @Test
    void aStalledSubscriberIsBoundedAndDoesNotSlowAFastOne() throws Exception {
        createTopic("ws-speeds", 1);
        try (WsClient slow = WsClient.connect(server); WsClient fast = WsClient.connect(server)) {
            slow.send(subscribe("ws-speeds", "\"earliest\""));
            expect(slow, "subscribed");
            slow.credit(99_000);
            slow.pause();
            fast.send(subscribe("ws-speeds", "\"earliest\"").replace("\"s1\"", "\"fast\"").replace("}]}", "}],\"batch\":true}"));
            expect(fast, "subscribed");
            fast.credit(99_000);
            String pad = "x".repeat(1_000);
            long start = System.nanoTime();
            for (int b = 0; b < 20; b++) {
                JsonArrayBuilder records = Json.createArrayBuilder();
                for (int i = 0; i < 1_000; i++) {
                    records.add(Json.createObjectBuilder().add("value", Json.createObjectBuilder()
                            .add("n", b * 1_000 + i).add("pad", pad)));
                }
                assertEquals(200, http.post("/topics/ws-speeds/partitions/0", "application/json",
                        Json.createObjectBuilder().add("records", records).build().toString()).status());
            }
            List<JsonObject> got = fast.records(20_000, Duration.ofSeconds(60));
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertOffsets(got, 0, 0);
            System.out.println("Fast subscriber got 20000 records (~20 MB) in " + ms + " ms while the other stalled");
            // The stalled one has taken only what fit in socket buffers before it stopped reading.
            long stalledGot = slow.framesReceived();
            assertTrue(stalledGot < 20_000, "the stalled client stopped reading at " + stalledGot);
            assertFalse(slow.isClosed());
            assertEquals(200, http.get("/health/live").status(), "the broker is healthy");

            slow.resume();
            List<JsonObject> rest = slow.records(20_000, Duration.ofSeconds(60));
            assertOffsets(rest, 0, 0);
        }
    }

    @Test
    void aReconnectingSubscriberResumesWithoutGapsOrDuplicates() {
        createTopic("ws-resume", 2);
        produce("ws-resume", 0, 0, 100);
        produce("ws-resume", 1, 0, 60);
        long next0;
        long next1;
        try (WsClient c = WsClient.connect(server)) {
            c.send("{\"type\":\"subscribe\",\"topics\":[{\"topic\":\"ws-resume\",\"from\":\"earliest\"}]}");
            expect(c, "subscribed");
            List<JsonObject> first = c.records(70, WAIT);
            next0 = first.stream().filter(r -> r.getInt("partition") == 0).mapToLong(r -> r.getJsonNumber("offset").longValue() + 1).max().orElse(0);
            next1 = first.stream().filter(r -> r.getInt("partition") == 1).mapToLong(r -> r.getJsonNumber("offset").longValue() + 1).max().orElse(0);
            assertEquals(70, next0 + next1);
        }
        produce("ws-resume", 0, 100, 120);
        try (WsClient c = WsClient.connect(server)) {
            c.send("{\"type\":\"subscribe\",\"topics\":[{\"topic\":\"ws-resume\",\"from\":{\"offsets\":{\"0\":" + next0
                    + ",\"1\":" + next1 + "}}}]}");
            JsonObject ack = expect(c, "subscribed");
            assertEquals(2, ack.getJsonArray("partitions").size());
            List<JsonObject> rest = c.records(120 + 60 - 70, WAIT);
            assertNull(c.poll(Duration.ofMillis(300)));
            assertOffsets(rest.stream().filter(r -> r.getInt("partition") == 0).toList(), 0, next0);
            assertOffsets(rest.stream().filter(r -> r.getInt("partition") == 1).toList(), 1, next1);
        }
    }

    @Test
    void producesOverTheSameSocketAndSeesItsOwnRecords() {
        createTopic("ws-produce", 1);
        try (WsClient c = WsClient.connect(server)) {
            c.send(subscribe("ws-produce", "\"earliest\""));
            expect(c, "subscribed");
            c.send("{\"type\":\"produce\",\"id\":\"p1\",\"topic\":\"ws-produce\",\"records\":["
                    + "{\"key\":{\"type\":\"STRING\",\"data\":\"a\"},\"value\":{\"type\":\"JSON\",\"data\":{\"x\":1}}},"
                    + "{\"value\":{\"type\":\"STRING\",\"data\":\"hi\"}}]}");
            List<JsonObject> frames = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                frames.add(c.next(WAIT));
            }
            JsonObject produced = frames.stream().filter(f -> f.getString("type").equals("produced")).findFirst().orElseThrow();
            assertEquals("p1", produced.getString("id"));
            assertEquals(0, produced.getJsonArray("offsets").getJsonObject(0).getInt("offset"));
            assertEquals(1, produced.getJsonArray("offsets").getJsonObject(1).getInt("offset"));
            List<JsonObject> records = frames.stream().filter(f -> f.getString("type").equals("record")).toList();
            assertEquals("a", records.get(0).getString("key"));
            assertEquals(1, records.get(0).getJsonObject("value").getInt("x"));
            assertEquals("hi", records.get(1).getString("value"));

            c.send("{\"type\":\"produce\",\"id\":\"p2\",\"topic\":\"ws-produce\",\"records\":[{\"partition_id\":5}]}");
            JsonObject error = expect(c, "error");
            assertEquals("p2", error.getString("id"));
            assertEquals("invalid_record", error.getString("code"));
            assertFalse(error.containsKey("close_code"), "a produce error does not end the session");
            c.send("{\"type\":\"produce\",\"id\":\"p3\",\"topic\":\"ws-produce\",\"records\":[{}]}");
            JsonObject frame = c.next(WAIT);
            JsonObject produced3 = frame.getString("type").equals("produced") ? frame : c.next(WAIT);
            assertEquals("p3", produced3.getString("id"));
        }
    }

    private static void assertClosedWithError(WsClient c, String code, int closeCode) {
        JsonObject error = expect(c, "error");
        assertEquals(code, error.getString("code"), error.toString());
        assertEquals(closeCode, error.getInt("close_code"));
        assertFalse(error.getString("message").isEmpty());
        assertEquals(closeCode, c.awaitClose(WAIT).code());
    }

    @Test
    void everyProtocolErrorIsAnErrorFrameThenTheFittingCloseAndOtherSessionsGoOn() {
        createTopic("ws-errors", 1);
        produce("ws-errors", 0, 0, 5);
        try (WsClient good = WsClient.connect(server)) {
            good.send(subscribe("ws-errors", "\"earliest\""));
            expect(good, "subscribed");
            assertOffsets(good.records(5, WAIT), 0, 0);

            try (WsClient c = WsClient.connect(server)) {
                c.send(subscribe("no-such-topic", "\"earliest\""));
                JsonObject e = c.next(WAIT);
                assertEquals("s1", e.getString("id"));
                assertEquals("unknown_topic", e.getString("code"));
                assertEquals(4404, c.awaitClose(WAIT).code());
            }
            try (WsClient c = WsClient.connect(server)) {
                c.send("{\"type\":\"subscribe\",\"topics\":[{\"topic\":\"ws-errors\",\"partitions\":[3]}]}");
                assertClosedWithError(c, "unknown_topic", 4404);
            }
            try (WsClient c = WsClient.connect(server)) {
                c.send(subscribe("ws-errors", "{\"offsets\":{\"0\":99}}"));
                JsonObject e = c.next(WAIT);
                assertEquals("offset_out_of_range", e.getString("code"));
                assertEquals(0, e.getInt("valid_from"));
                assertEquals(5, e.getInt("valid_to"));
                assertEquals(99, e.getInt("requested_offset"));
                assertTrue(e.getString("message").contains("0 to 5"), e.getString("message"));
                assertEquals(4416, c.awaitClose(WAIT).code());
            }
            try (WsClient c = WsClient.connect(server)) {
                c.send("{\"type\":\"subscribe\",");
                assertClosedWithError(c, "malformed_frame", 1007);
            }
            try (WsClient c = WsClient.connect(server)) {
                c.send("{\"type\":\"subscribe\",\"topics\":[{\"topic\":\"ws-errors\",\"from\":\"yesterday\"}]}");
                assertClosedWithError(c, "malformed_frame", 1007);
            }
            try (WsClient c = WsClient.connect(server)) {
                c.send("{\"type\":\"dance\"}");
                assertClosedWithError(c, "unsupported_frame", 1003);
            }
            try (WsClient c = WsClient.connect(server)) {
                c.sendBinary(new byte[] {1, 2, 3});
                assertClosedWithError(c, "unsupported_frame", 1003);
            }
            try (WsClient c = WsClient.connect(server)) {
                c.credit(100_000);
                assertClosedWithError(c, "credit_overflow", 1008);
            }
            try (WsClient c = WsClient.connect(server)) {
                c.send(subscribe("ws-errors", "\"latest\""));
                expect(c, "subscribed");
                c.send(subscribe("ws-errors", "\"earliest\""));
                assertClosedWithError(c, "already_subscribed", 4409);
            }

            produce("ws-errors", 0, 5, 10);
            assertOffsets(good.records(5, WAIT), 0, 5);
            assertFalse(good.isClosed());
        }
    }
}

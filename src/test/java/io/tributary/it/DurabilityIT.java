package io.tributary.it;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Acknowledged records survive a graceful restart and a {@code kill -9} of the whole Liberty JVM. */
class DurabilityIT {

    private LibertyServer server;

    @AfterEach
    void cleanUp() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void recordsAndTopicsSurviveAGracefulRestart() {
        server = new LibertyServer(Map.of("log.segment.bytes", "65536")).start();
        Http http = new Http(server);
        for (int batch = 0; batch < 20; batch++) {
            assertEquals(200, http.post("/topics/restart/partitions/0", "application/vnd.kafka.json.v2+json",
                    batchOf(batch * 50, 50)).status());
        }
        server.stop();
        server.start();
        http = new Http(server);
        assertEquals(1000, http.get("/topics/restart/partitions/0/offsets").json().getJsonNumber("end_offset").longValue());
        assertAllPresent(http, "restart", 0, 1000);
        String started = http.get("/health/started").body();
        assertTrue(started.contains("UP"), started);
        assertTrue(started.contains("segmentsRecovered=0"), "a clean shutdown needs no re-scan: " + started);
        assertTrue(!started.contains("segmentsLoaded=0"), started);
        // Appends continue at the next offset.
        JsonObject next = http.post("/topics/restart/partitions/0", "application/vnd.kafka.json.v2+json",
                batchOf(1000, 1)).json();
        assertEquals(1000, next.getJsonArray("offsets").getJsonObject(0).getJsonNumber("offset").longValue());
    }

    @Test
    void acknowledgedRecordsSurviveKillMinus9() throws Exception {
        server = new LibertyServer(Map.of("log.segment.bytes", "262144")).start();
        Http http = new Http(server);
        assertEquals(200, http.post("/topics/crash", "application/vnd.kafka.json.v2+json", batchOf(0, 1)).status());
        ConcurrentMap<Long, Integer> acknowledged = new ConcurrentHashMap<>();
        acknowledged.put(0L, 0);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicInteger next = new AtomicInteger(1);
        Thread producer = new Thread(() -> {
            Http h = new Http(server);
            while (!stop.get()) {
                int first = next.getAndAdd(20);
                Http.Answer a;
                try {
                    a = h.post("/topics/crash/partitions/0", "application/vnd.kafka.json.v2+json", batchOf(first, 20));
                } catch (RuntimeException e) {
                    return; // the server died mid-request: that batch was never acknowledged
                }
                if (a.status() != 200) {
                    return;
                }
                JsonArray offsets = a.json().getJsonArray("offsets");
                for (int i = 0; i < offsets.size(); i++) {
                    acknowledged.put(offsets.getJsonObject(i).getJsonNumber("offset").longValue(), first + i);
                }
            }
        });
        producer.start();
        Thread.sleep(3_000);
        server.kill();
        stop.set(true);
        producer.join(30_000);
        assertTrue(acknowledged.size() > 100, "the producer got going before the kill: " + acknowledged.size());

        server.start();
        http = new Http(server);
        String started = http.get("/health/started").body();
        assertTrue(!started.contains("segmentsRecovered=0"), "after kill -9 the tail is re-validated: " + started);
        long end = http.get("/topics/crash/partitions/0/offsets").json().getJsonNumber("end_offset").longValue();
        long maxAcked = acknowledged.keySet().stream().mapToLong(Long::longValue).max().orElseThrow();
        assertTrue(end > maxAcked, "end offset " + end + " covers every acknowledged offset up to " + maxAcked);
        long offset = 0;
        while (offset <= maxAcked) {
            JsonArray records = http.get("/topics/crash/partitions/0/records?offset=" + offset + "&max_bytes=1048576").array();
            for (int i = 0; i < records.size(); i++) {
                JsonObject r = records.getJsonObject(i);
                long o = r.getJsonNumber("offset").longValue();
                Integer expected = acknowledged.get(o);
                if (expected != null) {
                    assertEquals(expected.intValue(), r.getJsonObject("value").getInt("i"), "offset " + o);
                    acknowledged.remove(o);
                }
                offset = o + 1;
            }
        }
        assertTrue(acknowledged.isEmpty(), "acknowledged but missing after kill -9: " + acknowledged.keySet());
    }

    private static String batchOf(int first, int count) {
        StringBuilder b = new StringBuilder("{\"records\": [");
        for (int i = 0; i < count; i++) {
            b.append(i == 0 ? "" : ",").append("{\"value\": {\"i\": ").append(first + i).append("}}");
        }
        return b.append("]}").toString();
    }

    private static void assertAllPresent(Http http, String topic, int partition, int count) {
        long offset = 0;
        while (offset < count) {
            JsonArray records = http.get("/topics/" + topic + "/partitions/" + partition + "/records?offset=" + offset).array();
            assertTrue(records.size() > 0, "records from offset " + offset);
            for (int i = 0; i < records.size(); i++) {
                JsonObject r = records.getJsonObject(i);
                assertEquals(offset, r.getJsonNumber("offset").longValue());
                assertEquals((int) offset, r.getJsonObject("value").getInt("i"));
                offset++;
            }
        }
    }
}
